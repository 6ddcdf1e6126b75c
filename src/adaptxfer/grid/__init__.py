"""The study: a grid file expanded into cells (one run each), run locally or on Ray,
resumable, with intermediate adapters trained once and shared through a store.

Names are imported on first use, so that ``adaptxfer.grid.status`` (read by
``adaptxfer status``) does not load torch and the adapter libraries.
"""

from __future__ import annotations

from adaptxfer.lazy_import import lazy_getattr

_WHERE = {
    "Cell": "adaptxfer.grid.expand",
    "Grid": "adaptxfer.grid.expand",
    "load_grid": "adaptxfer.grid.expand",
    "GridOutcome": "adaptxfer.grid.engine",
    "run_grid": "adaptxfer.grid.engine",
    "GridSpec": "adaptxfer.grid.schema",
}

__getattr__ = lazy_getattr(__name__, _WHERE)


__all__ = ["Cell", "Grid", "GridOutcome", "GridSpec", "load_grid", "run_grid"]
