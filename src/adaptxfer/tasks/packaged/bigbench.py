"""Read BIG-bench task files (``task.json`` from PyPI ``bigbench==1.0.0``, never installed).

A task file holds ``examples``, each ``{"input": str, "target_scores": {answer: 0|1}}``
(some add ``target`` or ``comment``); the answer scored 1 is the gold one, and the order
of ``target_scores`` is the order of the choices. Files have no splits: see
:mod:`.splits`.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from adaptxfer.errors import DataError
from adaptxfer.tasks.packaged.sources import BIGBENCH, bigbench_task_file


@cache
def examples(task: str) -> tuple[dict[str, Any], ...]:
    """Every example of one BIG-bench task (``task`` as a folder, e.g. ``"social_iqa"``)."""
    path = BIGBENCH.path(bigbench_task_file(task))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        items = tuple(data["examples"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise DataError(
            f"{path}: not a readable BIG-bench task file ({err}); delete "
            f"{BIGBENCH.folder} and it is extracted again"
        ) from None
    return items


def gold_index(example: dict[str, Any], where: str) -> int:
    """The position of the single answer scored 1 among ``target_scores``."""
    scores = list(example["target_scores"].values())
    if sorted(scores) != [0] * (len(scores) - 1) + [1]:
        raise DataError(f"{where}: expected exactly one answer scored 1, got {scores}")
    return scores.index(1)


def choices(example: dict[str, Any]) -> list[str]:
    return list(example["target_scores"])


def gold(example: dict[str, Any], where: str) -> str:
    return choices(example)[gold_index(example, where)]
