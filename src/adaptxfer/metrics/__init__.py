"""Scoring functions of XTREME / XTREME-R and the intermediate tasks.

Pure functions over Python lists, numpy arrays and torch tensors; no model code. They
follow the semantics of the XTREME reference evaluation (``evaluate.py``,
``third_party/evaluate_squad.py``, ``evaluate_mlqa.py``, ``run_tag.py`` with seqeval,
``utils_retrieve.py``) so that numbers are comparable with published tables.

Conventions:

- Every benchmark score is in **percent**, in [0, 100]: accuracy, exact match, F1,
  precision, recall, retrieval accuracy, BUCC F1. This is what XTREME prints and what
  results tables and averages use.
- Raw similarity values are not percentages: cosine and margin matrices, mined candidate
  scores and the BUCC decision ``threshold`` live on the margin's own scale.
- Missing or mismatched inputs raise ``ValueError`` (structure) or
  :class:`adaptxfer.errors.UnknownNameError` (an unknown language, margin or mode name).
"""

from adaptxfer.metrics.aggregate import average, mean_ci95, t_quantile_975
from adaptxfer.metrics.classification import accuracy
from adaptxfer.metrics.mining import bucc_f1, bucc_optimal_threshold, mine_candidates
from adaptxfer.metrics.qa_normalization import MLQA_LANGUAGES, answer_tokens, normalize_answer
from adaptxfer.metrics.retrieval import (
    cosine_similarity_matrix,
    knn_mean_similarity,
    margin_scores,
    retrieval_accuracy,
)
from adaptxfer.metrics.squad import squad_scores
from adaptxfer.metrics.tagging import entity_f1, pos_scores

__all__ = [
    "MLQA_LANGUAGES",
    "accuracy",
    "answer_tokens",
    "average",
    "bucc_f1",
    "bucc_optimal_threshold",
    "cosine_similarity_matrix",
    "entity_f1",
    "knn_mean_similarity",
    "margin_scores",
    "mean_ci95",
    "mine_candidates",
    "normalize_answer",
    "pos_scores",
    "retrieval_accuracy",
    "squad_scores",
    "t_quantile_975",
]
