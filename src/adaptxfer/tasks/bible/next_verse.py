"""Next-verse selection: a verse and four candidate continuations from the same book;
the verse that really follows it (same chapter) is the answer.

The three distractors are other verses of the same book, drawn at random but never from
the anchor's own neighbourhood (within ``NEIGHBOURHOOD`` verses in its chapter) and never
with the true continuation's text; the answer's position is drawn at random. Anchors and
draws are seeded by the verse reference, not the language, so every language asks the
same questions wherever its translation has the verses (one text per language,
``PREFERRED``: the World English Bible for English). Splits are by book (:mod:`.splits`).
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from adaptxfer.tasks.bible.corpus import Ref, split_verses
from adaptxfer.tasks.bible.splits import check_split
from adaptxfer.tasks.bible.translations import PREFERRED, check_language

if TYPE_CHECKING:
    import datasets

CHOICES = 4
NEIGHBOURHOOD = 3


def _rank(seed: int, ref: Ref) -> bytes:
    return hashlib.blake2b(
        f"next:{seed}:{ref[0]}.{ref[1]}.{ref[2]}".encode(), digest_size=8
    ).digest()


def _distractors(
    rng: random.Random, book: list[Ref], ref: Ref, text: Any, answer: str
) -> list[str] | None:
    """``CHOICES - 1`` distinct verse texts of the book, far from ``ref``, not ``answer``."""
    picked: list[str] = []
    for _ in range(50 * CHOICES):
        if len(picked) == CHOICES - 1:
            return picked
        other = book[rng.randrange(len(book))]
        near = other[1] == ref[1] and abs(other[2] - ref[2]) <= NEIGHBOURHOOD
        if not near and text[other] != answer and text[other] not in picked:
            picked.append(text[other])
    return picked if len(picked) == CHOICES - 1 else None


@lru_cache(maxsize=64)
def _questions(lang: str, split: str, seed: int) -> tuple[dict[str, Any], ...]:
    text = split_verses(PREFERRED[check_language(lang)], check_split(split))
    by_book: dict[int, list[Ref]] = defaultdict(list)
    for ref in text:
        by_book[ref[0]].append(ref)
    rows = []
    for ref in sorted(text, key=lambda r: _rank(seed, r)):
        book, chapter, verse = ref
        answer = (book, chapter, verse + 1)
        if answer not in text:
            continue
        rng = random.Random(_rank(seed, ref))
        picked = _distractors(rng, by_book[book], ref, text, text[answer])
        if picked is None:
            continue
        label = rng.randrange(CHOICES)
        picked.insert(label, text[answer])
        rows.append(
            {"id": f"{book}.{chapter}.{verse}", "context": "", "question": text[ref],
             "choices": picked, "label": label}
        )  # fmt: skip
    return tuple(rows)


def next_verse_questions(
    lang: str, split: str, *, seed: int = 0, max_examples: int | None = None
) -> datasets.Dataset:
    """Multiple-choice rows (``id``, ``context`` (empty), ``question`` = the verse,
    ``choices``, ``label``); the first ``max_examples`` in a seeded order, so smaller
    samples are nested in larger ones and languages share their questions."""
    from adaptxfer.tasks.packaged.columns import multiple_choice_features
    from adaptxfer.tasks.packaged.splits import to_dataset

    rows = _questions(lang, split, seed)
    if max_examples is not None:
        rows = rows[:max_examples]
    return to_dataset(rows, multiple_choice_features())
