"""Paraphrase identification from verse-aligned translations of one language.

A positive pair is the same verse in two translations (e.g. KJV and WEB). A negative pair
is hard: the first translation's verse against a *neighbouring* verse (same chapter, at
most ``WINDOW`` verses away) of the second translation. Neighbours share names, topic and
style, so topic words alone do not separate the classes. Among them we take the one with
the highest word overlap (Jaccard) with the first sentence, less ``LENGTH_WEIGHT`` times
the absolute log length ratio between the neighbour and the true counterpart (one twice
as long loses 0.35 of overlap): without that term the length ratio alone gets ~73% on
English dev, with it ~60% (:func:`length_baseline_accuracy`). Neighbours with the same
text as the verse itself (refrains such as Psalm 136's) are never negatives.

Word overlap itself stays a strong cue (:func:`overlap_baseline_accuracy`, ~90% on
English dev): two translations of one verse share many words, however the negative is
chosen. A model must beat that, not 50%, to show it reads meaning.

Each verse of a translation pair gives one example, positive or negative, drawn at random
with exactly as many of each; which translation comes first is random per example. Ids
name both verses, ``"k:43.3.16|4:43.3.16"`` (translation code: book.chapter.verse), for
error analysis; they reveal the label, so never feed them to a model.
"""

from __future__ import annotations

import math
import random
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from itertools import combinations
from typing import TYPE_CHECKING, Any

from adaptxfer.errors import UnsupportedError
from adaptxfer.tasks.bible.corpus import Ref, split_verses
from adaptxfer.tasks.bible.splits import check_split
from adaptxfer.tasks.bible.translations import PARAPHRASE, check_language

if TYPE_CHECKING:
    import datasets

WINDOW = 3
LENGTH_WEIGHT = 0.5
_WORD = re.compile(r"\w+")

Row = tuple[str, str, str, int]  # id, sentence1, sentence2, label


def _words(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(text.lower()))


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _ref(code: str, ref: Ref) -> str:
    return f"{code}:{ref[0]}.{ref[1]}.{ref[2]}"


def _hard_negative(
    ref: Ref, first: Mapping[Ref, str], second: Mapping[Ref, str], chapter: Sequence[int]
) -> Ref | None:
    """The neighbour of ``ref`` in ``second`` that makes the hardest negative, if any."""
    book, chap, verse = ref
    anchor, counterpart = first[ref], second[ref]
    anchor_words = _words(anchor)
    best: tuple[float, int, int] | None = None
    for other in chapter:
        if other == verse or abs(other - verse) > WINDOW:
            continue
        cand = (book, chap, other)
        if second[cand] == counterpart or first[cand] == anchor:
            continue
        length_gap = abs(math.log(len(second[cand]) / len(counterpart)))
        score = _overlap(anchor_words, _words(second[cand])) - LENGTH_WEIGHT * length_gap
        key = (score, -abs(other - verse), -other)
        if best is None or key > best:
            best = key
    return None if best is None else (book, chap, -best[2])


def _pair_rows(first_code: str, second_code: str, split: str, seed: int) -> list[Row]:
    first, second = split_verses(first_code, split), split_verses(second_code, split)
    refs = [ref for ref in first if ref in second]
    chapters: dict[tuple[int, int], list[int]] = defaultdict(list)
    for book, chap, verse in refs:
        chapters[book, chap].append(verse)
    rng = random.Random(f"paraphrase:{seed}:{split}:{first_code}{second_code}")
    order = list(refs)
    rng.shuffle(order)
    negatives: dict[Ref, Ref] = {}
    half = len(refs) // 2
    for ref in order:
        if len(negatives) == half:
            break
        neg = _hard_negative(ref, first, second, chapters[ref[0], ref[1]])
        if neg is not None:
            negatives[ref] = neg
    half = len(negatives)
    positives = [ref for ref in order if ref not in negatives][:half]
    rows: list[Row] = []
    for ref in sorted([*positives, *negatives]):
        other = negatives.get(ref, ref)
        pair = ((first_code, ref, first[ref]), (second_code, other, second[other]))
        if rng.random() < 0.5:
            pair = (pair[1], pair[0])
        (c1, r1, s1), (c2, r2, s2) = pair
        rows.append((f"{_ref(c1, r1)}|{_ref(c2, r2)}", s1, s2, int(ref not in negatives)))
    return rows


