"""The metric registry: every metric a task can name, and how results use its values.

A metric is a scorer ``(predictions, references, lang) -> {value name: value}`` plus what
tables and benchmark averages read from it:

- ``primary``: the headline value (per-language tables, averages, Δ);
- ``task_score``: the value XTREME's ``evaluate.py`` averages as the task's score in a
  benchmark average, when it is not the headline (QA: (EM + F1) / 2);
- ``pooled_by``: a count that weights languages when averaging them (LAReQA pools every
  language's questions); ``None`` averages languages as they are, as XTREME does.

Scorers may be given as ``"module:function"`` and are imported on first use, so reading
the registry imports neither torch nor seqeval. A new metric is one module holding its
scorer and one :func:`register_metric` line at the bottom of this file.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from adaptxfer.errors import UnknownNameError

Scorer = Callable[[Any, Any, str], dict[str, float]]


@dataclass(frozen=True)
class Metric:
    name: str
    scorer: Scorer | str
    primary: str
    higher_is_better: bool = True
    task_score: str | None = None
    pooled_by: str | None = None
    headline: str = ""

    @property
    def benchmark_value(self) -> str:
        """The value a benchmark average (XTREME's task score) reads."""
        return self.task_score or self.primary

    def resolve(self) -> Scorer:
        if callable(self.scorer):
            return self.scorer
        module, _, attr = self.scorer.partition(":")
        return getattr(importlib.import_module(module), attr)

    def score(self, predictions: Any, references: Any, *, lang: str) -> dict[str, float]:
        """The scorer's values, the primary one first."""
        values = self.resolve()(predictions, references, lang)
        for key in (self.primary, self.task_score, self.pooled_by):
            if key is not None and key not in values:
                raise ValueError(f"metric {self.name!r}: its scorer returned no {key!r} value")
        return {self.primary: values[self.primary], **values}


_METRICS: dict[str, Metric] = {}


def register_metric(
    name: str,
    scorer: Scorer | str,
    *,
    primary: str,
    higher_is_better: bool = True,
    task_score: str | None = None,
    pooled_by: str | None = None,
    headline: str = "",
) -> Metric:
    """Add a metric; a second, different metric under the same name is a programming error."""
    metric = Metric(name, scorer, primary, higher_is_better, task_score, pooled_by, headline)
    if name in _METRICS and _METRICS[name] != metric:
        raise ValueError(f"metric {name!r} registered twice")
    _METRICS[name] = metric
    return metric


def get_metric(name: str) -> Metric:
    if name not in _METRICS:
        raise UnknownNameError("metric", name, sorted(_METRICS))
    return _METRICS[name]


def all_metrics() -> dict[str, Metric]:
    return dict(sorted(_METRICS.items()))


def score(name: str, predictions: Any, references: Any, *, lang: str) -> dict[str, float]:
    """Score with the named metric; the primary value comes first."""
    return get_metric(name).score(predictions, references, lang=lang)


def primary_metric(name: str) -> str:
    """The headline value a metric name reports."""
    return get_metric(name).primary


# -- the built-in metrics ------------------------------------------------------------------
register_metric(
    "accuracy",
    "adaptxfer.metrics.classification:accuracy_scores",
    primary="accuracy",
    headline="accuracy, as XTREME's evaluate.py",
)
register_metric(
    "token_accuracy",
    "adaptxfer.metrics.classification:token_accuracy_scores",
    primary="accuracy",
    headline="accuracy over all words",
)
register_metric(
    "tatoeba",
    "adaptxfer.metrics.retrieval:tatoeba_scores",
    primary="accuracy",
    headline="accuracy@1 with English sentences as queries (XTREME's direction); "
    "accuracy_xx_en is the reverse direction, accuracy_both the mean of the two",
)
register_metric(
    "squad",
    "adaptxfer.metrics.squad:squad_scorer",
    primary="f1",
    task_score="em_f1",
    headline="F1 with SQuAD v1.1 answer normalisation in every language; the "
    "benchmark task score is (EM + F1) / 2",
)
register_metric(
    "squad_v2",
    "adaptxfer.metrics.squad:squad_v2_scorer",
    primary="f1",
    task_score="em_f1",
    headline="F1 of the SQuAD v2.0 script (an empty answer is right for unanswerable questions)",
)
register_metric(
    "mlqa",
    "adaptxfer.metrics.squad:mlqa_scorer",
    primary="f1",
    task_score="em_f1",
    headline="F1 with MLQA's per-language answer normalisation; the benchmark task score is "
    "(EM + F1) / 2",
)
register_metric(
    "entity_f1",
    "adaptxfer.metrics.tagging:entity_scorer",
    primary="f1",
    headline="entity-level micro F1 (seqeval 1.2.2, default mode)",
)
register_metric(
    "pos",
    "adaptxfer.metrics.tagging:pos_scorer",
    primary="f1",
    headline="seqeval 1.2.2 F1 over runs of equal tags, as XTREME; accuracy is plain "
    "token accuracy",
)
register_metric(
    "bucc",
    "adaptxfer.metrics.mining:bucc_scorer",
    primary="f1",
    headline="F1 of the mined pairs at the decision threshold",
)
register_metric(
    "map@20",
    "adaptxfer.metrics.ranking:map_at_20_scorer",
    primary="map@20",
    headline="mAP@20 per language, languages averaged (Mewsli-X); a query whose gold is "
    "not in the pool scores 0",
)
register_metric(
    "map@20_pooled",
    "adaptxfer.metrics.ranking:map_at_20_scorer",
    primary="map@20",
    pooled_by="queries",
    headline="mAP@20 over every language's questions pooled (LAReQA)",
)
