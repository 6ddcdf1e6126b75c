"""Multiple choice (HellaSwag, CommonsenseQA, Cosmos QA, SIQA, COPA, MMLU, GSM8K, XCOPA).

Canonical columns: ``context`` and ``question`` (either may be empty), ``choices`` (list of strings)
and ``label`` (index of the right choice). Each choice is encoded as a pair
(context + question, choice) and scored by a one-output sequence head; the scores of one
question's choices form its logits, trained with cross-entropy over the choices.
Hub labels that are strings ("A".."E", "1".."3") are mapped through ``label_names``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import torch
from torch.nn import functional as F

from adaptxfer.tasks.kinds.base import ArgmaxKind
from adaptxfer.tasks.local_files import LINE
from adaptxfer.tasks.validation import Problem, RowCheck, label_problem, text_problem, texts_problem

if TYPE_CHECKING:
    from adaptxfer.tasks.model import TaskModel
    from adaptxfer.tasks.spec import TaskSpec


def first_segment(context: str, question: str) -> str:
    return " ".join(part.strip() for part in (context, question) if part and part.strip())


class ChoiceCollator:
    """Pads a batch of questions to [batch, choices, tokens].

    Questions with fewer choices than the widest one in the batch get empty choices
    (attention mask all zero), which :meth:`MultipleChoiceKind.logits` masks out.
    """

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        width = max(len(f["input_ids"]) for f in features)
        pad_id = self.tokenizer.pad_token_id
        flat = []
        for f in features:
            for c in range(width):
                if c < len(f["input_ids"]):
                    flat.append(
                        {"input_ids": f["input_ids"][c], "attention_mask": f["attention_mask"][c]}
                    )
                else:
                    flat.append({"input_ids": [pad_id], "attention_mask": [0]})
        padded = self.tokenizer.pad(flat, return_tensors="pt")
        batch = {k: v.view(len(features), width, -1) for k, v in padded.items()}
        if "labels" in features[0]:
            batch["labels"] = torch.tensor([int(f["labels"]) for f in features])
        return batch


class MultipleChoiceKind(ArgmaxKind):
    name = "multiple_choice"
    columns = ("context", "question", "choices", "label")

    def row_check(self, task: TaskSpec, data: Any, split: str) -> RowCheck:
        names = [str(n) for n in task.label_names]

        def check(row: Mapping[str, Any]) -> Problem | None:
            problem = texts_problem(row, "choices", item="choice", minimum=2)
            if problem is not None:
                return problem
            choices = row["choices"]
            label = row.get("label")
            if isinstance(label, str) and label in names:
                label = names.index(label)  # a name stands for its index
            problem = label_problem(label, "label", names[: len(choices)], len(choices))
            if problem is not None:
                return problem
            for column in ("context", "question"):
                if column in row and (problem := text_problem(row, column, empty_ok=True)):
                    return problem
            return None

        return check

    def convert(self, task: TaskSpec, data: Any) -> Any:
        for optional in ("context", "question"):
            if optional not in data.column_names:
                data = data.add_column(optional, [""] * len(data))
        names = [str(n) for n in task.label_names]
        if data.features["label"].dtype in ("string", "large_string"):
            data = data.map(lambda row: {"label": names.index(row["label"])})
        keep = [c for c in (*self.columns, LINE) if c in data.column_names]
        return data.select_columns(keep)

    def floor(self, task: TaskSpec, data: Any) -> dict[str, float]:
        """Expected accuracy of a random pick: the mean of 1 / number of choices."""
        counts = [len(choices) for choices in data["choices"]]
        return {"chance": 100.0 * sum(1 / n for n in counts) / len(counts)} if counts else {}

    def head_config(self, task: TaskSpec, hidden_size: int) -> dict[str, Any]:
        return {
            "type": "sequence",
            "hidden_size": hidden_size,
            "num_labels": 1,
            "pooling": task.kind_options.get("pooling", "cls"),
        }

    def featurize(
        self, task: TaskSpec, data: Any, tokenizer: Any, max_length: int, *, train: bool
    ) -> Any:
        def encode(rows: dict[str, list[Any]]) -> dict[str, Any]:
            firsts, seconds, counts = [], [], []
            for context, question, choices in zip(
                rows["context"], rows["question"], rows["choices"], strict=True
            ):
                head = first_segment(context, question)
                firsts.extend([head] * len(choices))
                seconds.extend(str(c) for c in choices)
                counts.append(len(choices))
            enc = tokenizer(firsts, seconds, truncation=True, max_length=max_length)
            out: dict[str, list[Any]] = {"input_ids": [], "attention_mask": []}
            start = 0
            for n in counts:
                out["input_ids"].append(enc["input_ids"][start : start + n])
                out["attention_mask"].append(enc["attention_mask"][start : start + n])
                start += n
            out["labels"] = [int(label) for label in rows["label"]]
            return out

        return data.map(encode, batched=True, remove_columns=data.column_names)

    def collator(self, tokenizer: Any) -> ChoiceCollator:
        return ChoiceCollator(tokenizer)

    def logits(self, model: TaskModel, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        ids, mask = batch["input_ids"], batch["attention_mask"]
        size, width, length = ids.shape
        flat_mask = mask.reshape(size * width, length)
        hidden = model.hidden_states(ids.reshape(size * width, length), flat_mask)
        scores = model.head(hidden, flat_mask).reshape(size, width)
        empty = mask.sum(-1) == 0
        return scores.masked_fill(empty, torch.finfo(scores.dtype).min)

    def loss(self, logits: torch.Tensor, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        return F.cross_entropy(logits, batch["labels"])
