"""Size and content records for folders adaptxfer writes once and trusts later: the
converted backbone in the cache, store entries (trained adapters) and run dirs.

When a folder is complete, :func:`write_record` lists every file in ``integrity.json``
with its size, modification time and sha256. Before the folder is used again,
:func:`check` compares it with the record:

- every recorded file must exist with its recorded size (one ``stat`` per file: a
  truncated or half-copied file is always caught);
- a file whose modification time differs from the record (rewritten in place, copied
  without ``-p``, restored from a backup) is hashed and must match;
- a file whose size and time both match is trusted without reading it, so checking a
  multi-GB backbone costs a few ``stat`` calls, not minutes of hashing.

Hashes computed in this process are remembered (by path, size and time), so a folder
used by many grid cells is hashed at most once per process. Files added later (not in
the record) are ignored. Folders written before records existed are checked
structurally instead (:func:`safetensors_problem`).
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Iterable
from pathlib import Path

from adaptxfer.cache import atomic_write_text
from adaptxfer.output_dirs import INTEGRITY_RECORD

RECORD = INTEGRITY_RECORD
FORMAT = "adaptxfer/integrity-v1"
_CHUNK = 1 << 22

_hashed: dict[tuple[str, int, int], str] = {}  # (path, size, mtime_ns) -> sha256
_announced: set[str] = set()


def file_sha256(path: Path) -> str:
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _hashed:
        sha = hashlib.sha256()
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(_CHUNK), b""):
                sha.update(chunk)
        _hashed[key] = sha.hexdigest()
    return _hashed[key]


def _files(folder: Path, exclude: Iterable[str]) -> list[Path]:
    """Every regular file under ``folder`` except the record and excluded top-level
    entries (e.g. a run dir's own store, whose entries carry their own records)."""
    skipped = {RECORD, *exclude}
    found = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if relative.parts[0] in skipped or not path.is_file() or path.is_symlink():
            continue
        found.append(path)
    return found


def write_record(folder: Path, *, exclude: Iterable[str] = ()) -> None:
    """Record size, time and sha256 of every file under ``folder`` (call it last, when
    the folder is complete and before it is moved into place)."""
    folder = Path(folder)
    files = {}
    for path in _files(folder, exclude):
        stat = path.stat()
        files[path.relative_to(folder).as_posix()] = {
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "sha256": file_sha256(path),
        }
    record = {"format": FORMAT, "files": files}
    atomic_write_text(folder / RECORD, json.dumps(record, indent=1, sort_keys=True) + "\n")


def has_record(folder: Path) -> bool:
    return (Path(folder) / RECORD).is_file()


def check(folder: Path) -> str | None:
    """Why ``folder`` does not match its record (one line naming the file), else None.
    A folder without a record is checked structurally (see the module docs)."""
    folder = Path(folder)
    if not has_record(folder):
        return _structural_problem(folder)
    try:
        record = json.loads((folder / RECORD).read_text(encoding="utf-8"))
        files = record["files"]
        if record.get("format") != FORMAT or not isinstance(files, dict):
            raise ValueError(f"format {record.get('format')!r}")
    except (OSError, ValueError, KeyError, TypeError) as err:
        return f"{RECORD} is unreadable ({type(err).__name__})"
    for name, entry in files.items():
        path = folder / name
        try:
            stat = path.stat()
            size, mtime, digest = entry["size"], entry["mtime_ns"], entry["sha256"]
        except FileNotFoundError:
            return f"{name} is missing"
        except (OSError, KeyError, TypeError) as err:
            return f"{name}: {RECORD} entry unreadable ({type(err).__name__})"
        if stat.st_size != size:
            return f"{name} has {stat.st_size} bytes, {size} were written"
        if stat.st_mtime_ns != mtime and file_sha256(path) != digest:
            return f"{name} differs from what was written (sha256 mismatch)"
    return None


def _structural_problem(folder: Path) -> str | None:
    for path in sorted(folder.rglob("*.safetensors")):
        problem = safetensors_problem(path)
        if problem is not None:
            return f"{path.relative_to(folder).as_posix()}: {problem}"
    return None


def safetensors_problem(path: Path) -> str | None:
    """Why a safetensors file is not whole (truncated, or not safetensors), without
    reading its tensors: the header must parse and its offsets must end at the file's
    end."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            raw = handle.read(8)
            if len(raw) < 8:
                return f"{size} bytes, shorter than a safetensors header"
            (length,) = struct.unpack("<Q", raw)
            if length > size - 8:
                return (
                    f"truncated: the header needs {length} bytes, the file has {size - 8} after it"
                )
            header = json.loads(handle.read(length))
    except (OSError, ValueError, UnicodeDecodeError) as err:
        return f"not a readable safetensors file ({type(err).__name__})"
    if not isinstance(header, dict):
        return "not a safetensors header"
    ends = [
        int(t["data_offsets"][1])
        for name, t in header.items()
        if name != "__metadata__" and isinstance(t, dict) and "data_offsets" in t
    ]
    expected = 8 + length + max(ends, default=0)
    if size != expected:
        return f"{size} bytes, but its header describes {expected}"
    return None


def usable(folder: Path, what: str, action: str) -> bool:
    """Whether ``folder`` matches its record; if not, one notice (what it is, why, and
    ``action``, what happens next) and False."""
    problem = check(folder)
    if problem is None:
        return True
    announce(what, folder, problem, action)
    return False


def announce(what: str, folder: Path, problem: str, action: str) -> None:
    """One line per damaged folder and process (console and log): what, where, why,
    what next."""
    from adaptxfer.run_log import say

    key = str(Path(folder).resolve())
    if key in _announced:
        return
    _announced.add(key)
    say(f"{what} {folder} is damaged ({problem}); {action}")
