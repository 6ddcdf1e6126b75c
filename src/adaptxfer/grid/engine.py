"""Run a grid's cells: in sequence in this process, or as Ray tasks.

Resuming is the default: a cell whose run dir holds results.json (written atomically at
the very end of a run) is finished and skipped; everything else runs again. Intermediate
adapters live in ``<grid dir>/store`` and are reused across cells and restarts.

With Ray, the distinct intermediate adapters are trained first, each as its own task, and
only then the cells, so no two tasks need to build the same adapter at once (the store's
file lock makes that safe anyway, e.g. for two grids sharing one store).

After every cell the driver logs how far the grid is (:mod:`adaptxfer.grid.status`, read
from disk, as ``adaptxfer status`` does). Everything logged during the grid goes to the
grid dir's ``run.log`` too; each cell also has its own.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from adaptxfer.cache import atomic_write_text
from adaptxfer.errors import UserError
from adaptxfer.grid.expand import (
    CHANGED,
    DAMAGED,
    FINISHED,
    Cell,
    Grid,
    IntermediateJob,
    jobs_of,
)
from adaptxfer.grid.status import STORE, read_status
from adaptxfer.output_dirs import GRID_JSON, GRID_LOCK, RUN_LOG, is_failed_run
from adaptxfer.run_log import log_file, quiet_console, say, write_failed_log
from adaptxfer.tracking.registry import require_backends

Engine = Literal["local", "ray"]

# Environment a Ray worker needs to behave like this process (offline Hub, cache root).
_FORWARDED_ENV = (
    "ADAPTXFER_CACHE",
    "HF_HOME",
    "HF_HUB_OFFLINE",
    "HF_DATASETS_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "TOKENIZERS_PARALLELISM",
)


@dataclass
class GridOutcome:
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def run_grid(
    grid: Grid,
    output_dir: Path,
    *,
    engine: Engine = "local",
    num_cpus: float = 1,
    num_gpus: float | None = None,
    ray_address: str | None = None,
    log: Callable[[str], None] = say,
) -> GridOutcome:
    """Run every unfinished cell of ``grid``; a failed cell is recorded and the rest go on."""
    output_dir = Path(output_dir)
    require_backends(sorted({name for cell in grid.cells for name in cell.recipe.log.to}))
    with _exclusive(output_dir):
        _remove_partials(output_dir)
        started = time.perf_counter()
        outcome, pending = _sort_cells(grid, output_dir, log)  # may refuse: nothing written
        write_manifest(grid, output_dir, engine)  # first: a dir with a log is then a grid
        with log_file(output_dir / RUN_LOG, append=True):
            store_dir = output_dir / STORE
            pending = fetch_shared_adapters(pending, store_dir)
            log(
                f"grid {grid.name}: {len(grid.cells)} cells, {len(outcome.skipped)} finished, "
                f"{len(pending)} to run ({engine})"
            )
            if pending and engine == "ray":
                _run_ray(grid, pending, store_dir, outcome, num_cpus, num_gpus, ray_address, log)
            elif pending:
                _run_local(pending, store_dir, outcome, grid, log)
            outcome.seconds = round(time.perf_counter() - started, 1)
    return outcome


def _progress(output_dir: Path, log: Callable[[str], None]) -> None:
    log("  " + read_status(output_dir).summary_line())


def _sort_cells(
    grid: Grid, output_dir: Path, log: Callable[[str], None]
) -> tuple[GridOutcome, list[Cell]]:
    """Finished cells (skipped) and the cells to run: new ones, and finished ones whose
    run dir is damaged (announced). Cells finished with other settings, or a bad input
    of a cell to run (backbone, local data), stop the grid before anything runs."""
    outcome = GridOutcome()
    pending, changed = [], []
    for cell in grid.cells:
        status = cell.status()
        if status.state == FINISHED:
            outcome.skipped.append(cell.id)
            continue
        if status.state == CHANGED:
            changed.append(f"{cell.id}: {status.detail}")
        if status.state == DAMAGED:
            log(f"{cell.id}: {status}")
        pending.append(cell)
    if changed:
        raise UserError(
            f"{output_dir} holds {len(changed)} finished cell(s) run with other settings, "
            f"e.g. {changed[0]}; nothing was run. Keep them: choose another "
            "--output-dir. Replace them: delete those cells' run dirs."
        )
    _check_before_training(pending)
    return outcome, pending


def _check_before_training(cells: list[Cell]) -> None:
    """Every cell's backbone and local data files, before any cell trains: a bad file
    stops the grid in seconds (exit 2), not after hours of other cells."""
    from adaptxfer.preflight import check_before_training

    seen = set()
    for cell in cells:
        key = cell.recipe.model_dump_json(exclude={"name", "seeds"})
        if key not in seen:
            seen.add(key)
            check_before_training(cell.recipe)


@contextlib.contextmanager
def _exclusive(output_dir: Path) -> Iterator[None]:
    """One driver per grid dir: a second ``adaptxfer grid`` on it is refused, not raced."""
    try:
        import fcntl
    except ImportError:  # Windows: no check
        yield
        return
    output_dir.mkdir(parents=True, exist_ok=True)
    with open(output_dir / GRID_LOCK, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UserError(
                f"{output_dir}: another `adaptxfer grid` is running on this dir; "
                "wait for it or choose another --output-dir"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_partials(output_dir: Path) -> None:
    """Half-written store entries and artifacts left by a killed run (atomic_dir's
    ``.<name>.partial-*`` folders, and earlier versions' run dirs): never read, only
    taking space. Safe under the lock. A cell's work dir (``.<cell>.partial``, no
    suffix) is kept: the cell resumes from it (:mod:`adaptxfer.run_work`)."""
    for sub in ("cells", STORE):
        root = output_dir / sub
        if root.is_dir():
            for partial in list(root.rglob(".*.partial-*")):
                if partial.is_dir():
                    shutil.rmtree(partial, ignore_errors=True)


def write_manifest(grid: Grid, output_dir: Path, engine: str = "local") -> None:
    """``grid.json``: the grid file, every cell's axes and run dir, the intermediate
    adapters, and when this attempt started (for humans, ``adaptxfer report`` and
    ``adaptxfer status``)."""
    record = {
        "grid": grid.name,
        "grid_file": str(grid.path),
        "overrides": list(grid.overrides),
        "spec": grid.spec.model_dump(mode="json"),
        "started": time.time(),
        "engine": engine,
        "cells": [
            {
                "id": c.id,
                "dir": str(c.dir.relative_to(output_dir)),
                "labels": c.labels,
                "intermediates": [job.key for job in jobs_of(c)],
            }
            for c in grid.cells
        ],
        "intermediates": [
            {"key": job.key, "chain": list(job.chain), "seed": job.seed}
            for job in grid.intermediate_jobs()
        ],
    }
    atomic_write_text(output_dir / GRID_JSON, json.dumps(record, indent=2) + "\n")


def run_cell(recipe: Any, run_dir: str, store_dir: str, labels: dict[str, str], origin: str) -> str:
    """Run one cell into its run dir (atomic). Module-level so Ray can ship it."""
    from adaptxfer.run import run_recipe

    # In a Ray worker too, other libraries' output goes to the cell's run.log.
    with quiet_console():
        run_recipe(
            recipe,
            Path(run_dir),
            overwrite=True,
            store_dir=Path(store_dir),
            recipe_file=origin,
            labels=labels,
        )
    return run_dir


def fetch_shared_adapters(pending: list[Cell], store_dir: Path) -> list[Cell]:
    """Pull and check every adapter the cells take from the Hub before any cell trains
    (a shared adapter that does not fit its recipe stops the grid with exit 2); the cells
    come back pinned to the commits pulled, so workers find them in the store."""
    from adaptxfer.experiment import fetch_shared_intermediates
    from adaptxfer.store import AdapterStore

    store = AdapterStore(store_dir)
    return [
        dataclasses.replace(cell, recipe=fetch_shared_intermediates(cell.recipe, store))
        if cell.recipe.intermediate.from_hub
        else cell
        for cell in pending
    ]


def train_intermediate(
    recipe: Any, chain: tuple[str, ...], seed: int, store_dir: str, grid: str | None = None
) -> str:
    """Train (or find) one intermediate adapter in the store; one that trains here for
    ``grid`` is tracked when the recipe says (``log.to``). Module-level for Ray."""
    from adaptxfer.arms import intermediate_spec
    from adaptxfer.experiment import intermediate_artifact
    from adaptxfer.store import AdapterStore

    chain, store = tuple(chain), AdapterStore(store_dir)
    spec = intermediate_spec(recipe, chain, seed)
    if not (grid and recipe.log.to) or recipe.shared_adapter(chain) or store.get(spec):
        return str(intermediate_artifact(recipe, chain, seed, store))
    from adaptxfer.artifacts import Manifest
    from adaptxfer.store import content_key
    from adaptxfer.tracking.tracker import chain_name, intermediate_tracking

    tracking = intermediate_tracking(
        recipe.log, recipe.model_dump(mode="json"), grid, Path(store_dir).parent
    )
    label = f"{chain_name(chain)}-{content_key(spec)[:8]}"  # one chain, many budgets
    with tracking.arm(label, seed) as tracker:
        path = intermediate_artifact(recipe, chain, seed, store, tracker)
        tracker.log_intermediate(chain, Manifest.read(path).metrics)
    return str(path)


# -- local ---------------------------------------------------------------------------------
def _run_local(
    pending: list[Cell], store_dir: Path, outcome: GridOutcome, grid: Grid, log: Callable
) -> None:
    """Cells in order; each first gets its intermediate adapters (found in the store or
    trained), so an adapter that fails is tried once and its other cells are not run."""
    grid_dir = store_dir.parent
    failed_keys: dict[str, str] = {}
    for i, cell in enumerate(pending, 1):
        log(f"[{i}/{len(pending)}] {cell.id}")
        try:
            for job in jobs_of(cell):
                blocked = _blocked_by([job], failed_keys)
                if blocked:
                    raise _Blocked(blocked)
                try:
                    train_intermediate(job.recipe, job.chain, job.seed, str(store_dir), grid.name)
                except Exception as err:
                    failed_keys[job.key] = _describe(err)
                    raise _Blocked(_blocked_by([job], failed_keys)) from err
            run_cell(cell.recipe, str(cell.dir), str(store_dir), cell.labels, str(grid.path))
        except KeyboardInterrupt:
            raise
        except Exception as err:
            outcome.failed[cell.id] = str(err) if isinstance(err, _Blocked) else _describe(err)
            _record_failure(cell, outcome.failed[cell.id], started=not isinstance(err, _Blocked))
            log(f"  failed: {outcome.failed[cell.id]}")
        else:
            outcome.ran.append(cell.id)
        _progress(grid_dir, log)


def _record_failure(cell: Cell, reason: str, *, started: bool) -> None:
    """Leave the failure where ``adaptxfer status`` reads it: the log a started run kept,
    else (a cell not started, a worker that died) a log that says why, in place of an
    earlier attempt's failed log; never in a folder holding anything else."""
    kept = is_failed_run(cell.dir)
    if (kept and started) or (not kept and cell.dir.exists() and any(cell.dir.iterdir())):
        return
    write_failed_log(cell.dir, reason)


