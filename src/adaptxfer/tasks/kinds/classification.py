"""Single-sentence and sentence-pair classification (NLI, paraphrase, sentiment, ...)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import torch
from torch.nn import functional as F

from adaptxfer.tasks.kinds.base import ArgmaxKind, majority_share
from adaptxfer.tasks.validation import (
    Problem,
    RowCheck,
    label_problem,
    task_labels,
    text_problem,
)

if TYPE_CHECKING:
    from adaptxfer.tasks.spec import TaskSpec


class ClassificationKind(ArgmaxKind):
    """Canonical columns: ``sentence1``, optional ``sentence2``, integer ``label``.

    Labels are indices or names from the task's ``label_names`` (names become indices);
    rows whose label is the Hub's "no gold label" ``-1`` (SNLI) are skipped and counted,
    any other label outside the set is an error in a local file.
    """

    name = "classification"
    columns = ("sentence1", "label")
    optional_columns = ("sentence2",)

    def row_check(self, task: TaskSpec, data: Any, split: str) -> RowCheck:
        names, count = task_labels(task)

        def check(row: Mapping[str, Any]) -> Problem | None:
            return label_problem(row.get("label"), "label", names, count) or next(
                (
                    problem
                    for column in ("sentence1", "sentence2")
                    if column in row and (problem := text_problem(row, column))
                ),
                None,
            )

        return check

    def convert(self, task: TaskSpec, data: Any) -> Any:
        if data.features["label"].dtype in ("string", "large_string"):
            index = {name: i for i, name in enumerate(task.label_names)}
            return data.map(lambda row: {"label": index[row["label"]]})
        if data.features["label"].dtype != "int64":
            data = data.map(lambda row: {"label": int(row["label"])})
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
