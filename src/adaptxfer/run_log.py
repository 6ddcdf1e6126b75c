"""Other libraries' messages go to the run's ``run.log``, not to the console.

The console shows adaptxfer's own progress bars, a grid's progress and the results.
Everything else — logging records of transformers, datasets, huggingface_hub, peft,
adapters, bitsandbytes (its import-time "Failed to load CPU gemm_4bit_forward" notice),
Python warnings, and what libraries print themselves (datasets' ``Map`` bars) — is
written in full detail (INFO and up, with time and source) to ``run.log`` in the run dir
and, for a grid, to the grid dir's ``run.log`` as well; ``--verbose`` shows it on the
console too.

A live run holds an exclusive lock on its log, which is how ``adaptxfer status`` tells a
running grid cell from one that was killed. A failed run keeps its log: it becomes the
run dir's only entry (a dir that does not look finished, and that the next run into it
replaces), or ``run.failed.log`` beside an earlier finished run that ``--overwrite``
would have replaced. An interrupted run's log stays in its work dir, and the run that
resumes it appends to it (:mod:`adaptxfer.run_work`).
"""

from __future__ import annotations

import contextlib
import io
import logging
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from adaptxfer import __version__
from adaptxfer.cache import atomic_write_text
from adaptxfer.output_dirs import FAILED_RUN_LOG, LOG_HEADER, RESULTS_JSON, RUN_LOG

# Libraries that print through a console handler of their own; their records are sent
# to the root logger's handlers (the log files) instead.
_OWN_HANDLER_LIBRARIES = ("transformers", "datasets", "huggingface_hub")
# adaptxfer's own progress lines (``say``): on the console already, so never echoed.
_SAID = "adaptxfer.said"
# What libraries print themselves, line by line.
_STDOUT, _STDERR = "stdout", "stderr"
_FORMATTER = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")


@dataclass
class _Console:
    """The real stdout/stderr while other libraries' output is being captured."""

    out: TextIO
    err: TextIO
    pending: list[logging.LogRecord] = field(default_factory=list)
    files: int = 0  # log files open now


_console: _Console | None = None


def console() -> TextIO:
    """Where adaptxfer's own progress bars go: the terminal's stderr, even while other
    libraries' output is being captured."""
    return _console.err if _console else sys.stderr


def say(message: str) -> None:
    """One of adaptxfer's own progress lines: on the console and in the open log files."""
    print(message, file=_console.out if _console else sys.stdout, flush=True)
    logging.getLogger(_SAID).info(message)


def route_library_logs() -> None:
    """Send the libraries' records, at INFO and up, to the root logger's handlers (the
    open log files) instead of their own console handlers; Python warnings too."""
    import datasets  # noqa: F401  (each configures its logger on import)
    import huggingface_hub.utils.logging  # noqa: F401
    import transformers.utils.logging

    transformers.utils.logging.get_logger()  # configures its logger if nothing has yet
    for name in _OWN_HANDLER_LIBRARIES:
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            if type(handler) is logging.StreamHandler:
                logger.removeHandler(handler)
        logger.propagate = True
        logger.setLevel(logging.INFO)
    logging.getLogger().setLevel(logging.INFO)
    logging.captureWarnings(True)


class _Pending(logging.Handler):
    """Keeps the records emitted while no log file is open (bitsandbytes' notice comes at
    import, before the run dir exists); the next log file opened receives them."""

    def emit(self, record: logging.LogRecord) -> None:
        if _console is not None and _console.files == 0:
            _console.pending.append(record)


class _LineStream(io.TextIOBase):
    """A stand-in for sys.stdout/stderr: each finished line becomes a log record (of a
    progress bar's carriage-return redraws, only the state at its newline), and with
    ``echo`` the text also goes on to the real stream."""

    def __init__(self, name: str, real: TextIO, echo: bool) -> None:
        super().__init__()
        self._logger = logging.getLogger(name)
        self._real = real
        self._echo = echo
        self._partial = ""
        self._busy = threading.local()
        self._lock = threading.Lock()  # threads (Ray's log forwarding, tqdm's monitor)

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:  # C-level writers (faulthandler) reach the real stream
        return self._real.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def write(self, text: str) -> int:
        if self._echo:
            self._real.write(text)
        if getattr(self._busy, "on", False):  # a handler writing back here: drop, no loop
            return len(text)
        self._busy.on = True
        try:
            with self._lock:
                *lines, rest = (self._partial + text).split("\n")
                self._partial = rest.rsplit("\r", 1)[-1]
            for line in lines:
                shown = line.rstrip("\r").rsplit("\r", 1)[-1].rstrip()
                if shown:
                    self._logger.info(shown)
        finally:
            self._busy.on = False
        return len(text)

    def flush(self) -> None:
        if self._echo:
            self._real.flush()

    def finish(self) -> None:
        if self._partial.strip():
            self._partial += "\n"
            self.write("")


