"""The study: a grid file expanded into cells (one run each), run locally or on Ray,
resumable, with intermediate adapters trained once and shared through a store.

Names are imported on first use, so that ``adaptxfer.grid.status`` (read by
``adaptxfer status``) does not load torch and the adapter libraries.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "Cell": "adaptxfer.grid.expand",
    "Grid": "adaptxfer.grid.expand",
    "load_grid": "adaptxfer.grid.expand",
    "GridOutcome": "adaptxfer.grid.engine",
    "run_grid": "adaptxfer.grid.engine",
    "GridSpec": "adaptxfer.grid.schema",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'adaptxfer.grid' has no attribute {name!r}")


__all__ = ["Cell", "Grid", "GridOutcome", "GridSpec", "load_grid", "run_grid"]
