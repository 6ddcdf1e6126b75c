"""A content-addressed store of trained intermediate adapters.

The key is a hash of exactly the settings that determine an adapter (backbone,
quantisation, method, the chain of intermediate tasks, training settings, seed, data
settings). Any target, composition or recipe that needs the same adapter gets the same
folder, so each intermediate adapter is trained once per study, and a crashed study
resumes without retraining what finished. An adapter being trained keeps its step
checkpoints in ``.checkpoints/<key>`` (:meth:`AdapterStore.checkpoints`), so a killed
training resumes where it stopped; they are removed once the entry is complete.

Each entry carries an integrity record (:mod:`adaptxfer.integrity`) written when it is
complete; an entry that no longer matches it (a truncated adapter, a half-copied store)
is rebuilt, with a one-line notice, as if it were absent.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from adaptxfer import integrity
from adaptxfer.artifacts import is_artifact
from adaptxfer.cache import atomic_dir, exclusive_lock

KEY_VERSION = 1
EVENTS = "events.jsonl"
LOCKS = ".locks"  # one lock file per key, held while that adapter is being built
CHECKPOINTS = ".checkpoints"  # step checkpoints of adapters being trained, per key


def content_key(spec: dict[str, Any]) -> str:
    canonical = json.dumps({"v": KEY_VERSION, **spec}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:20]


class AdapterStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, spec: dict[str, Any]) -> Path:
        return self.root / content_key(spec)

    def checkpoints(self, spec: dict[str, Any]) -> Path:
        """Where the training of ``spec``'s adapter keeps its step checkpoints."""
        return self.root / CHECKPOINTS / content_key(spec)

    def get(self, spec: dict[str, Any]) -> Path | None:
        """The entry for ``spec`` if it is complete and undamaged, else None."""
        return self.entry(content_key(spec))

    def entry(self, key: str) -> Path | None:
        """The entry stored under ``key`` if it is complete and undamaged, else None (a
        damaged entry is announced once; the next build replaces it)."""
        path = self.root / key
        if is_artifact(path) and integrity.usable(path, "store entry", "training it again"):
            return path
        return None

    def get_or_build(
        self, spec: dict[str, Any], build: Callable[[Path], None], event: str = "trained"
    ) -> Path:
        """Return the stored artifact for ``spec``, building it (atomically) if absent.

        ``build(tmp)`` writes the artifact into a temporary folder that becomes the
        store entry only when it returns; every build is logged to ``events.jsonl`` as
        ``event`` ("trained", or "pulled" for an adapter downloaded from the Hub).
        """
        found = self.get(spec)
        if found is not None:
            return found
        path = self.path(spec)
        with self._lock(path.name):
            # Another process (a parallel grid cell) may have built it while we waited.
            found = self.get(spec)
            if found is not None:
                return found
            self._build(spec, path, build, event)
        return path

    def _build(
        self, spec: dict[str, Any], path: Path, build: Callable[[Path], None], event: str
    ) -> None:
        start = time.perf_counter()
        # A killed build's half-written entry (we hold the key's lock: nobody else's).
        for stale in self.root.glob(f".{path.name}.partial-*"):
            shutil.rmtree(stale, ignore_errors=True)
        with atomic_dir(path) as tmp:
            build(tmp)
            (tmp / "spec.json").write_text(
                json.dumps(spec, indent=2, sort_keys=True), encoding="utf-8"
            )
            integrity.write_record(tmp)
        shutil.rmtree(self.checkpoints(spec), ignore_errors=True)
        with contextlib.suppress(OSError):  # the last one: no empty folder left behind
            self.checkpoints(spec).parent.rmdir()
        self._log(
            {
                "event": event,
                "key": path.name,
                "spec": spec,
                "seconds": round(time.perf_counter() - start, 2),
            }
        )

    @contextlib.contextmanager
    def _lock(self, key: str) -> Iterator[None]:
        """An exclusive per-key file lock, so that two processes needing the same adapter
        at once (parallel grid cells) train it once: the second waits, then reuses it.
        Where ``fcntl`` is missing (Windows) builds are unlocked; atomic writes still keep
        the store consistent, at worst an adapter is trained twice."""
        with exclusive_lock(self.root / LOCKS / f"{key}.lock"):
            yield

    def trainings(self) -> list[dict[str, Any]]:
        """Every training this store has logged (one line per trained adapter)."""
        return [e for e in self.events() if e.get("event") == "trained"]

    def events(self) -> list[dict[str, Any]]:
        """Every build this store has logged: trained and pulled adapters."""
        log = self.root / EVENTS
        if not log.exists():
            return []
        return [
            json.loads(line)
            for line in log.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]

    def _log(self, event: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        line = json.dumps({**event, "time": time.strftime("%Y-%m-%dT%H:%M:%S"), "pid": os.getpid()})
        # One short append per event: O_APPEND keeps lines from parallel writers whole.
        with open(self.root / EVENTS, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
