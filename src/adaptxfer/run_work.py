"""Where a run is built, so that a killed or interrupted run can be resumed.

A run is built in ``.<run dir name>.partial`` beside its run dir — a stable name, so the
next run into the same run dir (the same command again, or a grid cell run again) finds
it — and renamed into place only when every arm has been evaluated. While it is being
built:

- ``store/`` holds the intermediate adapters (without ``--store``): finished ones are
  reused, and one being trained keeps step checkpoints there (:mod:`adaptxfer.store`);
- ``artifacts/`` holds each finished arm's model, and ``resume/arms/`` its outcome, so a
  finished arm is not run again;
- ``resume/checkpoints/<arm>-seed<N>/`` holds the step checkpoints of the arm being
  trained (:mod:`adaptxfer.training.checkpoint`);
- ``resume/recipe.sha256`` says which recipe the arms were run for: a rerun with another
  recipe starts the arms again (stored adapters, content-addressed, stay usable).

A run that stops unfinished keeps its work dir when it holds something worth resuming;
one that a process holds (a lock in ``resume/``) is never touched by another.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from adaptxfer.artifacts import is_artifact
from adaptxfer.cache import atomic_write_text, move_into_place
from adaptxfer.errors import UserError
from adaptxfer.interrupts import Interrupted
from adaptxfer.run_log import say

WORK_SUFFIX = ".partial"
RESUME = "resume"  # bookkeeping, removed when the run finishes
STORE = "store"
ARTIFACTS = "artifacts"
_LOCK = "lock"
_RECIPE = "recipe.sha256"
_ARMS = "arms"
_CHECKPOINTS = "checkpoints"


def work_dir_of(run_dir: Path) -> Path:
    """The stable folder a run into ``run_dir`` is built in."""
    return run_dir.with_name(f".{run_dir.name}{WORK_SUFFIX}")


class RunWork:
    """A run's work dir: finished arms and checkpoints of earlier attempts."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def _resume(self) -> Path:
        return self.path / RESUME

    def adopt(self, fingerprint: str) -> None:
        """Keep an earlier attempt's arms and checkpoints if it ran the same recipe
        (``fingerprint``); else start them again."""
        marker = self._resume / _RECIPE
        earlier = marker.read_text(encoding="utf-8").strip() if marker.is_file() else None
        if earlier not in (None, fingerprint):
            say(f"{self.path}: an unfinished run of another recipe; its arms run again")
            for stale in (self._resume / _ARMS, self._resume / _CHECKPOINTS, self.path / ARTIFACTS):
                shutil.rmtree(stale, ignore_errors=True)
        elif self.has_progress():
            say(f"resuming the unfinished run in {self.path}")
        atomic_write_text(marker, fingerprint + "\n")

    def finished(self, name: str) -> dict[str, Any] | None:
        """What arm ``name`` (``<arm>-seed<N>``) recorded if an earlier attempt finished
        it: ``outcome`` and the data rows it ``skipped``."""
        try:
            record = json.loads((self._resume / _ARMS / f"{name}.json").read_text("utf-8"))
            artifact = record["outcome"].get("artifact")
        except (OSError, ValueError, KeyError, AttributeError):
            return None
        if artifact and not is_artifact(self.path / ARTIFACTS / name):
            return None
        return record

    def record(self, name: str, outcome: dict[str, Any], skipped: list[dict[str, Any]]) -> None:
        """Arm ``name`` is finished: keep its outcome, drop its checkpoints."""
        text = json.dumps({"outcome": outcome, "skipped": skipped}, indent=1)
        atomic_write_text(self._resume / _ARMS / f"{name}.json", text)
        shutil.rmtree(self.checkpoints(name), ignore_errors=True)

    def checkpoints(self, name: str) -> Path:
        """Where arm ``name``'s target training keeps its step checkpoints."""
        return self._resume / _CHECKPOINTS / name

    def has_progress(self) -> bool:
        """Whether anything here saves work on a rerun: a stored adapter, a finished arm,
        a step checkpoint."""
        store = self.path / STORE
        return (
            any(is_artifact(p) for p in store.iterdir() if not p.name.startswith("."))
            if store.is_dir()
            else False
        ) or any(
            next(self.path.glob(pattern), None) is not None
            for pattern in (
                f"{RESUME}/{_ARMS}/*.json",
                f"{RESUME}/{_CHECKPOINTS}/*/step-*",
                f"{STORE}/.checkpoints/*/step-*",
            )
        )


@contextlib.contextmanager
def resumable_dir(final: Path) -> Iterator[RunWork]:
    """Build the run dir ``final`` in its work dir (:func:`work_dir_of`), resuming what an
    earlier attempt left there; move it into place when the block succeeds, else keep
    it if it holds progress (an :class:`Interrupted` says so in ``kept``)."""
    final = Path(final)
    work = RunWork(work_dir_of(final))
    (work.path / RESUME).mkdir(parents=True, exist_ok=True)
    with _exclusive(work.path / RESUME / _LOCK, final):
        _remove_stale(final, work.path)
        try:
            yield work
        except BaseException as err:
            if work.has_progress():
                if isinstance(err, Interrupted):
                    err.kept = work.path
            else:
                shutil.rmtree(work.path, ignore_errors=True)
            raise
        shutil.rmtree(work.path / RESUME, ignore_errors=True)
        move_into_place(work.path, final)


def _remove_stale(final: Path, work: Path) -> None:
    """Half-written folders of killed processes: the hidden random-named build folders
    of earlier versions (``.<name>.partial-*``) and atomic writes inside the work dir."""
    for stale in [
        *final.parent.glob(f".{final.name}.partial-*"),
        *work.rglob(".*.partial-*"),
    ]:
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)


@contextlib.contextmanager
def _exclusive(lock: Path, final: Path) -> Iterator[None]:
    """One process per work dir: a second run into the same run dir is refused."""
    try:
        import fcntl
    except ImportError:  # Windows: no check
        yield
        return
    with open(lock, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UserError(
                f"{final}: another adaptxfer run is building this run dir (in "
                f"{lock.parent.parent}); wait for it or choose another --output-dir"
            ) from None
        yield
