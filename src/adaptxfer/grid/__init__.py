"""The study: a grid file expanded into cells (one run each), run locally or on Ray,
resumable, with intermediate adapters trained once and shared through a store."""

from adaptxfer.grid.engine import GridOutcome, run_grid
from adaptxfer.grid.expand import Cell, Grid, load_grid
from adaptxfer.grid.schema import GridSpec

__all__ = ["Cell", "Grid", "GridOutcome", "GridSpec", "load_grid", "run_grid"]
