"""What every tracking backend implements, and what it is told about the run it logs.

One :class:`TrackedRun` is one trained and evaluated system: one arm of one seed of an
adaptxfer run (a grid cell has one). Backends see names, not adaptxfer objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

Scalar = bool | int | float | str


@dataclass(frozen=True)
class TrackedRun:
    """Where and under which names a backend logs one arm of one seed.

    ``path`` is the run's place below ``dir`` (TensorBoard's sub-folder): the grid and
    cell when the logs are shared by many runs (``log.dir``), else just the arm and seed.
    """

    dir: Path  # the log dir (log.dir, or RUN_DIR/tracking while the run is built)
    final_dir: Path  # where ``dir`` will be once the run is finished (moved into place)
    project: str  # log.project
    grid: str | None  # the grid's name, for a grid cell
    group: str  # the grid's name, or the run's own name
    name: str  # unique within the group: "<cell or run>/<arm>-seed<seed>"
    path: tuple[str, ...]
    params: dict[str, Scalar] = field(default_factory=dict)  # arm, seed, labels, recipe


class Sink:
    """One backend's run, started with its hyperparameters (``run.params``): scalars over
    steps, then the run's headline scores once."""

    def __init__(self, run: TrackedRun) -> None:
        self.run = run

    def log_scalars(self, section: str, values: dict[str, float], step: int) -> None:
        """``values`` at ``step`` of ``section`` (a training phase, or an evaluation
        split), logged as ``section/key``. Each section counts its own steps."""
        raise NotImplementedError

    def log_final(self, metrics: dict[str, float]) -> None:
        """The headline scores, which compare runs (TensorBoard's HParams table, the W&B
        summary); they were logged as scalars too."""
        raise NotImplementedError

    def close(self, ok: bool) -> None:
        """Flush and finish; ``ok`` False marks the run failed where the backend can."""
        raise NotImplementedError
