"""Stopping on Ctrl-C (SIGINT) and SIGTERM without losing work.

While a training with step checkpoints runs (:func:`deferred`), a signal is only noted:
the loop finishes its current optimiser step, saves a checkpoint and then stops
(:mod:`adaptxfer.training.checkpoint`), because a step cut in half cannot be resumed
exactly. Anywhere else, under :func:`raising` (the CLI's commands), a signal stops at
once. Either way :class:`Interrupted` is raised; the CLI says what was saved and how to
resume, and exits with the shell's status for the signal (130, 143). A second Ctrl-C
during a step stops at once, keeping the previous checkpoint.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """A command stopped by a signal. A KeyboardInterrupt, so that code recording a
    failure and going on (``except Exception``: a grid cell) lets it through, and code
    that cleans up after Ctrl-C does so for SIGTERM too."""

    def __init__(self, signum: int, saved: str | None = None) -> None:
        super().__init__(signum, saved)  # the same arguments: it pickles (Ray workers)
        self.signum = signum
        self.saved = saved  # "step N of PHASE to PATH", when a checkpoint was written
        self.kept: Path | None = None  # unfinished work kept for the next attempt
        self.run_dir: Path | None = None  # the run dir that a rerun resumes

    def __str__(self) -> str:
        return self.signal_name

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        """What a shell reports for a process ended by this signal: 130, 143."""
        return 128 + self.signum


_requested: int | None = None  # a signal noted during a deferred block
_deferring = 0  # nesting depth of deferred blocks


def requested() -> int | None:
    """The signal received during the current deferred block, if any."""
    return _requested


def _handle(signum: int, frame: Any) -> None:
    global _requested
    if _deferring and _requested is None:
        _requested = signum
        _note(
            f"\n{signal.Signals(signum).name}: stopping after this training step to save a "
            "checkpoint (Ctrl-C again stops at once)"
        )
        return
    raise Interrupted(signum)


def _note(text: str) -> None:
    from adaptxfer.run_log import console

    # A handler can run while the main thread is inside a write to the same stream.
    with contextlib.suppress(Exception):
        print(text, file=console(), flush=True)


def _installable() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def _installed(only_over_defaults: bool) -> Iterator[None]:
    """Our handler for SIGINT and SIGTERM while the block runs (main thread only); with
    ``only_over_defaults``, not over a handler someone else installed (Ray's)."""
    previous: dict[int, Any] = {}
    if _installable():
        for signum in SIGNALS:
            current = signal.getsignal(signum)
            default = current in (signal.SIG_DFL, signal.default_int_handler, None)
            if current is not _handle and (default or not only_over_defaults):
                previous[signum] = current
                signal.signal(signum, _handle)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def raising() -> Iterator[None]:
    """A command's work: SIGINT and SIGTERM raise :class:`Interrupted` (exit 130 / 143
    through the CLI) instead of a bare KeyboardInterrupt or a silent kill."""
    with _installed(only_over_defaults=False):
        yield


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Training with checkpoints: a signal is noted (:func:`requested`), and acted on by
    the caller at the end of the step."""
    global _deferring, _requested
    with _installed(only_over_defaults=True):
        _deferring += 1
        try:
            yield
        finally:
            _deferring -= 1
            if not _deferring:
                _requested = None
