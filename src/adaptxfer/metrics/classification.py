"""Accuracy for classification and multiple choice (XNLI, PAWS-X, XCOPA, MNLI, ...)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def as_list(values: Any) -> list[Any]:
    """A plain list from a list, tuple, numpy array or torch tensor (1-D or nested)."""
    if hasattr(values, "detach"):  # torch tensor, possibly on an accelerator
        values = values.detach().cpu()
    if hasattr(values, "tolist"):
        return values.tolist()
    return list(values)


def accuracy(predictions: Sequence[Any] | Any, references: Sequence[Any] | Any) -> float:
    """Percentage of predictions equal to their reference, as XTREME's ``evaluate.py``.

    Labels can be any comparable values (ints, strings); arrays and tensors are accepted.
    """
    preds, refs = as_list(predictions), as_list(references)
    if len(preds) != len(refs):
        raise ValueError(f"accuracy: {len(preds)} predictions but {len(refs)} references")
    if not refs:
        raise ValueError("accuracy: no examples to score")
    correct = sum(1 for p, r in zip(preds, refs, strict=True) if p == r)
    return 100.0 * correct / len(refs)


def accuracy_scores(predictions: Any, references: Any, lang: str) -> dict[str, float]:
    """The ``accuracy`` metric's scorer (classification, multiple choice)."""
    return {"accuracy": accuracy(predictions, references)}


def token_accuracy_scores(
    predictions: Sequence[Sequence[Any]], references: Sequence[Sequence[Any]], lang: str
) -> dict[str, float]:
    """Accuracy over all words (CCG supertagging), from per-sentence tag lists."""
    flat_pred = [tag for sentence in predictions for tag in sentence]
    flat_ref = [tag for sentence in references for tag in sentence]
    return {"accuracy": accuracy(flat_pred, flat_ref)}
