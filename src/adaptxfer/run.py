"""``adaptxfer run``: execute a recipe into a run dir.

The run is built in a hidden sibling folder and moved into place only when every arm,
seed and language has been evaluated, so an interrupted run never leaves a folder that
looks finished, and a finished run is never overwritten by accident. That folder keeps
what a killed or interrupted run finished (intermediate adapters, arms) and its step
checkpoints, and the same command run again resumes from there (:mod:`.run_work`).
Other libraries' messages go to the run's ``run.log`` (kept, alone, when the run fails).
With a ``log`` block, each arm and seed is tracked (:mod:`adaptxfer.tracking`), by default
into the run dir's ``tracking/`` (built with the run dir).
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import yaml

from adaptxfer import integrity
from adaptxfer.arms import Arm, arms_of
from adaptxfer.experiment import fetch_shared_intermediates, run_arm
from adaptxfer.interrupts import Interrupted
from adaptxfer.metrics import get_metric
from adaptxfer.output_dirs import (
    FAILED_RUN_LOG,
    RESULTS_JSON,
    RUN_LOG,
    TRACKING_DIR,
    claim_run_dir,
    safe_name,
)
from adaptxfer.preflight import check_before_training
from adaptxfer.recipes.schema import Recipe
from adaptxfer.results import RunResult, environment
from adaptxfer.run_log import run_log, say
from adaptxfer.run_work import ARTIFACTS, RESUME, RunWork, resumable_dir
from adaptxfer.store import AdapterStore
from adaptxfer.tasks import skips
from adaptxfer.tasks.kinds import get_kind
from adaptxfer.tasks.registry import get_task
from adaptxfer.tasks.spec import TaskSpec
from adaptxfer.tracking.registry import require_backends
from adaptxfer.tracking.tracker import RunTracking, Scoring

RESULTS_MD = "results.md"
STORE_DIR = "store"  # a run's own store (without --store); its entries carry own records


def default_output_dir(recipe: Recipe) -> Path:
    return Path("runs") / f"{safe_name(recipe.name or 'run')}-{time.strftime('%Y%m%d-%H%M%S')}"


def scoring_of(target: TaskSpec, recipe: Recipe) -> dict[str, object]:
    """What the run's numbers are (results.json ``scoring``)."""
    metric = get_metric(target.metric)
    return {
        "metric": metric.name,
        "headline": metric.headline,
        "task_score": metric.benchmark_value,
        "pooled_by": metric.pooled_by,
        "protocol": get_kind(target.kind).protocol(target, recipe.eval),
    }


def run_recipe(
    recipe: Recipe,
    output_dir: Path | None = None,
    *,
    overwrite: bool = False,
    store_dir: Path | None = None,
    recipe_file: str | None = None,
    labels: dict[str, str] | None = None,
) -> tuple[RunResult, Path]:
    """Run every seed and arm of ``recipe`` into ``output_dir``; ``labels`` (e.g. a grid
    cell's axes) are recorded in results.json for reports."""
    require_backends(recipe.log.to)  # a missing tracking library stops the run here
    output_dir = claim_run_dir(
        Path(output_dir) if output_dir else default_output_dir(recipe), overwrite
    )
    try:
        with skips.collecting() as skipped:
            check_before_training(recipe)
            return _run(recipe, output_dir, store_dir, recipe_file, labels, skipped)
    except Interrupted as err:
        err.run_dir = output_dir  # what a rerun resumes
        raise


def _run(
    recipe: Recipe,
    output_dir: Path,
    store_dir: Path | None,
    recipe_file: str | None,
    labels: dict[str, str] | None,
    skipped: list[skips.Skipped],
) -> tuple[RunResult, Path]:
    target = get_task(recipe.target.task)
    metric = get_metric(target.metric)
    scoring = scoring_of(target, recipe)
    started = time.perf_counter()
    with resumable_dir(output_dir) as work, run_log(work.path, output_dir):
        tmp = work.path
        tracking = RunTracking(
            recipe.log,
            tmp,
            output_dir,
            recipe.model_dump(mode="json"),
            Scoring(recipe.eval.split, metric.primary, metric.pooled_by),
            dict(labels or {}),
        )
        store = AdapterStore(store_dir or tmp / STORE_DIR)
        recipe = fetch_shared_intermediates(recipe, store)
        work.adopt(fingerprint(recipe))
        outcomes = [
            _arm_outcome(recipe, arm, seed, store, work, tracking)
            for seed in recipe.seeds
            for arm in arms_of(recipe)
        ]
        from adaptxfer.backbones import default_device

        result = RunResult(
            name=recipe.name or "run",
            recipe=recipe.model_dump(mode="json"),
            recipe_file=recipe_file,
            labels=dict(labels or {}),
            target=target.name,
            metric=metric.primary,
            scoring=scoring,
            languages=recipe.target_languages(),
            arms=[arm.label for arm in arms_of(recipe)],
            outcomes=outcomes,
            environment=environment(default_device()),
            seconds=round(time.perf_counter() - started, 1),
            skipped=[s.to_dict() for s in skipped],
        )
        (tmp / "recipe.yaml").write_text(
            yaml.safe_dump(result.recipe, sort_keys=False), encoding="utf-8"
        )
        (tmp / RESULTS_MD).write_text(result.markdown(), encoding="utf-8")
        (tmp / RESULTS_JSON).write_text(result.to_json(), encoding="utf-8")
        # Tracking logs stay the user's to read and sync (which may touch them).
        exclude = [STORE_DIR, RUN_LOG, FAILED_RUN_LOG, TRACKING_DIR, RESUME]
        integrity.write_record(tmp, exclude=exclude)
    return result, output_dir


def _arm_outcome(
    recipe: Recipe,
    arm: Arm,
    seed: int,
    store: AdapterStore,
    work: RunWork,
    tracking: RunTracking,
) -> dict[str, Any]:
    """Run one arm for one seed (tracked), or take its outcome from an earlier attempt
    (which tracked it) and note again the data rows it skipped, for this run's results."""
    name = f"{safe_name(arm.label)}-seed{seed}"
    done = work.finished(name)
    if done is not None:
        say(f"{arm.label} (seed {seed}): finished by an earlier attempt, reused")
        for row in done["skipped"]:
            skips.note(skips.Skipped(**row))
        return done["outcome"]
    artifact_dir = work.path / ARTIFACTS / name
    with skips.collecting() as skipped, tracking.arm(arm.label, seed) as tracker:
        outcome = run_arm(
            recipe, arm, seed, store, artifact_dir, tracker, checkpoints=work.checkpoints(name)
        )
        tracker.log_outcome(outcome.__dict__)
    if outcome.artifact:
        outcome.artifact = str(Path(ARTIFACTS) / Path(outcome.artifact).name)
    work.record(name, outcome.__dict__, [s.to_dict() for s in skipped])
    return outcome.__dict__


def fingerprint(recipe: Recipe) -> str:
    """What a run's outcomes depend on: the resolved recipe, less the settings that only
    change how it is carried out (``train.checkpoint_every``, the ``log`` block)."""
    from adaptxfer.training.settings import NOT_DETERMINING

    data = recipe.model_dump(mode="json", exclude={"log"})  # where curves go: no outcome
    for block in (data["train"], data["intermediate"]["train"], data["target"]["train"]):
        for key in NOT_DETERMINING:
            block.pop(key, None)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
