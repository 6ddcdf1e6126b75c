"""BUCC bitext mining: margin-scored candidates, the F1-optimal threshold, and F1.

As XTREME's ``utils_retrieve.py`` (after LASER):

- Identical sentences are merged before mining (``text_load_unify``) and every candidate
  that involves a text occurring more than once on its side is dropped afterwards
  (``read_sent2id`` keeps only texts with one id); gold pairs stay as they are, so a gold
  pair with a repeated text can never be found (:func:`mine_texts`). Texts are compared
  after stripping surrounding whitespace.
- Each sentence's candidates are its k nearest neighbours on the other side by cosine;
  each candidate is scored by margin and the best one kept, in both directions. XTREME
  mines with ``margin="ratio"``, k = 4 and the ``"max"`` strategy: forward and backward
  best pairs pooled, sorted by score and taken greedily so that every source and every
  target sentence is used at most once (:func:`mine_candidates`).
- The threshold sweep (:func:`bucc_optimal_threshold`) walks the candidates from the
  highest score down, in their given order among equal scores, and after each one puts
  the cut midway to the next score, taking a cut only when F1 strictly improves. A cut
  between equal scores therefore sits on that score, and ``score >= threshold`` then
  extracts every tied candidate, as the reference does.
- The threshold is tuned on the dev split's gold and applied to the test split (BUCC's
  protocol, the default); XTREME's code instead re-tunes it on the gold of whichever split
  it scores, which :class:`Mined` offers as the "oracle" protocol (:func:`bucc_scorer`).

Differences from the reference: no score floor at mining time (XTREME drops "max" pairs
with score <= 0, XTREME-R keeps all; the tuned threshold decides); equal scores keep a
stable order (forward before backward) where the reference's numpy sort leaves it open;
when the best cut keeps every candidate the threshold is the last score (the reference
raises IndexError there).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import torch

from adaptxfer.errors import UnknownNameError
from adaptxfer.metrics.retrieval import Margin, check_k, knn, margin_function, normalized_pair

Mode = Literal["forward", "backward", "intersection", "max"]
MODES = ("forward", "backward", "intersection", "max")
Candidate = tuple[Hashable, Hashable, float]


def _best_by_margin(
    sims: torch.Tensor, idx: torch.Tensor, r_own: torch.Tensor, r_other: torch.Tensor, fn: Any
) -> tuple[list[int], list[float]]:
    """For each row: the index of its best-margin kNN candidate and that margin.

    ``sims``/``idx``: the row's kNN cosines and indices on the other side; ``r_own`` and
    ``r_other``: mean kNN cosines of this side's and the other side's rows."""
    scores = fn(sims, (r_own[:, None] + r_other[idx]) / 2)
    pos = scores.argmax(dim=1, keepdim=True)  # first maximum on ties
    return idx.gather(1, pos).squeeze(1).tolist(), scores.gather(1, pos).squeeze(1).tolist()


def _unique_ids(ids: Sequence[Hashable], rows: int, name: str) -> list[Hashable]:
    ids = list(ids)
    if len(ids) != rows:
        raise ValueError(f"mine_candidates: {len(ids)} {name} ids for {rows} embeddings")
    if len(set(ids)) != len(ids):
        raise ValueError(f"mine_candidates: {name} ids are not unique")
    return ids


def mine_candidates(
    source_emb: Any,
    target_emb: Any,
    source_ids: Sequence[Hashable],
    target_ids: Sequence[Hashable],
    *,
    k: int = 4,
    margin: Margin = "ratio",
    mode: Mode = "max",
) -> list[Candidate]:
    """Candidate pairs ``(source_id, target_id, score)``, highest score first.

    ``mode``: ``"forward"`` (best target per source), ``"backward"`` (best source per
    target), ``"intersection"`` (forward pairs that are also backward pairs, with the
    forward score), ``"max"`` (XTREME's default; see the module docstring).
    """
    check_k(k)
    fn = margin_function(margin)
    if mode not in MODES:
        raise UnknownNameError("mining mode", mode, MODES)
    x, y = normalized_pair(source_emb, target_emb)
    src = _unique_ids(source_ids, x.shape[0], "source")
    tgt = _unique_ids(target_ids, y.shape[0], "target")

    sims_xy, idx_xy = knn(x, y, k)
    sims_yx, idx_yx = knn(y, x, k)
    r_x, r_y = sims_xy.mean(dim=1), sims_yx.mean(dim=1)
    fwd_best, fwd_score = _best_by_margin(sims_xy, idx_xy, r_x, r_y, fn)
    bwd_best, bwd_score = _best_by_margin(sims_yx, idx_yx, r_y, r_x, fn)
    forward = [(i, j, s) for i, (j, s) in enumerate(zip(fwd_best, fwd_score, strict=True))]
    backward = [(i, j, s) for j, (i, s) in enumerate(zip(bwd_best, bwd_score, strict=True))]

    if mode == "forward":
        pairs = forward
    elif mode == "backward":
        pairs = backward
    elif mode == "intersection":
        pairs = [(i, j, s) for i, j, s in forward if bwd_best[j] == i]
    else:
        pairs, used_src, used_tgt = [], set(), set()
        for i, j, s in sorted(forward + backward, key=lambda p: -p[2]):
            if i not in used_src and j not in used_tgt:
                used_src.add(i)
                used_tgt.add(j)
                pairs.append((i, j, s))
    pairs = sorted(pairs, key=lambda p: -p[2])
    return [(src[i], tgt[j], float(s)) for i, j, s in pairs]


def _best_scores(candidates: Iterable[Candidate]) -> dict[tuple[Hashable, Hashable], float]:
    """One score per pair (the highest, as the reference's candidate-to-score map)."""
    best: dict[tuple[Hashable, Hashable], float] = {}
    for src, tgt, score in candidates:
        pair = (src, tgt)
        best[pair] = max(score, best.get(pair, score))
    return best


def _gold_set(gold: Iterable[tuple[Hashable, Hashable]]) -> set[tuple[Hashable, Hashable]]:
    pairs = {tuple(p) for p in gold}
    if not pairs:
        raise ValueError("BUCC: the gold set is empty; F1 is undefined")
    return pairs  # type: ignore[return-value]


def _prf(correct: int, extracted: int, gold: int) -> tuple[float, float, float]:
    if correct == 0:
        return 0.0, 0.0, 0.0
    precision, recall = correct / extracted, correct / gold
    return precision, recall, 2 * precision * recall / (precision + recall)


def bucc_optimal_threshold(
    candidates: Iterable[Candidate], gold: Iterable[tuple[Hashable, Hashable]]
) -> float:
    """The score threshold that maximises F1 of ``{pairs with score >= threshold}``,
    with XTREME's tie rule (see the module docstring).

    Returns 0.0 when no cut has a correct pair, as the reference does.
    """
    gold_pairs = _gold_set(gold)
    items = sorted(_best_scores(candidates).items(), key=lambda item: -item[1])
    threshold, best_f1, correct = 0.0, 0.0, 0
    for n, (pair, score) in enumerate(items, start=1):
        correct += pair in gold_pairs
        f1 = _prf(correct, n, len(gold_pairs))[2]
        if f1 > best_f1:
            best_f1 = f1
            threshold = (score + items[n][1]) / 2 if n < len(items) else score
    return threshold


def bucc_f1(
    candidates: Iterable[Candidate],
    gold: Iterable[tuple[Hashable, Hashable]],
    threshold: float,
) -> dict[str, float]:
    """``{"f1", "precision", "recall"}`` in percent of the pairs with score >= threshold
    against the gold pairs, plus the ``threshold`` used (raw score scale)."""
    gold_pairs = _gold_set(gold)
    extracted = {pair for pair, score in _best_scores(candidates).items() if score >= threshold}
    precision, recall, f1 = _prf(len(extracted & gold_pairs), len(extracted), len(gold_pairs))
    return {
        "f1": 100.0 * f1,
        "precision": 100.0 * precision,
        "recall": 100.0 * recall,
        "threshold": float(threshold),
    }


def unify_texts(
    sentences: Iterable[tuple[Hashable, str]],
) -> tuple[list[str], list[Hashable | None]]:
    """Each distinct text once (in first-seen order, compared stripped) and, per text,
    its id, or ``None`` for a text that occurs more than once."""
    ids: dict[str, Hashable | None] = {}
    for sentence_id, text in sentences:
        key = text.strip()
        ids[key] = None if key in ids else sentence_id
    return list(ids), list(ids.values())


def mine_texts(
    source: Sequence[tuple[Hashable, str]],
    target: Sequence[tuple[Hashable, str]],
    encode: Callable[[list[str], str], Any],
    *,
    k: int = 4,
    margin: Margin = "ratio",
    mode: Mode = "max",
) -> list[Candidate]:
    """XTREME's mining over ``(id, text)`` sentences: merge identical texts, encode each
    distinct text once (``encode(texts, "source" | "target")`` returns their vectors),
    mine, and map back to ids, dropping candidates that involve a repeated text."""
    src_texts, src_ids = unify_texts(source)
    tgt_texts, tgt_ids = unify_texts(target)
    candidates = mine_candidates(
        encode(src_texts, "source"),
        encode(tgt_texts, "target"),
        range(len(src_texts)),
        range(len(tgt_texts)),
        k=k,
        margin=margin,
        mode=mode,
    )
    return [
        (src_ids[i], tgt_ids[j], score)
        for i, j, score in candidates
        if src_ids[i] is not None and tgt_ids[j] is not None
    ]


@dataclass(frozen=True)
class Mined:
    """The candidates mined from the scored split, and what tunes the threshold:
    ``tune_on`` = (dev candidates, dev gold pairs), BUCC's protocol; ``None`` tunes it on
    the scored split's own gold ("oracle", what XTREME's code does)."""

    candidates: list[Candidate]
    tune_on: tuple[list[Candidate], set[tuple[Hashable, Hashable]]] | None = None


def bucc_scorer(
    mined: Mined, gold: Iterable[tuple[Hashable, Hashable]], lang: str
) -> dict[str, float]:
    """The ``bucc`` metric's scorer: F1, precision, recall and the threshold used."""
    gold_pairs = _gold_set(gold)
    tune_candidates, tune_gold = mined.tune_on or (mined.candidates, gold_pairs)
    threshold = bucc_optimal_threshold(tune_candidates, tune_gold)
    return bucc_f1(mined.candidates, gold_pairs, threshold)