@lru_cache(maxsize=16)
def _rows(lang: str, split: str, seed: int) -> tuple[Row, ...]:
    rows: list[Row] = []
    for first, second in combinations(PARAPHRASE[lang], 2):
        rows.extend(_pair_rows(first, second, split, seed))
    random.Random(f"paraphrase:{seed}:{split}:{lang}").shuffle(rows)
    return tuple(rows)


def _balanced_head(rows: Sequence[Row], max_examples: int | None) -> list[Row]:
    """The first ``max_examples`` of the shuffled rows, half of each label (nested caps)."""
    if max_examples is None:
        return list(rows)
    if max_examples < 1:
        raise UnsupportedError(f"max_examples must be at least 1, got {max_examples}")
    want = {1: (max_examples + 1) // 2, 0: max_examples // 2}
    picked = []
    for row in rows:
        if want[row[3]] > 0:
            want[row[3]] -= 1
            picked.append(row)
    return picked


def paraphrase_pairs(
    lang: str, split: str, *, seed: int = 0, max_examples: int | None = None
) -> datasets.Dataset:
    """Balanced, shuffled paraphrase pairs: columns ``id``, ``sentence1``, ``sentence2``,
    ``label`` (1 = same verse, 0 = hard neighbouring verse)."""
    check_language(lang, sorted(PARAPHRASE))
    check_split(split)
    rows = _balanced_head(_rows(lang, split, seed), max_examples)
    return _dataset(rows)


def _dataset(rows: Sequence[Row]) -> datasets.Dataset:
    import datasets

    features = datasets.Features(
        {
            "id": datasets.Value("string"),
            "sentence1": datasets.Value("string"),
            "sentence2": datasets.Value("string"),
            "label": datasets.Value("int64"),
        }
    )
    columns = list(zip(*rows, strict=True)) if rows else [(), (), (), ()]
    data = {name: list(col) for name, col in zip(features, columns, strict=True)}
    return datasets.Dataset.from_dict(data, features=features)


# -- how much do shallow cues give away? -----------------------------------------------------


def _length_gap(first: str, second: str) -> float:
    return abs(math.log(len(first) / len(second)))


def _word_distance(first: str, second: str) -> float:
    return 1.0 - _overlap(_words(first), _words(second))


def _scored(feature: Callable[[str, str], float], data: Any) -> list[tuple[float, int]]:
    columns = (data["sentence1"], data["sentence2"], data["label"])
    return [(feature(s1, s2), int(y)) for s1, s2, y in zip(*columns, strict=True)]


def threshold_accuracy(feature: Callable[[str, str], float], fit: Any, evaluate: Any) -> float:
    """Accuracy on ``evaluate`` of "paraphrase iff feature(s1, s2) <= t", t best on ``fit``."""
    scored = sorted(_scored(feature, fit))
    negatives = sum(1 for _, y in scored if y == 0)
    best, threshold = negatives, -math.inf  # t = -inf: everything "not a paraphrase"
    below = 0  # (positives - negatives) at or below the candidate threshold
    for i, (value, label) in enumerate(scored):
        below += 1 if label else -1
        if i + 1 < len(scored) and scored[i + 1][0] == value:
            continue
        if negatives + below > best:
            best, threshold = negatives + below, value
    pairs = _scored(feature, evaluate)
    return sum(int(v <= threshold) == y for v, y in pairs) / max(len(pairs), 1)


def length_baseline_accuracy(fit: Any, evaluate: Any) -> float:
    """Accuracy from the two sentences' length ratio alone (threshold fit on ``fit``)."""
    return threshold_accuracy(_length_gap, fit, evaluate)


def overlap_baseline_accuracy(fit: Any, evaluate: Any) -> float:
    """Accuracy from word overlap (Jaccard) alone (threshold fit on ``fit``)."""
    return threshold_accuracy(_word_distance, fit, evaluate)