class _Blocked(Exception):
    """A cell not run because an intermediate adapter it needs failed."""


def _blocked_by(jobs: list[IntermediateJob], failed_keys: dict[str, str]) -> str | None:
    """Why a cell (or a chain) cannot run: the first of its adapters that failed."""
    for job in jobs:
        if job.key in failed_keys:
            chain = " > ".join(job.chain)
            return f"intermediate {chain} (seed {job.seed}) failed: {failed_keys[job.key]}"
    return None


# -- ray -----------------------------------------------------------------------------------
def _run_ray(
    grid: Grid,
    pending: list[Cell],
    store_dir: Path,
    outcome: GridOutcome,
    num_cpus: float,
    num_gpus: float | None,
    address: str | None,
    log: Callable,
) -> None:
    try:
        import ray
    except ImportError as err:
        from adaptxfer.errors import MissingAssetError

        raise MissingAssetError(
            "--engine ray needs Ray: pip install 'adaptxfer[ray]' (or use --engine local)"
        ) from err
    started_here = not ray.is_initialized()
    if started_here:
        env = {k: os.environ[k] for k in _FORWARDED_ENV if k in os.environ}
        ray.init(
            address=address,
            include_dashboard=False,
            runtime_env={"env_vars": env} if env else None,
            log_to_driver=True,
        )
    try:
        _submit(ray, grid, pending, store_dir, outcome, num_cpus, num_gpus, log)
    finally:
        if started_here:
            ray.shutdown()