class _ConsoleEcho(logging.Filter):
    """What ``--verbose`` adds to the console: records not already shown there."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.name not in (_SAID, _STDOUT, _STDERR)


@contextlib.contextmanager
def quiet_console(verbose: bool = False) -> Iterator[None]:
    """For a command's work: other libraries' output goes to the log files (and, with
    ``verbose``, to the console as well); adaptxfer's own output stays on the console."""
    global _console
    if _console is not None:  # nested: the outer capture already applies
        yield
        return
    root = logging.getLogger()
    pending = _Pending(logging.INFO)
    root.addHandler(pending)
    real_out, real_err = sys.stdout, sys.stderr
    _console = _Console(real_out, real_err)
    echo = None
    if verbose:
        echo = logging.StreamHandler(real_err)
        echo.setFormatter(_FORMATTER)
        echo.addFilter(_ConsoleEcho())
        root.addHandler(echo)
    streams = [_LineStream(_STDOUT, real_out, verbose), _LineStream(_STDERR, real_err, verbose)]
    sys.stdout, sys.stderr = streams  # type: ignore[assignment]
    try:
        route_library_logs()
        yield
    finally:
        for stream in streams:
            stream.finish()
        sys.stdout, sys.stderr = real_out, real_err
        for handler in (pending, echo):
            if handler is not None:
                root.removeHandler(handler)
        _console = None


class _LogFile(logging.FileHandler):
    def __init__(self, path: Path, append: bool) -> None:
        super().__init__(path, mode="a" if append else "w", encoding="utf-8")
        self.setFormatter(_FORMATTER)
        when = time.strftime("%Y-%m-%d %H:%M:%S")
        self.stream.write(f"{LOG_HEADER} (adaptxfer {__version__}, {when}): {_command()}\n")
        self.flush()


def _command() -> str:
    return " ".join(["adaptxfer", *sys.argv[1:]]) if sys.argv else "adaptxfer"


@contextlib.contextmanager
def log_file(path: Path, *, append: bool = False, lock: bool = False) -> Iterator[Path]:
    """Write every record (at the root logger's level) to ``path`` while the block runs;
    a failure is logged with its traceback. ``lock`` holds an exclusive lock on the file
    meanwhile, so that :func:`is_locked` tells a live run from a killed one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = _LogFile(path, append)
    if _console is not None:
        for record in _console.pending:
            handler.handle(record)
        _console.pending.clear()
        _console.files += 1
    root = logging.getLogger()
    root.addHandler(handler)
    if lock:
        _try_lock(handler.stream)
    try:
        yield path
    except BaseException as err:
        handler.handle(_failure_record(err))
        raise
    finally:
        root.removeHandler(handler)
        handler.close()  # closing the file releases the lock
        if _console is not None:
            _console.files -= 1


def _failure_record(err: BaseException) -> logging.LogRecord:
    if isinstance(err, KeyboardInterrupt):  # Ctrl-C, SIGTERM: no traceback to read
        return logging.getLogger("adaptxfer").makeRecord(
            "adaptxfer",
            logging.WARNING,
            __file__,
            0,
            "interrupted: %s",
            (str(err) or "Ctrl-C",),
            None,
        )
    return logging.getLogger("adaptxfer").makeRecord(
        "adaptxfer", logging.ERROR, __file__, 0, "failed: %r", (err,),
        (type(err), err, err.__traceback__),
    )  # fmt: skip


@contextlib.contextmanager
def run_log(build_dir: Path, run_dir: Path) -> Iterator[Path]:
    """The log of a run built in ``build_dir`` that becomes ``run_dir``; appended to, so
    that a resumed run's log tells every attempt. If the run fails, its log is kept at
    ``run_dir`` (see the module docstring)."""
    path = build_dir / RUN_LOG
    try:
        with log_file(path, append=True, lock=True):
            yield path
    except KeyboardInterrupt:  # the log stays with the work a rerun resumes
        raise
    except BaseException:
        with contextlib.suppress(OSError):
            keep_failed_log(run_dir, path.read_text(encoding="utf-8"))
        raise


def keep_failed_log(run_dir: Path, text: str) -> Path:
    """Write a failed run's log where it does not make ``run_dir`` look finished and
    does not touch an earlier finished run in it."""
    finished = (run_dir / RESULTS_JSON).exists()
    target = run_dir / (FAILED_RUN_LOG if finished else RUN_LOG)
    atomic_write_text(target, text)
    return target


def write_failed_log(run_dir: Path, reason: str) -> Path:
    """The log of a run that was never started (a grid cell whose intermediate failed)."""
    when = time.strftime("%Y-%m-%d %H:%M:%S")
    return keep_failed_log(
        run_dir, f"{LOG_HEADER} (adaptxfer {__version__}, {when}): not run\n{reason}\n"
    )


def _try_lock(stream: TextIO) -> None:
    try:
        import fcntl
    except ImportError:  # Windows: no lock, status cannot see running cells
        return
    with contextlib.suppress(OSError):
        fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def is_locked(path: Path) -> bool:
    """Whether a live process holds ``path``'s lock (a run writing its log, a store build)."""
    try:
        import fcntl
    except ImportError:
        return False
    try:
        with open(path, "rb") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError:
                return True
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            return False
    except OSError:
        return False
