"""Read a study file into its validated grid (optionally in its quick form), check that
its ``compare`` block names cells the grid has, and estimate each cell's peak memory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from adaptxfer.arms import BASELINE
from adaptxfer.errors import RecipeError
from adaptxfer.grid.expand import Grid, grid_from_data
from adaptxfer.memory import Estimate, estimate
from adaptxfer.recipes.loading import _line_of, read_yaml
from adaptxfer.studies.schema import StudySpec, apply_quick


@dataclass
class Study:
    path: Path
    spec: StudySpec
    grid: Grid
    quick: bool

    @property
    def name(self) -> str:
        return self.grid.name

    def backbone_order(self) -> list[str]:
        return list(dict.fromkeys(cell.labels["backbone"] for cell in self.grid.cells))


def load_study(
    path: str | Path,
    output_dir: Path,
    *,
    quick: bool = False,
    overrides: list[str] | tuple[str, ...] = (),
) -> Study:
    """The study file as a grid whose cells live under ``output_dir/cells``; ``quick``
    applies the file's ``quick`` block first, ``overrides`` (``--set``) last."""
    path = Path(path)
    data, node = read_yaml(path)
    if quick:
        apply_quick(data)
    grid = grid_from_data(path, data, node, output_dir, overrides, model=StudySpec)
    spec = grid.spec
    assert isinstance(spec, StudySpec)
    _check_selections(path, node, spec, grid)
    return Study(path, spec, grid, quick)


def _check_selections(path: Path, node: object, spec: StudySpec, grid: Grid) -> None:
    """A selection naming an intermediate, target or backbone the grid does not run
    would silently select nothing: an error naming the file, line and key instead."""
    have = {
        "intermediate": {c.labels["intermediate"] for c in grid.cells} | {BASELINE},
        "target": {c.labels["target"] for c in grid.cells},
        "backbone": {c.labels["backbone"] for c in grid.cells},
        "composition": {c.labels["composition"] for c in grid.cells},
    }
    selections = {("compare", "where"): spec.compare.where}
    selections.update({("compare", "groups", n): s for n, s in spec.compare.groups.items()})
    for where, selection in selections.items():
        for key, known in have.items():
            unknown = sorted(set(getattr(selection, key) or ()) - known)
            if unknown:
                loc = [*where, key]
                line = _line_of(node, loc)  # type: ignore[arg-type]
                raise RecipeError(
                    f"{path}{f':{line}' if line else ''}: {'.'.join(loc)}: {unknown} not in "
                    f"this study's cells; expected some of {sorted(known)}"
                )


def cell_estimates(grid: Grid, device: str) -> dict[str, Estimate | None]:
    """The peak-memory estimate of every cell (computed once per distinct setting)."""
    seen: dict[str, Estimate | None] = {}
    out = {}
    for cell in grid.cells:
        key = cell.recipe.model_dump_json(exclude={"name", "seeds", "languages"})
        if key not in seen:
            seen[key] = estimate(cell.recipe, device)
        out[cell.id] = seen[key]
    return out