def _submit(
    ray: Any,
    grid: Grid,
    pending: list[Cell],
    store_dir: Path,
    outcome: GridOutcome,
    num_cpus: float,
    num_gpus: float | None,
    log: Callable,
) -> None:
    if num_gpus is None:  # one GPU per task where the cluster has GPUs
        num_gpus = 1 if ray.cluster_resources().get("GPU", 0) >= 1 else 0
    options = {"num_cpus": num_cpus, "num_gpus": num_gpus, "max_retries": 0}
    train_task = ray.remote(train_intermediate).options(**options)
    cell_task = ray.remote(run_cell).options(**options)

    jobs = grid.intermediate_jobs(pending)
    by_key = {j.key: j for j in jobs}
    # Phase 1: each distinct intermediate adapter once. Chains wait for their prefixes
    # (shorter chains are submitted, and finished, first).
    failed_keys: dict[str, str] = {}
    for length in sorted({len(j.chain) for j in jobs}):
        batch = [j for j in jobs if len(j.chain) == length]
        for job in batch:  # a chain whose prefix failed cannot be built
            blocked = _blocked_by([by_key[k] for k in job.prefixes], failed_keys)
            if blocked:
                failed_keys[job.key] = blocked
        refs = {
            train_task.remote(j.recipe, j.chain, j.seed, str(store_dir), grid.name): j
            for j in batch
            if j.key not in failed_keys and not _stored(j, store_dir)
        }
        if refs:
            log(f"training {len(refs)} intermediate adapter(s) of chain length {length}")
        for ref, job in _as_completed(ray, refs):
            try:
                ray.get(ref)
            except Exception as err:
                failed_keys[job.key] = _describe(err)
                log(f"  intermediate {' > '.join(job.chain)} (seed {job.seed}) failed")
    # Phase 2: the cells (their intermediates are now in the store); a cell whose
    # intermediate failed is reported, not run (it would only train and fail again).
    runnable = []
    for cell in pending:
        blocked = _blocked_by(jobs_of(cell), failed_keys)
        if blocked:
            outcome.failed[cell.id] = blocked
            _record_failure(cell, blocked, started=False)
            log(f"{cell.id} not run: {blocked}")
        else:
            runnable.append(cell)
    refs = {
        cell_task.remote(c.recipe, str(c.dir), str(store_dir), c.labels, str(grid.path)): c
        for c in runnable
    }
    for i, (ref, cell) in enumerate(_as_completed(ray, refs), 1):
        try:
            ray.get(ref)
        except Exception as err:
            outcome.failed[cell.id] = _describe(err)
            _record_failure(cell, outcome.failed[cell.id], started=True)
            log(f"[{i}/{len(refs)}] {cell.id} failed: {outcome.failed[cell.id]}")
        else:
            outcome.ran.append(cell.id)
            log(f"[{i}/{len(refs)}] {cell.id} done")
        _progress(store_dir.parent, log)


def _stored(job: Any, store_dir: Path) -> bool:
    from adaptxfer.store import AdapterStore

    return AdapterStore(store_dir).entry(job.key) is not None


def _as_completed(ray: Any, refs: dict[Any, Any]):
    remaining = list(refs)
    while remaining:
        done, remaining = ray.wait(remaining, num_returns=1)
        yield done[0], refs[done[0]]


def _describe(err: BaseException) -> str:
    last = traceback.format_exception_only(type(err), err)[-1].strip()
    return last.splitlines()[-1] if last else type(err).__name__
