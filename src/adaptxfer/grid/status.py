"""How far a grid is, read from its dir alone — for a grid running here, on Ray, or
killed: cells done / running / failed / left, intermediate adapters trained and reused,
elapsed time and an estimate. ``adaptxfer status`` prints it; the grid driver prints its
one-line summary after every cell.

What is on disk says it all: ``grid.json`` (the cells and the intermediate adapters they
need, and when this attempt started), each cell's ``results.json`` (done), a failed run's
kept ``run.log`` (failed), a half-built run dir whose log is locked by a live process
(running; unlocked, it was killed and will run again), the store's artifacts and
``events.jsonl`` (trained, how long) and its build locks (training), and the grid dir's
lock (a driver is running). An adapter serves the first cell that needs it; every other
cell that used it counts as a reuse.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from adaptxfer.artifacts import is_artifact
from adaptxfer.errors import UserError
from adaptxfer.output_dirs import GRID_JSON, GRID_LOCK, RESULTS_JSON, RUN_LOG, is_failed_run
from adaptxfer.run_log import is_locked
from adaptxfer.run_work import work_dir_of
from adaptxfer.store import EVENTS, LOCKS

STORE = "store"  # the grid's adapter store, under the grid dir
CellState = Literal["done", "running", "failed", "left"]
STATES: tuple[CellState, ...] = ("done", "running", "failed", "left")


@dataclass
class CellStatus:
    id: str
    state: CellState
    intermediates: list[str] = field(default_factory=list)  # store keys the cell needs
    seconds: float | None = None  # a finished cell's run time
    finished_at: float | None = None
    note: str = ""  # why it failed, or that a killed attempt left it half-built


@dataclass
class AdapterCounts:
    total: int = 0
    trained: int = 0  # in the store
    training: int = 0  # being built now (the store's lock is held)
    reused: int = 0  # cells (beyond the first) that used an adapter already trained
    mean_seconds: float | None = None  # per training, from the store's log

    @property
    def left(self) -> int:
        return self.total - self.trained - self.training


@dataclass
class GridStatus:
    name: str
    dir: Path
    driver_running: bool
    cells: list[CellStatus]
    adapters: AdapterCounts
    started: float | None  # when the latest attempt began (epoch seconds)
    last_activity: float | None
    now: float = field(default_factory=time.time)

    def count(self, state: CellState) -> int:
        return sum(c.state == state for c in self.cells)

    @property
    def elapsed(self) -> float | None:
        """Seconds of the latest attempt: until now while it runs, else until it stopped."""
        if self.started is None:
            return None
        end = self.now if self.driver_running else (self.last_activity or self.started)
        return max(0.0, end - self.started)

    @property
    def estimate(self) -> float | None:
        """Seconds left: this attempt's pace while it runs, else the mean time per cell
        and per adapter training so far; None before anything finished. A stopped grid's
        failed cells count too: resuming runs them again."""
        remaining = self.count("left") + self.count("running")
        if not self.driver_running:
            remaining += self.count("failed")
        if remaining == 0:
            return 0.0
        if self.driver_running and self.started is not None and self.elapsed:
            now_done = [c for c in self.cells if (c.finished_at or 0) >= self.started]
            if now_done:
                return remaining * self.elapsed / len(now_done)
        seconds = [c.seconds for c in self.cells if c.seconds is not None]
        if not seconds:
            return None
        adapter = (self.adapters.left + self.adapters.training) * (self.adapters.mean_seconds or 0)
        return remaining * sum(seconds) / len(seconds) + adapter

    def summary_line(self) -> str:
        """One line: what the driver prints after each cell."""
        a = self.adapters
        parts = [
            f"cells {self.count('done')}/{len(self.cells)} done, {self.count('running')} "
            f"running, {self.count('failed')} failed, {self.count('left')} left",
            f"adapters {a.trained}/{a.total} trained"
            + (f", {a.training} training" if a.training else "")
            + f", reused {a.reused}×",
        ]
        if self.elapsed is not None:
            parts.append(f"{duration(self.elapsed)} elapsed, {self._estimate_text()}")
        return " | ".join(parts)

    def _estimate_text(self) -> str:
        left = self.estimate
        if left is None:
            return "estimate after the first cell"
        if left == 0:
            return "done"
        return f"~{duration(left)} " + ("left" if self.driver_running else "to finish if resumed")

    def lines(self) -> list[str]:
        """What ``adaptxfer status`` prints."""
        a = self.adapters
        interrupted = sum(c.note == INTERRUPTED for c in self.cells)
        if self.driver_running:
            driver = "running"
        elif self.count("done") == len(self.cells):
            driver = "finished"
        else:
            driver = "not running (stopped: `adaptxfer grid` on this dir resumes it)"
        lines = [
            f"grid {self.name}: {self.dir}",
            f"driver: {driver}",
            f"cells: {len(self.cells)} — {self.count('done')} done, {self.count('running')} "
            f"running, {self.count('failed')} failed, {self.count('left')} left"
            + (f" ({interrupted} interrupted)" if interrupted else ""),
            f"intermediate adapters: {a.total} — {a.trained} trained, {a.training} training, "
            f"{max(a.left, 0)} to train; reused {a.reused} times",
        ]
        if self.started is not None:
            began = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.started))
            lines.append(
                f"time: started {began}, {duration(self.elapsed or 0)} "
                + ("elapsed" if self.driver_running else "until it stopped")
                + f"; {self._estimate_text()}"
            )
        lines += [f"failed {c.id}: {c.note}" for c in self.cells if c.state == "failed"]
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "grid": self.name,
            "dir": str(self.dir),
            "driver_running": self.driver_running,
            "counts": {state: self.count(state) for state in STATES},
            "adapters": {**asdict(self.adapters), "left": max(self.adapters.left, 0)},
            "started": self.started,
            "elapsed_seconds": self.elapsed,
            "estimate_seconds": self.estimate,
            "cells": [
                {k: v for k, v in asdict(c).items() if k != "intermediates"} for c in self.cells
            ],
        }


INTERRUPTED = "interrupted (a killed attempt left it half-built; it resumes from there)"


def duration(seconds: float) -> str:
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def read_status(grid_dir: Path) -> GridStatus:
    """The status of the grid in ``grid_dir`` (what ``adaptxfer grid -o`` wrote)."""
    grid_dir = Path(grid_dir)
    manifest = grid_dir / GRID_JSON
    if not manifest.is_file():
        raise UserError(
            f"{grid_dir}: not a grid dir (no {GRID_JSON}); give the folder that "
            "`adaptxfer grid ... -o DIR` writes"
        )
    try:
        record = json.loads(manifest.read_text(encoding="utf-8"))
        cell_entries = record["cells"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise UserError(f"{manifest}: unreadable grid manifest ({err})") from None
    cells = [
        _cell_status(entry["id"], grid_dir / entry["dir"], entry.get("intermediates", []))
        for entry in cell_entries
    ]
    store = grid_dir / STORE
    keys = [job["key"] for job in record.get("intermediates", [])]
    adapters = _adapter_counts(store, keys, cells)
    activity = [p.stat().st_mtime for p in (grid_dir / RUN_LOG, store / EVENTS) if p.exists()] + [
        c.finished_at for c in cells if c.finished_at
    ]
    return GridStatus(
        name=str(record.get("grid", grid_dir.name)),
        dir=grid_dir,
        driver_running=is_locked(grid_dir / GRID_LOCK),
        cells=cells,
        adapters=adapters,
        started=record.get("started"),
        last_activity=max(activity) if activity else None,
    )


def _cell_status(cell_id: str, run_dir: Path, keys: list[str]) -> CellStatus:
    results = run_dir / RESULTS_JSON
    if results.is_file():
        try:
            seconds = float(json.loads(results.read_text(encoding="utf-8")).get("seconds", 0))
        except (OSError, ValueError, TypeError):
            seconds = None
        return CellStatus(cell_id, "done", keys, seconds, results.stat().st_mtime)
    partials = [work_dir_of(run_dir), *run_dir.parent.glob(f".{run_dir.name}.partial-*")]
    partials = [p for p in partials if p.is_dir()]
    if any(is_locked(p / RUN_LOG) for p in partials):
        return CellStatus(cell_id, "running", keys)
    if is_failed_run(run_dir):
        return CellStatus(cell_id, "failed", keys, note=_failure(run_dir / RUN_LOG))
    return CellStatus(cell_id, "left", keys, note=INTERRUPTED if partials else "")


def _failure(log: Path) -> str:
    """The reason a failed run's log gives: its 'failed:' record, else its last line."""
    lines = [line for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    for line in reversed(lines):
        if " adaptxfer: failed: " in line:
            return line.split(" adaptxfer: failed: ", 1)[1]
    return lines[-1] if len(lines) > 1 else "failed"


def _adapter_counts(store: Path, keys: list[str], cells: list[CellStatus]) -> AdapterCounts:
    counts = AdapterCounts(total=len(keys))
    wanted = set(keys)
    for key in keys:
        if is_artifact(store / key):
            counts.trained += 1
            users = sum(key in c.intermediates for c in cells if c.state in ("done", "running"))
            counts.reused += max(users - 1, 0)
        elif is_locked(store / LOCKS / f"{key}.lock"):
            counts.training += 1
    seconds = []
    events = store / EVENTS
    if events.is_file():
        for line in events.read_text(encoding="utf-8").splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue  # a line cut by a kill
            if event.get("key") in wanted and "seconds" in event:
                seconds.append(float(event["seconds"]))
    counts.mean_seconds = sum(seconds) / len(seconds) if seconds else None
    return counts
