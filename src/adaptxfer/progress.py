"""Progress bars for every long step (tqdm on the console's stderr, even while other
libraries' output goes to run.log; ``ADAPTXFER_PROGRESS=0`` hides them)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm.auto import tqdm

from adaptxfer.run_log import console

T = TypeVar("T")


def enabled() -> bool:
    return os.environ.get("ADAPTXFER_PROGRESS", "1") not in ("0", "false", "no")


def progress_bar(
    items: Iterable[T],
    description: str = "",
    total: int | None = None,
    unit: str = "it",
    leave: bool = False,
) -> Iterator[T]:
    """Wrap an iterable in a progress bar that disappears when done unless ``leave``."""
    return iter(_bar(items, description, total, unit, leave))


def manual_bar(total: int, description: str, unit: str = "step") -> tqdm:
    """A bar advanced by hand (``bar.update(n)``, ``bar.set_postfix(...)``)."""
    return _bar(None, description, total, unit, leave=False)


def _bar(
    items: Iterable[T] | None, description: str, total: int | None, unit: str, leave: bool
) -> tqdm:
    return tqdm(
        items,
        desc=description,
        total=total,
        unit=unit,
        leave=leave,
        disable=not enabled(),
        dynamic_ncols=True,
        file=console(),
    )
