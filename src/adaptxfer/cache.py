"""Where adaptxfer keeps converted models and trained adapters, and how it writes them.

Writes go through :func:`atomic_dir`: the content is built in a temporary sibling folder
and renamed into place only when complete, so a killed process never leaves a folder that
looks finished.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

CACHE_ENV = "ADAPTXFER_CACHE"


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _usual_mode(path: Path, mode: int) -> None:
    """Give a ``tempfile`` creation (0700/0600) the mode a plain mkdir/open would have."""
    os.chmod(path, mode & ~_umask())


def _usual_modes(folder: Path) -> None:
    """Give everything under ``folder`` the modes a plain mkdir/open would have.

    Libraries write privately: safetensors (and so peft's and adapters' savers) creates
    weight files 0600, ``tempfile`` folders are 0700. A shared store or cache must be
    readable by whoever the user's umask lets read it, like every other file.
    """
    umask = _umask()
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o777 & ~umask)
        for name in files:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                os.chmod(path, 0o666 & ~umask)


def cache_dir() -> Path:
    """The root cache folder: ``$ADAPTXFER_CACHE`` or ``~/.cache/adaptxfer``."""
    root = os.environ.get(CACHE_ENV)
    path = Path(root).expanduser() if root else Path.home() / ".cache" / "adaptxfer"
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def atomic_dir(final: Path) -> Iterator[Path]:
    """Yield a temporary folder that becomes ``final`` only if the block succeeds.

    An existing ``final`` is replaced only after the new content is complete, so an
    earlier result is never lost to a failed rewrite. Everything in it gets the modes the
    umask gives (see :func:`_usual_modes`).
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.partial-", dir=final.parent))
    _usual_mode(tmp, 0o777)
    try:
        yield tmp
        move_into_place(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def move_into_place(built: Path, final: Path) -> None:
    """Rename the complete folder ``built`` to ``final``, replacing an existing ``final``
    only now (it is moved aside first, then removed); everything in it gets the modes
    the umask gives (see :func:`_usual_modes`)."""
    _usual_modes(built)
    if final.exists():
        old = final.with_name(f".{final.name}.old-{os.getpid()}")
        final.rename(old)
        built.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        built.rename(final)


def atomic_write_text(path: Path, text: str) -> None:
    """Write a text file so readers see either the old or the new content, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    _usual_mode(Path(tmp), 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def exclusive_lock(lock_path: Path) -> Iterator[bool]:
    """Hold an exclusive advisory file lock (waiting for it), so that concurrent processes
    build a shared thing once: the others wait, then find it complete.

    Yields False where file locks are unavailable (no ``fcntl``, e.g. Windows); atomic
    writes alone still guarantee that no half-written folder ever looks complete.
    """
    try:
        import fcntl
    except ImportError:
        yield False
        return
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
