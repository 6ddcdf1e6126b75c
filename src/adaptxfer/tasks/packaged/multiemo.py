"""MultiEmo sentiment (BIG-bench ``multiemo/all_text_<lang>``): the same consumer reviews
(hotels, medicine, products, school) in 11 languages, 4 labels.

The reviews were written in Polish; BIG-bench ships them with translations into en, de,
es, fr, it, ja, nl, pt, ru and zh, in the same order in every file, so review ``i`` is
example ``i`` of each language (checked: labels agree at every position). The Polish
file has one review more, at position :data:`POLISH_EXTRA` (a hotel review no other
language has); it is dropped so that the positions line up (checked too: after it, every
label matches English again).

Splits are by review (:mod:`.splits`, ~80/10/10): a review and all its translations are
in one split, so no review is in two splits in any language. Every language has all
three splits (``train`` too), although the zero-shot protocol trains on English only.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from adaptxfer.errors import DataError, UnknownNameError
from adaptxfer.tasks.packaged.bigbench import examples, gold
from adaptxfer.tasks.packaged.columns import classification_features
from adaptxfer.tasks.packaged.sources import MULTIEMO_LANGUAGES
from adaptxfer.tasks.packaged.splits import SplitFractions, check_split, sample, to_dataset

LABELS: tuple[str, ...] = ("negative", "neutral", "positive", "ambivalent")
FRACTIONS = SplitFractions(dev=0.1, test=0.1)
SALT = "multiemo"
REVIEWS = 8215
POLISH_EXTRA = 6428


def folder(lang: str) -> str:
    return f"multiemo/all_text_{lang}"


def check_language(lang: str) -> str:
    if lang not in MULTIEMO_LANGUAGES:
        raise UnknownNameError("MultiEmo language", lang, MULTIEMO_LANGUAGES)
    return lang


@cache
def reviews(lang: str) -> tuple[tuple[str, int], ...]:
    """(text, label id) of every review, position ``i`` = review ``i`` in every language."""
    items = list(examples(folder(check_language(lang))))
    if lang == "pl":
        del items[POLISH_EXTRA]
    if len(items) != REVIEWS:
        raise DataError(
            f"{folder(lang)}/task.json has {len(items)} reviews; expected {REVIEWS} "
            f"(bigbench 1.0.0)"
        )
    out = []
    for i, item in enumerate(items):
        answer = gold(item, f"{folder(lang)}/task.json, example {i}")
        if answer not in LABELS:
            raise DataError(f"{folder(lang)}/task.json, example {i}: label {answer!r}")
        out.append((item["input"].strip(), LABELS.index(answer)))
    return tuple(out)


@cache
def split_of_review(index: int) -> str:
    return FRACTIONS.split_of(SALT, str(index))


@cache
def rows(lang: str, split: str) -> tuple[dict[str, Any], ...]:
    check_split(split)
    return tuple(
        {"id": f"review-{i}", "sentence1": text, "label": label}
        for i, (text, label) in enumerate(reviews(lang))
        if split_of_review(i) == split
    )


def build(lang: str, split: str, seed: int, max_examples: int | None) -> Any:
    """The split of one language; the same reviews (ids) for a seed in every language."""
    return to_dataset(sample(rows(lang, split), seed, max_examples), classification_features(False))
