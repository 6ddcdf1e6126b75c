"""Tracking one adaptxfer run: one tracked run per arm and seed, fed by the training loop
(a :class:`~adaptxfer.training.loop.TrainCallback` per phase) and by the evaluation.

What is logged, under these names:

- ``target/loss``, ``target/lr``, ``target/examples_per_second`` at every optimiser step
  (``intermediate/<task>/...`` while an intermediate adapter trains in this run; chains
  of tasks are joined by ``_then_``); ``lr`` is the adapter's learning rate (the head's
  follows the same schedule);
- ``<split>/<language>/<metric>`` after evaluation, for every language and metric, and
  ``<split>/avg/<metric>`` for the headline metric (averaged as results.md does), at the
  target's last step; ``intermediate/<task>/dev/en/<metric>`` for each intermediate
  adapter the arm uses (trained now, or earlier into the store);
- the recipe, flattened, with the arm, the seed and a grid cell's axes, as
  hyperparameters.

A grid trains its intermediate adapters once, before the cells: each is tracked as the
grid's run ``intermediates/<task>-seed<seed>`` (its curves and dev score).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adaptxfer.output_dirs import TRACKING_DIR, safe_name
from adaptxfer.tracking.hyperparameters import flatten
from adaptxfer.tracking.registry import open_sink
from adaptxfer.tracking.settings import LogSettings
from adaptxfer.tracking.sink import Sink, TrackedRun
from adaptxfer.training.loop import StepEvent, TrainCallback, TrainState

NOT_SCORES = frozenset({"examples", "seconds"})  # evaluate_language's bookkeeping
_CHAIN_JOIN = "_then_"
_OUTCOME_CHAIN_JOIN = " > "  # how ArmOutcome.intermediates names a chain

logger = logging.getLogger(__name__)


def chain_name(chain: tuple[str, ...] | list[str]) -> str:
    """A chain of intermediate tasks as one name every backend accepts."""
    return _CHAIN_JOIN.join(chain)


def intermediate_phase(chain: tuple[str, ...] | list[str]) -> str:
    return f"intermediate/{chain_name(chain)}"


@dataclass(frozen=True)
class Scoring:
    """How the run's evaluation is read: the split scored, the headline metric and the
    count that weights languages in its average (None: a plain mean)."""

    split: str
    metric: str
    pooled_by: str | None = None


@dataclass
class Tracker:
    """One arm of one seed, logged to every backend of ``log.to`` (none: does nothing).
    ``scoring`` reads the target's evaluation (None: nothing is evaluated here)."""

    sinks: list[Sink]
    scoring: Scoring | None
    final: dict[str, float] = field(default_factory=dict)

    def log(self, section: str, values: Mapping[str, float], step: int) -> None:
        clean = {k: float(v) for k, v in values.items()}
        for sink in self.sinks:
            sink.log_scalars(section, clean, step)

    def log_outcome(self, outcome: Mapping[str, Any]) -> None:
        """An arm's evaluation (an ``ArmOutcome`` as a dict): per-language scores, their
        average, and the dev scores of the intermediate adapters it used."""
        from adaptxfer.metrics import average

        if not self.sinks or self.scoring is None:
            return
        for label, metrics in (outcome.get("intermediates") or {}).items():
            self.log_intermediate(label.split(_OUTCOME_CHAIN_JOIN), metrics or {})
        scores: dict[str, dict[str, float]] = outcome["scores"]
        step = int((outcome.get("train") or {}).get("steps", 0))
        split, metric = self.scoring.split, self.scoring.metric
        values = _scores(scores)
        pooled = self.scoring.pooled_by
        wanted = [metric, pooled] if pooled else [metric]
        if scores and all(key in s for s in scores.values() for key in wanted):
            weights = {lang: s[pooled] for lang, s in scores.items()} if pooled else None
            values[f"avg/{metric}"] = average({k: s[metric] for k, s in scores.items()}, weights)
        self.log(split, values, step)
        headline = {key: v for key, v in values.items() if key.rsplit("/", 1)[-1] == metric}
        self.final.update({f"{split}/{key}": value for key, value in headline.items()})

    def log_intermediate(
        self, chain: list[str] | tuple[str, ...], metrics: Mapping[str, Any]
    ) -> None:
        """An intermediate adapter's English dev scores (its artifact's ``metrics``), at
        its last training step."""
        dev = metrics.get("dev")
        if dev:
            steps = int((metrics.get("train") or {}).get("steps", 0))
            self.log(f"{intermediate_phase(chain)}/dev", _scores({"en": dev}), steps)

    def close(self, ok: bool) -> None:
        """Write the headline scores beside the hyperparameters and finish every backend,
        each even if another fails (the first failure is raised after, if ``ok``)."""
        failures = []
        for sink in self.sinks:
            try:
                if ok:
                    sink.log_final(self.final)
                sink.close(ok)
            except Exception as err:
                logger.exception("tracking: %s did not close cleanly", type(sink).__name__)
                failures.append(err)
        if ok and failures:
            raise failures[0]


