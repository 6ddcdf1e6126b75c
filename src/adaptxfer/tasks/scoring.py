"""Metric names a task can declare, mapped onto :mod:`adaptxfer.metrics`.

Each scorer takes ``(predictions, references, lang)`` and returns named values in percent;
the first key is the task's primary metric (the one tables and averages use).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adaptxfer.errors import UnknownNameError

Scorer = Callable[[Any, Any, str], dict[str, float]]


def _accuracy(predictions: Any, references: Any, lang: str) -> dict[str, float]:
    from adaptxfer.metrics import accuracy

    return {"accuracy": accuracy(predictions, references)}


def _tatoeba(other: Any, english: Any, lang: str) -> dict[str, float]:
    """Both directions; the primary value is their mean."""
    from adaptxfer.metrics import retrieval_accuracy

    to_en = retrieval_accuracy(other, english)
    from_en = retrieval_accuracy(english, other)
    return {
        "accuracy": (to_en + from_en) / 2,
        f"accuracy_{lang}_en": to_en,
        f"accuracy_en_{lang}": from_en,
    }


def _squad(version: str, per_language: bool) -> Scorer:
    """SQuAD rules (XQuAD, TyDiQA: English normalisation everywhere) or MLQA's
    language-specific normalisation (``per_language``), MLQA-English included."""

    def scorer(predictions: Any, references: Any, lang: str) -> dict[str, float]:
        from adaptxfer.metrics import squad_scores

        scores = squad_scores(
            predictions,
            references,
            lang=lang if per_language else "en",
            version=version,
            normalization="mlqa" if per_language else "squad",
        )
        return {"f1": scores["f1"], "exact_match": scores["exact_match"]}

    return scorer


def _entity_f1(predictions: Any, references: Any, lang: str) -> dict[str, float]:
    from adaptxfer.metrics import entity_f1

    scores = entity_f1(predictions, references)
    return {"f1": scores["f1"], "precision": scores["precision"], "recall": scores["recall"]}


def _pos(predictions: Any, references: Any, lang: str) -> dict[str, float]:
    from adaptxfer.metrics import pos_scores

    scores = pos_scores(predictions, references)
    return {"f1": scores["f1"], "accuracy": scores["accuracy"]}


def _token_accuracy(predictions: Any, references: Any, lang: str) -> dict[str, float]:
    """Accuracy over all words (CCG supertagging), from per-sentence tag lists."""
    from adaptxfer.metrics import accuracy

    flat_pred = [tag for sentence in predictions for tag in sentence]
    flat_ref = [tag for sentence in references for tag in sentence]
    return {"accuracy": accuracy(flat_pred, flat_ref)}


def _map_at(k: int) -> Scorer:
    """mAP@k of ranked candidate ids against each query's relevant ids (LAReQA, Mewsli-X)."""

    def scorer(ranked: Any, relevant: Any, lang: str) -> dict[str, float]:
        from adaptxfer.tasks.kinds.ranking import mean_average_precision_at_k

        return {f"map@{k}": mean_average_precision_at_k(ranked, relevant, k)}

    return scorer


SCORERS: dict[str, Scorer] = {
    "accuracy": _accuracy,
    "tatoeba": _tatoeba,
    "squad": _squad("1.1", per_language=False),
    "squad_v2": _squad("2.0", per_language=False),
    "mlqa": _squad("1.1", per_language=True),
    "entity_f1": _entity_f1,
    "pos": _pos,
    "bucc": lambda *_: {},  # the mining kind scores itself (threshold tuned on dev)
    "token_accuracy": _token_accuracy,
    "map@20": _map_at(20),
}


def score(metric: str, predictions: Any, references: Any, *, lang: str) -> dict[str, float]:
    if metric not in SCORERS:
        raise UnknownNameError("metric", metric, list(SCORERS))
    return SCORERS[metric](predictions, references, lang)


def primary_metric(metric: str) -> str:
    """The headline value a metric name reports."""
    return {
        "accuracy": "accuracy",
        "tatoeba": "accuracy",
        "squad": "f1",
        "squad_v2": "f1",
        "mlqa": "f1",
        "entity_f1": "f1",
        "pos": "f1",
        "bucc": "f1",
        "token_accuracy": "accuracy",
        "map@20": "map@20",
    }[metric]
