"""Parallel verses for retrieval (Tatoeba-style) and bitext mining (BUCC-style).

Each language contributes one translation (``PREFERRED``: public domain where the package
has one) and English contributes the World English Bible. Only verses present in both
are used, and a verse whose text repeats another verse of the split on either side
(formulae such as "Yahweh spoke to Moses, saying,") is kept once: with two identical
sentences on one side, retrieval and mining would have two right answers and count one
as wrong.

Verses are drawn in the order of a hash of (seed, reference), so samples of different
sizes are nested and different languages share as many verses as they can.
"""

from __future__ import annotations

import hashlib
import random
from functools import lru_cache
from typing import TYPE_CHECKING

from adaptxfer.errors import UnsupportedError
from adaptxfer.tasks.bible.corpus import Ref, split_verses
from adaptxfer.tasks.bible.splits import check_split
from adaptxfer.tasks.bible.translations import PREFERRED, check_language, retrieval_languages

if TYPE_CHECKING:
    import datasets

Aligned = tuple[Ref, str, str]  # reference, pivot text, other-language text


def _rank(seed: int, ref: Ref) -> bytes:
    return hashlib.blake2b(f"{seed}:{ref[0]}.{ref[1]}.{ref[2]}".encode(), digest_size=8).digest()


def _ref_id(ref: Ref) -> str:
    return f"{ref[0]}.{ref[1]}.{ref[2]}"


@lru_cache(maxsize=64)
def aligned_verses(lang: str, split: str, pivot: str = "en") -> tuple[Aligned, ...]:
    """(reference, pivot text, ``lang`` text) for every usable verse of the split, in
    canonical order, without verses whose text repeats on either side."""
    check_language(lang)
    check_language(pivot)
    check_split(split)
    if lang == pivot:
        raise UnsupportedError(f"language {lang!r} is also the pivot; pick another pivot")
    source = split_verses(PREFERRED[pivot], split)
    target = split_verses(PREFERRED[lang], split)
    seen_source: set[str] = set()
    seen_target: set[str] = set()
    rows: list[Aligned] = []
    for ref, text in source.items():
        other = target.get(ref)
        if other is None or text in seen_source or other in seen_target:
            continue
        seen_source.add(text)
        seen_target.add(other)
        rows.append((ref, text, other))
    return tuple(rows)


def _drawn(rows: tuple[Aligned, ...], seed: int) -> list[Aligned]:
    return sorted(rows, key=lambda row: _rank(seed, row[0]))


def _positive(name: str, value: int | None) -> None:
    if value is not None and value < 1:
        raise UnsupportedError(f"{name} must be at least 1, got {value}")


def parallel_verses(
    lang: str, split: str, *, n: int | None = None, seed: int = 0, pivot: str = "en"
) -> datasets.Dataset:
    """``n`` verse pairs (all if ``None`` or more than there are): columns ``id``
    (``"book.chapter.verse"``), ``source`` (pivot language, English by default) and
    ``target`` (``lang``); row i of each side translates the other, in canonical order."""
    import datasets

    check_language(lang, [*retrieval_languages(), "en"])
    _positive("n", n)
    rows = aligned_verses(lang, split, pivot)
    if n is not None and n < len(rows):
        rows = tuple(sorted(_drawn(rows, seed)[:n]))
    return datasets.Dataset.from_dict(
        {
            "id": [_ref_id(ref) for ref, _, _ in rows],
            "source": [s for _, s, _ in rows],
            "target": [t for _, _, t in rows],
        },
        features=datasets.Features(
            {name: datasets.Value("string") for name in ("id", "source", "target")}
        ),
    )


def mining_corpus(
    lang: str, split: str, *, n_gold: int, n_distractors: int, seed: int = 0
) -> datasets.Dataset:
    """A BUCC-style xx->en mining corpus: ``n_gold`` translation pairs hidden among
    ``n_distractors`` sentences per side whose translation is not on the other side.

    Columns: ``side`` ("source" = ``lang``, "target" = English), ``id`` (unique within a
    side, e.g. ``"de-00042"``; assigned after shuffling, so ids say nothing about which
    sentences pair up), ``text`` and ``gold`` (a source sentence's English translation's
    id, or ``""``; always ``""`` on target rows). Source rows come first, each side in id
    order.
    """
    import datasets

    check_language(lang, retrieval_languages())
    _positive("n_gold", n_gold)
    if n_distractors < 0:
        raise UnsupportedError(f"n_distractors must be 0 or more, got {n_distractors}")
    pool = _drawn(aligned_verses(lang, split, "en"), seed)
    need = n_gold + 2 * n_distractors
    if need > len(pool):
        raise UnsupportedError(
            f"the {split!r} split has {len(pool)} usable en-{lang} verse pairs; "
            f"n_gold + 2 * n_distractors = {n_gold} + 2 * {n_distractors} = {need} "
            f"needs more (lower n_gold or n_distractors)"
        )
    gold = pool[:n_gold]
    source_only = pool[n_gold : n_gold + n_distractors]
    target_only = pool[n_gold + n_distractors : need]

    rng = random.Random(f"mining:{seed}:{split}:{lang}")
    sources = [*gold, *source_only]
    targets = [*gold, *target_only]
    rng.shuffle(sources)
    rng.shuffle(targets)
    target_id = {row[0]: f"en-{i:05d}" for i, row in enumerate(targets)}
    gold_refs = {row[0] for row in gold}

    side, ids, texts, golds = [], [], [], []
    for i, (ref, _, text) in enumerate(sources):
        side.append("source")
        ids.append(f"{lang}-{i:05d}")
        texts.append(text)
        golds.append(target_id[ref] if ref in gold_refs else "")
    for ref, text, _ in targets:
        side.append("target")
        ids.append(target_id[ref])
        texts.append(text)
        golds.append("")
    features = datasets.Features(
        {name: datasets.Value("string") for name in ("side", "id", "text", "gold")}
    )
    return datasets.Dataset.from_dict(
        {"side": side, "id": ids, "text": texts, "gold": golds}, features=features
    )
