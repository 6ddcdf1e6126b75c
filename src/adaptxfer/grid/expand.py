"""Expand a grid file into cells: one validated recipe and one run dir per cell.

Cells are (backbone × target × intermediate × composition × seed), plus one baseline cell
per (backbone × target × seed): the baseline does not depend on the intermediate task, so
it is trained once per target and seed rather than once per recipe. Intermediate adapters
are shared through the grid's store, keyed by what determines them, so each is trained
once however many targets and compositions use it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from adaptxfer.arms import BASELINE, arms_of, chains_of, intermediate_spec
from adaptxfer.errors import RecipeError
from adaptxfer.grid.schema import GridSpec
from adaptxfer.output_dirs import RESULTS_JSON, safe_name
from adaptxfer.recipes.loading import (
    _line_of,
    apply_override,
    format_validation_error,
    parse_override,
    read_yaml,
)
from adaptxfer.recipes.schema import Recipe
from adaptxfer.recipes.short_forms import task_short_form
from adaptxfer.store import content_key
from adaptxfer.training.settings import NOT_DETERMINING

FINISHED, TO_RUN, DAMAGED, CHANGED = "finished", "to_run", "damaged", "changed"
# Labels, and where a run is tracked: not settings its results depend on.
IDENTITY_KEYS = frozenset({"name", "description", "log"})


@dataclass(frozen=True)
class RunDirState:
    state: str
    detail: str = ""

    def __str__(self) -> str:
        if self.state == DAMAGED:
            return f"damaged ({self.detail}): runs again"
        if self.state == CHANGED:
            return f"finished with other settings ({self.detail})"
        return self.state


def changed_settings(done: dict[str, Any], now: dict[str, Any], prefix: str = "") -> list[str]:
    """Settings that differ between a finished run's recipe and the cell's, as
    ``key: X then, Y now``; keys only one side has (added by a newer adaptxfer), and
    settings that do not change results (``checkpoint_every``), are not differences."""
    changes = []
    for key in sorted(set(done) & set(now)):
        if (not prefix and key in IDENTITY_KEYS) or key in NOT_DETERMINING:
            continue
        then, current = done[key], now[key]
        if isinstance(then, dict) and isinstance(current, dict):
            changes += changed_settings(then, current, f"{prefix}{key}.")
        elif then != current:
            changes.append(f"{prefix}{key}: {then!r} then, {current!r} now")
    return changes


@dataclass(frozen=True)
class Cell:
    """One run of the grid: a single-seed recipe, its run dir and its axis values."""

    id: str
    recipe: Recipe
    dir: Path
    labels: dict[str, str] = field(default_factory=dict)

    def status(self) -> RunDirState:
        """Finished (results.json, the run dir matches its integrity record, and it was run
        with this cell's settings), to run, damaged (run again), or changed."""
        from adaptxfer.errors import UserError
        from adaptxfer.results import load_finished_run

        if not (self.dir / RESULTS_JSON).exists():
            return RunDirState(TO_RUN)
        try:
            done = load_finished_run(self.dir)
        except UserError as err:
            return RunDirState(DAMAGED, str(err))
        changes = changed_settings(done.recipe, self.recipe.model_dump(mode="json"))
        if changes:
            more = f" and {len(changes) - 1} more" if len(changes) > 1 else ""
            return RunDirState(CHANGED, changes[0] + more)
        return RunDirState(FINISHED)

    @property
    def finished(self) -> bool:
        return self.status().state == FINISHED


@dataclass(frozen=True)
class IntermediateJob:
    """One intermediate adapter the grid needs (trained before the cells that use it)."""

    key: str
    recipe: Recipe
    chain: tuple[str, ...]
    seed: int
    prefixes: tuple[str, ...] = ()  # keys of the shorter chains this one builds on


@dataclass
class Grid:
    spec: GridSpec
    path: Path
    name: str
    cells: list[Cell]
    overrides: tuple[str, ...] = ()

    def intermediate_jobs(self, cells: list[Cell] | None = None) -> list[IntermediateJob]:
        """Distinct intermediate adapters that ``cells`` (default: all) need, shortest
        chains first (a chain builds on its prefix, so prefixes are ready first)."""
        jobs: dict[str, IntermediateJob] = {}
        for cell in self.cells if cells is None else cells:
            for job in jobs_of(cell):
                jobs.setdefault(job.key, job)
        return sorted(jobs.values(), key=lambda job: len(job.chain))


def jobs_of(cell: Cell) -> list[IntermediateJob]:
    """The intermediate adapters one cell needs, each chain after its prefixes."""
    jobs: dict[str, IntermediateJob] = {}
    for arm in arms_of(cell.recipe):
        for chain in chains_of(arm):
            for seed in cell.recipe.seeds:
                keys = [
                    content_key(intermediate_spec(cell.recipe, chain[:n], seed))
                    for n in range(1, len(chain) + 1)
                ]
                for n, key in enumerate(keys, 1):
                    job = IntermediateJob(key, cell.recipe, chain[:n], seed, tuple(keys[: n - 1]))
                    jobs.setdefault(key, job)
    return sorted(jobs.values(), key=lambda job: len(job.chain))


# Recipe keys that a grid sets per cell from one of its axes: ``--set`` cannot change
# them for every cell, so it names the grid key that does.
AXIS_KEYS = {
    ("intermediate",): "intermediates",
    ("intermediate", "tasks"): "intermediates",
    ("target",): "targets",
    ("target", "task"): "targets",
    ("composition",): "compositions",
    ("composition", "name"): "compositions",
}
GRID_ONLY = ("set",)


@dataclass(frozen=True)
class Overrides:
    """``--set`` values sorted by what they change: the grid file's own keys (``seeds``,
    ``languages``, ``backbones``, ``baseline``, ``targets``, ...), or the recipe of every
    cell (everything else, applied after the grid's per-entry settings, so the command
    line always wins)."""

    texts: tuple[str, ...] = ()
    grid: tuple[tuple[list[str], Any], ...] = ()
    cells: tuple[tuple[list[str], Any], ...] = ()

    @classmethod
    def parse(cls, texts: list[str] | tuple[str, ...]) -> Overrides:
        grid, cells = [], []
        for text in texts:
            parts, value = parse_override(text)
            key = ".".join(parts)
            axis = AXIS_KEYS.get(tuple(parts))
            if axis is not None:
                raise RecipeError(
                    f"--set {key}: a grid sets {key} per cell from its {axis!r} axis; "
                    f"override that instead, e.g. --set '{axis}=[...]'"
                )
            if parts[0] in GRID_ONLY:
                raise RecipeError(
                    f"--set {key}: pass the recipe key itself (e.g. --set train.max_steps=5); "
                    "it applies to every cell"
                )
            if parts == ["backbone"]:  # one backbone for every cell
                grid.append((["backbones"], [value]))
            elif parts[0] in GridSpec.model_fields:
                grid.append((parts, value))
            else:
                cells.append((parts, value))
        return cls(tuple(texts), tuple(grid), tuple(cells))

    def note(self) -> str:
        return f" (after --set {' '.join(self.texts)})" if self.texts else ""


def load_grid(
    path: str | Path, output_dir: Path, overrides: list[str] | tuple[str, ...] = ()
) -> Grid:
    """Read and validate a grid file, and expand it into validated cells under
    ``output_dir/cells``. ``overrides`` (``--set``) change the grid's own keys (``seeds``,
    ``languages``, ``backbone``...) or every cell's recipe; see :class:`Overrides`."""
    path = Path(path)
    data, node = read_yaml(path)
    return grid_from_data(path, data, node, output_dir, overrides)


def grid_from_data(
    path: Path,
    data: dict[str, Any],
    node: Any,
    output_dir: Path,
    overrides: list[str] | tuple[str, ...] = (),
    model: type[GridSpec] = GridSpec,
) -> Grid:
    """:func:`load_grid` on a document already read (``node``: its YAML tree, for line
    numbers); ``model`` is :class:`GridSpec` or a file type that extends it (a study)."""
    sets = Overrides.parse(overrides)
    for parts, value in sets.grid:
        apply_override(data, parts, value)
    try:
        spec = model.model_validate(data)
        values = spec.intermediate_values()
    except ValidationError as err:
        raise RecipeError(
            format_validation_error(path, err, node, overrides, model=model)
        ) from None
    except ValueError as err:
        raise RecipeError(f"{path}: {err}{sets.note()}") from None

    base: dict[str, Any] = {}
    if spec.base:
        base_path = (path.parent / spec.base).resolve()
        if not base_path.exists():
            line = _line_of(node, ["base"])
            raise RecipeError(
                f"{path}{f':{line}' if line else ''}: base: recipe file {spec.base!r} not found "
                f"(looked for {base_path}; paths are relative to the grid file)"
            )
        base, _ = read_yaml(base_path)
    for key, value in spec.set.items():
        parts, _ = parse_override(f"{key}=")
        apply_override(base, parts, value)

    name = spec.name or path.stem
    cells_dir = Path(output_dir) / "cells"
    backbones = spec.backbones or [base.get("backbone", "e5-small")]
    cells: list[Cell] = []
    for backbone in backbones:
        for target in spec.targets:
            compositions = [
                c for c in spec.compositions if target.compositions in (None, [])
                or c.name in target.compositions
            ]  # fmt: skip
            for seed in spec.seeds:
                cell = partial(
                    _cell, path, base, spec, cells_dir, backbone, target, seed=seed,
                    grid_name=name, sets=sets,
                )  # fmt: skip
                if spec.baseline:
                    cells.append(cell(inter=None, comp=None))
                cells += [
                    cell(inter=inter, comp=comp)
                    for inter in values
                    for comp in compositions
                    if inter.compositions is None or comp.name in inter.compositions
                ]
    ids = [c.id for c in cells]
    clash = sorted({i for i in ids if ids.count(i) > 1})
    if clash:
        raise RecipeError(f"{path}: two cells share the run dir {clash[0]!r}; rename an entry")
    return Grid(spec=spec, path=path, name=name, cells=cells, overrides=sets.texts)


def _cell(
    path: Path,
    base: dict[str, Any],
    spec: GridSpec,
    cells_dir: Path,
    backbone: str,
    target: Any,
    inter: Any,
    comp: Any,
    seed: int,
    grid_name: str,
    sets: Overrides,
) -> Cell:
    data = copy.deepcopy(base)
    data["backbone"] = backbone
    data["seeds"] = [seed]
    base_target = data.get("target")
    base_target = task_short_form(base_target) or {}
    data["target"] = {
        "task": target.task,
        "train": {**base_target.get("train", {}), **target.train},
    }
    if target.eval:
        data["eval"] = {**(data.get("eval") or {}), **target.eval}
    languages = target.languages or spec.languages
    if languages is None:  # the base's languages fit the base's own target only
        same = base_target.get("task") == target.task
        languages = data.get("languages", "all") if same else "all"
    data["languages"] = languages
    base_inter = data.get("intermediate")
    inter_train = base_inter.get("train", {}) if isinstance(base_inter, dict) else {}
    if inter is None:
        label, comp_name = BASELINE, "none"
        data["intermediate"] = {"tasks": [], "train": inter_train}
        data["composition"] = {"name": "none"}
        data["baseline"] = True
    else:
        label, comp_name = inter.label(), comp.name
        data["intermediate"] = {"tasks": list(inter.tasks), "train": {**inter_train, **inter.train}}
        mixture = base_inter.get("mixture", {}) if isinstance(base_inter, dict) else {}
        if mixture or inter.mixture:
            data["intermediate"]["mixture"] = {**mixture, **inter.mixture}
        if inter.from_hub:
            data["intermediate"]["from_hub"] = [ref.model_dump() for ref in inter.from_hub]
        data["composition"] = comp.model_dump()
        data["baseline"] = False
    parts = [safe_name(backbone), safe_name(target.task)]
    leaf = f"{safe_name(label)}__{comp_name}__seed{seed}" if inter else f"{BASELINE}__seed{seed}"
    cell_id = "/".join([*parts, leaf])
    data["name"] = f"{grid_name}/{cell_id}"
    for parts, value in sets.cells:
        apply_override(data, parts, value)
    where = f"{path}: cell {cell_id}"
    try:
        recipe = Recipe.model_validate(data)
    except ValidationError as err:
        raise RecipeError(
            format_validation_error(Path(where), err, None, sets.texts, model=Recipe)
        ) from None
    problems = recipe.problems()
    if problems:
        raise RecipeError(
            "\n".join(f"{where}: {'.'.join(map(str, loc))}: {msg}" for loc, msg in problems)
            + sets.note()
        )
    labels = {
        "grid": grid_name,
        "cell": cell_id,
        "backbone": backbone,
        "target": target.task,
        "intermediate": label,
        "composition": comp_name,
        "seed": str(seed),
    }
    return Cell(id=cell_id, recipe=recipe, dir=cells_dir / cell_id, labels=labels)
