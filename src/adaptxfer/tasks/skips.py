"""Rows left out of a split by convention, counted and reported (never silently).

Two conventions skip rows instead of failing: a "no gold label" marker (the Hub's ``-1``,
e.g. SNLI), and, in published Hub datasets only, rows that do not fit the task (a user
cannot fix those; the same rows in a local file are errors). Training also drops QA
examples whose answer lies outside every window. Each skip is shown once per process (on
the console and in the run's log) and recorded by every active :func:`collecting` block
(a run puts them in results.json).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Skipped:
    task: str
    lang: str
    split: str
    reason: str
    count: int
    total: int
    source: str

    def describe(self) -> str:
        return (
            f"{self.task} ({self.lang}, {self.split}): skipped {self.count} of {self.total} "
            f"rows: {self.reason} ({self.source})"
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_collectors: ContextVar[tuple[list[Skipped], ...]] = ContextVar("skip_collectors", default=())
_printed: set[Skipped] = set()


def note(skipped: Skipped) -> None:
    """Report a skip: one console line per process, one record per active collector."""
    if skipped not in _printed:
        from adaptxfer.run_log import say

        _printed.add(skipped)
        say(f"note: {skipped.describe()}")
    for collected in _collectors.get():
        if skipped not in collected:
            collected.append(skipped)


@contextlib.contextmanager
def collecting() -> Iterator[list[Skipped]]:
    """Gather every skip noted inside the block (blocks nest; each gets all of them)."""
    collected: list[Skipped] = []
    token = _collectors.set((*_collectors.get(), collected))
    try:
        yield collected
    finally:
        _collectors.reset(token)
