"""Scoring functions of XTREME / XTREME-R and the intermediate tasks, and their registry.

Pure functions over Python lists, numpy arrays and torch tensors; no model code. They
follow the semantics of the XTREME reference evaluation (``evaluate.py``,
``third_party/evaluate_squad.py``, ``evaluate_mlqa.py``, ``run_tag.py`` with seqeval,
``utils_retrieve.py``, ``utils_lareqa.py``, ``utils_mewslix.py``) so that numbers are
comparable with published tables. Tasks name a metric of :mod:`.registry`; task kinds
score through :func:`score` and import nothing else from here.

Conventions:

- Every benchmark score is in **percent**, in [0, 100]: accuracy, exact match, F1,
  precision, recall, retrieval accuracy, BUCC F1, mAP. This is what XTREME prints and
  what results tables and averages use.
- Raw similarity values are not percentages: cosine and margin matrices, mined candidate
  scores and the BUCC decision ``threshold`` live on the margin's own scale; counts
  (``queries``) are counts.
- Missing or mismatched inputs raise ``ValueError`` (structure) or
  :class:`adaptxfer.errors.UnknownNameError` (an unknown language, margin or mode name).

The modules that need torch (retrieval, mining) or seqeval (tagging) are imported on
first use of one of their names, so ``import adaptxfer.metrics`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from adaptxfer.lazy_import import lazy_getattr
from adaptxfer.metrics.aggregate import average, mean_ci95, t_quantile_975
from adaptxfer.metrics.classification import accuracy
from adaptxfer.metrics.qa_normalization import MLQA_LANGUAGES, answer_tokens, normalize_answer
from adaptxfer.metrics.ranking import average_precision_at_k, mean_average_precision_at_k
from adaptxfer.metrics.registry import (
    Metric,
    all_metrics,
    get_metric,
    primary_metric,
    register_metric,
    score,
)
from adaptxfer.metrics.squad import squad_scores

if TYPE_CHECKING:
    from adaptxfer.metrics.mining import (
        Mined,
        bucc_f1,
        bucc_optimal_threshold,
        mine_candidates,
        mine_texts,
        unify_texts,
    )
    from adaptxfer.metrics.retrieval import (
        cosine_similarity_matrix,
        knn_mean_similarity,
        margin_scores,
        retrieval_accuracy,
    )
    from adaptxfer.metrics.tagging import entity_f1, pos_scores

_LAZY = {
    name: f"adaptxfer.metrics.{module}"
    for module, names in {
        "mining": "Mined bucc_f1 bucc_optimal_threshold mine_candidates mine_texts unify_texts",
        "retrieval": "cosine_similarity_matrix knn_mean_similarity margin_scores retrieval_accuracy",
        "tagging": "entity_f1 pos_scores",
    }.items()
    for name in names.split()
}
__getattr__ = lazy_getattr(__name__, _LAZY)

__all__ = [
    "MLQA_LANGUAGES",
    "Metric",
    "Mined",
    "accuracy",
    "all_metrics",
    "answer_tokens",
    "average",
    "average_precision_at_k",
    "bucc_f1",
    "bucc_optimal_threshold",
    "cosine_similarity_matrix",
    "entity_f1",
    "get_metric",
    "knn_mean_similarity",
    "margin_scores",
    "mean_average_precision_at_k",
    "mean_ci95",
    "mine_candidates",
    "mine_texts",
    "normalize_answer",
    "pos_scores",
    "primary_metric",
    "register_metric",
    "retrieval_accuracy",
    "score",
    "squad_scores",
    "t_quantile_975",
    "unify_texts",
]
