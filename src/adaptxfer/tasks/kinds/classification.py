"""Single-sentence and sentence-pair classification (NLI, paraphrase, sentiment, ...)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import torch
from torch.nn import functional as F

from adaptxfer.tasks.kinds.base import ArgmaxKind, majority_share

if TYPE_CHECKING:
    from adaptxfer.tasks.spec import TaskSpec


class ClassificationKind(ArgmaxKind):
    """Canonical columns: ``sentence1``, optional ``sentence2``, integer ``label``.

    Hub labels given as strings are mapped through the task's ``label_names``; rows with
    a label outside them (e.g. SNLI's -1 "no gold label") are dropped.
    """

    name = "classification"
    columns = ("sentence1", "label")
    optional_columns = ("sentence2",)

    def canonicalize(self, task: TaskSpec, data: Any, fields: Mapping[str, str]) -> Any:
        data = super().canonicalize(task, data, fields)
        names = list(task.label_names)
        if data.features["label"].dtype == "string":
            known = set(names)
            data = data.filter(lambda row: row["label"] in known)
            data = data.map(lambda row: {"label": names.index(row["label"])})
        else:
            data = data.filter(lambda row: 0 <= row["label"] < len(names))
        return data

    def floor(self, task: TaskSpec, data: Any) -> dict[str, float]:
        """The share of the most frequent label: the best score of a constant answer."""
        return majority_share(data["label"])

    def head_config(self, task: TaskSpec, hidden_size: int) -> dict[str, Any]:
        return {
            "type": "sequence",
            "hidden_size": hidden_size,
            "num_labels": task.num_labels,
            "pooling": task.kind_options.get("pooling", "cls"),
        }

    def featurize(
        self, task: TaskSpec, data: Any, tokenizer: Any, max_length: int, *, train: bool
    ) -> Any:
        pair = "sentence2" in data.column_names

        def encode(rows: dict[str, list[Any]]) -> dict[str, Any]:
            texts = (rows["sentence1"], rows["sentence2"]) if pair else (rows["sentence1"],)
            enc = tokenizer(*texts, truncation=True, max_length=max_length)
            enc["labels"] = rows["label"]
            return enc

        return data.map(encode, batched=True, remove_columns=data.column_names)

    def loss(self, logits: torch.Tensor, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        return F.cross_entropy(logits, batch["labels"])
