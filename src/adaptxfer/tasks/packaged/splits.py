"""Fixed train/dev/test splits for sources that have none: by a hash of a group key.

Each item's group (a Wikipedia page, a review, a Winograd sentence, ...) is hashed with
BLAKE2b together with the task name; the hash, read as a number in [0, 1), puts the whole
group in test (below ``test``), dev (below ``test + dev``) or train. The split therefore
depends only on the data, never on the machine, the seed or the order of the file, and
no group is in two splits. Sizes are close to the fractions, not exactly equal to them;
each task documents its counts.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from adaptxfer.errors import UnknownNameError
from adaptxfer.tasks.spec import SPLITS

T = TypeVar("T")


@dataclass(frozen=True)
class SplitFractions:
    """Shares of the groups that go to dev and to test; the rest trains."""

    dev: float
    test: float

    def __post_init__(self) -> None:
        if not (0 < self.dev < 1 and 0 < self.test < 1 and self.dev + self.test < 1):
            raise ValueError(f"bad split fractions {self}")

    def split_of(self, salt: str, group: str) -> str:
        digest = hashlib.blake2b(f"{salt}\x00{group}".encode(), digest_size=8).digest()
        position = int.from_bytes(digest, "big") / 2**64
        if position < self.test:
            return "test"
        if position < self.test + self.dev:
            return "dev"
        return "train"


def check_split(split: str) -> str:
    if split not in SPLITS:
        raise UnknownNameError("split", split, SPLITS)
    return split


def sample(rows: Sequence[T], seed: int, max_examples: int | None) -> list[T]:
    """All rows, or ``max_examples`` of them drawn with ``seed`` (kept in source order)."""
    if max_examples is None or max_examples >= len(rows):
        return list(rows)
    if max_examples < 1:
        raise ValueError(f"max_examples must be at least 1, got {max_examples}")
    chosen = sorted(random.Random(seed).sample(range(len(rows)), max_examples))
    return [rows[i] for i in chosen]


def to_dataset(rows: Sequence[dict[str, Any]], features: dict[str, Any]) -> Any:
    """Rows (dicts) as a ``datasets.Dataset`` with the given feature types."""
    import datasets

    columns = {name: [row[name] for row in rows] for name in features}
    return datasets.Dataset.from_dict(columns, features=datasets.Features(features))
