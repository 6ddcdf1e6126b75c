"""Checks on a user's ``--output-dir`` made before any work: adaptxfer never deletes or
replaces anything it did not create.

A run dir may be new, empty, the log of a failed run (``run.log`` alone, replaced by the
next run), or a finished adaptxfer run (``results.json``), which only ``--overwrite``
replaces, and only when it holds nothing but what a run writes. A grid dir may be new,
empty, or an earlier grid (``grid.json``), which is resumed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from adaptxfer.errors import UserError

RESULTS_JSON = "results.json"
GRID_JSON = "grid.json"
GRID_LOCK = ".grid.lock"  # held by the `adaptxfer grid` driving a grid dir
RUN_LOG = "run.log"  # other libraries' messages, in full (adaptxfer.run_log)
FAILED_RUN_LOG = "run.failed.log"  # a failed --overwrite's log, beside the earlier run
LOG_HEADER = "# adaptxfer log"  # the first line of every log adaptxfer writes
INTEGRITY_RECORD = "integrity.json"  # a complete folder's record (adaptxfer.integrity)
TRACKING_DIR = "tracking"  # adaptxfer.tracking's default log dir, in the run dir
# Everything `adaptxfer run` writes into a run dir.
RUN_ENTRIES = frozenset(
    {
        RESULTS_JSON,
        "results.md",
        "recipe.yaml",
        "store",
        "artifacts",
        TRACKING_DIR,
        RUN_LOG,
        FAILED_RUN_LOG,
        INTEGRITY_RECORD,
    }
)


def safe_name(text: str) -> str:
    """``text`` as one file or folder name (runs of other characters become ``_``)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


def _usable_location(given: Path, flag: str) -> Path:
    """The absolute path for ``given`` (so ``-o .`` has a name), after checking that it
    can be a directory: no part of it is a file and its nearest existing folder is
    writable."""
    path = Path(os.path.abspath(given.expanduser()))
    if path == path.parent:
        raise UserError(f"{flag} {given}: the filesystem root cannot be an output directory")
    for ancestor in (path, *path.parents):
        if ancestor.exists():
            if not ancestor.is_dir():
                where = "is a file" if ancestor == path else f"lies under the file {ancestor}"
                raise UserError(f"{flag} {given}: {where}, not a directory")
            if not os.access(ancestor, os.W_OK | os.X_OK):
                raise UserError(f"{flag} {given}: {ancestor} is not writable")
            break
    return path


def _entries(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir()) if path.is_dir() else []


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:5])
    return shown + (f", … ({len(names)} in all)" if len(names) > 5 else "")


def is_failed_run(path: Path) -> bool:
    """A folder holding only the log adaptxfer kept of a run that failed."""
    if _entries(path) != [RUN_LOG]:
        return False
    try:
        with open(path / RUN_LOG, encoding="utf-8") as handle:
            return handle.readline().startswith(LOG_HEADER)
    except (OSError, UnicodeDecodeError):
        return False


def claim_run_dir(given: Path, overwrite: bool, flag: str = "--output-dir") -> Path:
    """Validate a run's output dir before any work; return it as an absolute path."""
    path = _usable_location(Path(given), flag)
    entries = _entries(path)
    if not entries or is_failed_run(path):
        return path
    if RESULTS_JSON not in entries:
        raise UserError(
            f"{flag} {given}: the folder is not empty and is not an adaptxfer run (no "
            f"{RESULTS_JSON}; it holds {_listing(entries)}); nothing was changed — choose a "
            "new or empty folder"
        )
    if not overwrite:
        raise UserError(
            f"{flag} {given}: already holds a finished run ({RESULTS_JSON}); choose another "
            "directory or pass --overwrite"
        )
    foreign = [name for name in entries if name not in RUN_ENTRIES]
    if foreign:
        raise UserError(
            f"{flag} {given}: --overwrite replaces only what a run wrote, but this run dir "
            f"also holds {_listing(foreign)}; move those away or choose another folder"
        )
    return path


def claim_grid_dir(given: Path, flag: str = "--output-dir") -> Path:
    """Validate a grid's output dir: new, empty, or an earlier grid (resumed)."""
    path = _usable_location(Path(given), flag)
    entries = [name for name in _entries(path) if name != GRID_LOCK]
    if entries and GRID_JSON not in entries:
        raise UserError(
            f"{flag} {given}: the folder is not empty and is not an adaptxfer grid (no "
            f"{GRID_JSON}; it holds {_listing(entries)}); nothing was changed — choose a "
            "new or empty folder, or an earlier grid's folder to resume it"
        )
    return path
