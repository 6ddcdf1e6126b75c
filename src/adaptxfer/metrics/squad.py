"""Extractive QA: exact match and token F1 as the SQuAD / MLQA evaluation scripts.

XTREME scores XQuAD and TyDiQA-GoldP with the SQuAD v1.1 script (English normalisation in
every language) and MLQA with ``mlqa_evaluation_v1.py`` (per-language normalisation); see
:mod:`adaptxfer.metrics.qa_normalization`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Literal

from adaptxfer.metrics.qa_normalization import Normalization, answer_tokens, resolve_normalization


def _f1(pred: list[str], gold: list[str], version: str) -> float:
    if version == "2.0" and (not pred or not gold):
        # v2.0: an empty answer is right only against an empty answer.
        return float(pred == gold)
    same = sum((Counter(pred) & Counter(gold)).values())
    if same == 0:  # v1.1 also lands here for empty/empty: EM 1 but F1 0, as the script
        return 0.0
    precision, recall = same / len(pred), same / len(gold)
    return 2 * precision * recall / (precision + recall)


def squad_scores(
    predictions: Mapping[str, str],
    references: Mapping[str, Sequence[str]],
    *,
    lang: str = "en",
    version: Literal["1.1", "2.0"] = "1.1",
    normalization: Normalization | None = None,
) -> dict[str, float]:
    """``{"exact_match", "f1"}`` in percent: per question the best score over its gold
    answers, averaged over all questions in ``references``.

    A question missing from ``predictions`` scores 0 (both scripts print "Unanswered
    question ... will receive score 0" in v1.1; we apply the same rule to v2.0, whose
    script would instead skip it). Predictions for ids not in ``references`` are ignored,
    as in the scripts.

    ``normalization``: ``"squad"`` or ``"mlqa"``; ``None`` picks SQuAD rules for
    ``lang="en"`` and MLQA rules for the other MLQA languages. Pass ``"mlqa"`` explicitly
    to score MLQA-en exactly as XTREME does (it differs from SQuAD's rules only in also
    dropping non-ASCII punctuation).

    Version ``"2.0"``: gold answers that normalise to nothing are dropped and a question
    with none left is unanswerable (its gold is the empty answer); an empty prediction
    then scores 1 for EM and F1. Adds ``HasAns_exact_match``/``HasAns_f1`` and
    ``NoAns_exact_match``/``NoAns_f1`` for the subsets that are present.
    """
    if version not in ("1.1", "2.0"):
        raise ValueError(f"squad_scores: version must be '1.1' or '2.0', got {version!r}")
    rules = resolve_normalization(lang, normalization)
    if not references:
        raise ValueError("squad_scores: no questions in references")

    exact: dict[str, float] = {}
    f1: dict[str, float] = {}
    answerable: dict[str, bool] = {}
    for qid, answers in references.items():
        if isinstance(answers, str):
            raise ValueError(
                f"squad_scores: references[{qid!r}] is a string; expected a list of answers"
            )
        golds = [answer_tokens(a, lang, rules) for a in answers]
        if version == "2.0":
            golds = [g for g in golds if g] or [[]]
        elif not golds:
            raise ValueError(
                f"squad_scores: question {qid!r} has no gold answer; SQuAD v1.1 needs at "
                "least one (use version='2.0' for unanswerable questions)"
            )
        answerable[qid] = golds != [[]]
        if qid not in predictions:
            exact[qid] = f1[qid] = 0.0
            continue
        prediction = predictions[qid]
        if not isinstance(prediction, str):
            raise ValueError(
                f"squad_scores: prediction for {qid!r} is {type(prediction).__name__}, "
                "expected a string"
            )
        pred = answer_tokens(prediction, lang, rules)
        exact[qid] = max(float(pred == g) for g in golds)
        f1[qid] = max(_f1(pred, g, version) for g in golds)

    def mean(ids: list[str], values: dict[str, float]) -> float:
        return 100.0 * sum(values[q] for q in ids) / len(ids)

    every = list(references)
    scores = {"exact_match": mean(every, exact), "f1": mean(every, f1)}
    if version == "2.0":
        for name, flag in (("HasAns", True), ("NoAns", False)):
            subset = [q for q in every if answerable[q] is flag]
            if subset:
                scores[f"{name}_exact_match"] = mean(subset, exact)
                scores[f"{name}_f1"] = mean(subset, f1)
    return scores


def _task_values(scores: Mapping[str, float]) -> dict[str, float]:
    """F1, EM and XTREME's QA task score (EM + F1) / 2 (``evaluate.py``'s ``avg_metric``:
    the mean of the language averages of EM and F1, which is the language average of this)."""
    return {
        "f1": scores["f1"],
        "exact_match": scores["exact_match"],
        "em_f1": (scores["exact_match"] + scores["f1"]) / 2,
    }


def squad_scorer(
    predictions: Mapping[str, str], references: Mapping[str, Sequence[str]], lang: str
) -> dict[str, float]:
    """XQuAD and TyDiQA-GoldP: the SQuAD v1.1 script (English normalisation everywhere)."""
    return _task_values(squad_scores(predictions, references, lang="en", normalization="squad"))


def squad_v2_scorer(
    predictions: Mapping[str, str], references: Mapping[str, Sequence[str]], lang: str
) -> dict[str, float]:
    """SQuAD 2.0 (an intermediate task): unanswerable questions expect an empty answer."""
    scores = squad_scores(predictions, references, lang="en", version="2.0", normalization="squad")
    return _task_values(scores)


def mlqa_scorer(
    predictions: Mapping[str, str], references: Mapping[str, Sequence[str]], lang: str
) -> dict[str, float]:
    """MLQA: ``mlqa_evaluation_v1.py``'s normalisation in the answer's language, English too."""
    return _task_values(squad_scores(predictions, references, lang=lang, normalization="mlqa"))