def _scores(scores: Mapping[str, Mapping[str, Any]]) -> dict[str, float]:
    """``{lang: {metric: value}}`` as ``{"lang/metric": value}``, numbers only."""
    return {
        f"{lang}/{key}": float(value)
        for lang, by_key in scores.items()
        for key, value in by_key.items()
        if key not in NOT_SCORES and isinstance(value, (int, float)) and not isinstance(value, bool)
    }


class StepLogger(TrainCallback):
    """Logs each optimiser step's loss, learning rate and throughput."""

    def __init__(self, tracker: Tracker, phase: str) -> None:
        self.tracker = tracker
        self.phase = phase

    def on_step_end(self, state: TrainState, event: StepEvent) -> None:
        values = {"loss": event.loss, "lr": event.lrs[0] if event.lrs else 0.0}
        if event.seconds > 0:
            values["examples_per_second"] = event.examples_per_second
        self.tracker.log(self.phase, values, event.step)


def train_callbacks(
    tracker: Tracker | None, chain: tuple[str, ...] | None = None
) -> list[TrainCallback]:
    """What logs a phase's training: an intermediate chain's, or the target's (no chain)."""
    if tracker is None or not tracker.sinks:
        return []
    return [StepLogger(tracker, intermediate_phase(chain) if chain else "target")]


@dataclass
class RunTracking:
    """The tracking of one adaptxfer run, built in ``build_dir`` that becomes ``run_dir``.
    ``labels`` are a grid cell's axes (``grid``, ``cell``, ...): its runs go into the
    grid's group."""

    settings: LogSettings
    build_dir: Path
    run_dir: Path
    recipe: Mapping[str, Any]
    scoring: Scoring | None
    labels: Mapping[str, str] = field(default_factory=dict)
    folder: tuple[str, ...] = ()  # below the default log dir (a grid's intermediates)

    @contextlib.contextmanager
    def arm(self, arm: str, seed: int) -> Iterator[Tracker]:
        """A tracked run for one arm and seed, finished (or marked failed) at the end."""
        tracker = Tracker([], self.scoring)
        if not self.settings.to:
            yield tracker
            return
        try:
            run = self._tracked_run(arm, seed)
            for name in self.settings.to:
                tracker.sinks.append(open_sink(name, run))
            yield tracker
        except BaseException:
            tracker.close(ok=False)
            raise
        tracker.close(ok=True)

    def _tracked_run(self, arm: str, seed: int) -> TrackedRun:
        grid, cell = self.labels.get("grid"), self.labels.get("cell")
        label = cell or self.run_dir.name
        leaf = f"{safe_name(arm)}-seed{seed}"
        if self.settings.dir:  # shared by many runs: the grid, the cell or run, the arm
            where = Path(self.settings.dir)
            final = where
            path = (*([safe_name(grid)] if grid else []), *map(safe_name, label.split("/")), leaf)
        else:
            where, final = self.build_dir / TRACKING_DIR, self.run_dir / TRACKING_DIR
            path = (*self.folder, leaf)
        params = {**flatten(self.recipe), **self.labels, "arm": arm, "seed": seed}
        return TrackedRun(
            dir=where,
            final_dir=final,
            project=self.settings.project,
            grid=grid,
            group=grid or label,
            name=f"{label}/{leaf}",
            path=path,
            params=params,
        )


INTERMEDIATES = "intermediates"  # a grid's tracked runs of its intermediate adapters


def intermediate_tracking(
    settings: LogSettings, recipe: Mapping[str, Any], grid: str, grid_dir: Path
) -> RunTracking:
    """The tracking of a grid's intermediate adapters, trained before its cells: runs
    ``intermediates/<task>-<key>-seed<seed>`` of the grid's group, by default in the grid
    dir's ``tracking/``."""
    labels = {"grid": grid, "cell": INTERMEDIATES}
    return RunTracking(settings, grid_dir, grid_dir, recipe, None, labels, (INTERMEDIATES,))
