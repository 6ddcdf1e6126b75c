"""Token tagging (POS, NER, CCG supertags): one label per word, read at its first subword.

Canonical columns: ``tokens`` (words) and ``tags`` (tag names, one per word). Hub tags
given as class ids are turned into names through the dataset's own ``ClassLabel`` (or the
task's ``label_names`` for local files), so the head's label order is always the task's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import torch
from torch.nn import functional as F

from adaptxfer.errors import MissingAssetError
from adaptxfer.tasks.kinds.base import PredictingKind, majority_share, row_logits

if TYPE_CHECKING:
    from adaptxfer.tasks.model import TaskModel
    from adaptxfer.tasks.settings import EvalSettings
    from adaptxfer.tasks.spec import TaskSpec

IGNORE = -100


def align_labels(word_ids: list[int | None], word_labels: list[int]) -> list[int]:
    """Label the first subword of each word; other subwords and special tokens get -100."""
    labels = []
    previous = None
    for word in word_ids:
        if word is None or word == previous:
            labels.append(IGNORE)
        else:
            labels.append(word_labels[word])
        previous = word
    return labels


def _tag_names(data: Any, names: list[str]) -> list[str] | None:
    """The names behind integer tags: the Hub's ClassLabel, else the task's label order."""
    feature = data.features["tags"]
    inner = getattr(feature, "feature", None)
    if inner is not None and hasattr(inner, "names"):
        return list(inner.names)
    if inner is not None and getattr(inner, "dtype", "string") == "string":
        return None
    if isinstance(feature, list) and feature and hasattr(feature[0], "names"):
        return list(feature[0].names)
    return names


class TaggingKind(PredictingKind):
    name = "tagging"
    columns = ("tokens", "tags")

    def canonicalize(self, task: TaskSpec, data: Any, fields: Mapping[str, str]) -> Any:
        data = super().canonicalize(task, data, fields)
        names = list(task.label_names)
        source_names = _tag_names(data, names)
        if source_names is not None:
            data = data.map(lambda row: {"tags": [str(source_names[int(t)]) for t in row["tags"]]})
            import datasets

            data = data.cast_column("tags", datasets.Sequence(datasets.Value("string")))
        data = data.filter(lambda row: len(row["tokens"]) > 0)
        known = set(names)
        for row in data.select(range(min(len(data), 2000))):
            unknown = [t for t in row["tags"] if t not in known]
            if unknown:
                raise MissingAssetError(
                    f"task {task.name!r}: tag {unknown[0]!r} is not one of its labels "
                    f"{names[:12]}{' ...' if len(names) > 12 else ''}"
                )
            if len(row["tags"]) != len(row["tokens"]):
                raise MissingAssetError(
                    f"task {task.name!r}: a row has {len(row['tokens'])} tokens but "
                    f"{len(row['tags'])} tags"
                )
        return data

    def floor(self, task: TaskSpec, data: Any) -> dict[str, float]:
        """Token accuracy of tagging every word with the most frequent tag (only for
        tasks scored by token accuracy: a constant tag has no entity F1)."""
        if task.metric != "token_accuracy":
            return {}
        return majority_share(tag for tags in data["tags"] for tag in tags)

    def head_config(self, task: TaskSpec, hidden_size: int) -> dict[str, Any]:
        return {"type": "token", "hidden_size": hidden_size, "num_labels": task.num_labels}

    def featurize(
        self, task: TaskSpec, data: Any, tokenizer: Any, max_length: int, *, train: bool
    ) -> Any:
        index = {name: i for i, name in enumerate(task.label_names)}
        # At evaluation only the first-subword positions matter: never hide a word.
        unknown = IGNORE if train else 0

        def encode(rows: dict[str, list[Any]]) -> dict[str, Any]:
            enc = tokenizer(
                rows["tokens"], is_split_into_words=True, truncation=True, max_length=max_length
            )
            enc["labels"] = [
                align_labels(enc.word_ids(i), [index.get(t, unknown) for t in tags])
                for i, tags in enumerate(rows["tags"])
            ]
            return enc

        return data.map(encode, batched=True, remove_columns=data.column_names)

    def collator(self, tokenizer: Any) -> Callable[[list[dict[str, Any]]], dict[str, torch.Tensor]]:
        from transformers import DataCollatorForTokenClassification

        return DataCollatorForTokenClassification(tokenizer, return_tensors="pt")

    def loss(self, logits: torch.Tensor, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        return F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), batch["labels"].reshape(-1), ignore_index=IGNORE
        )

    def predict(
        self,
        task: TaskSpec,
        model: TaskModel,
        data: Any,
        tokenizer: Any,
        settings: EvalSettings,
        lang: str,
    ) -> list[list[str]]:
        """Tag names per word. Words cut off by ``max_length`` are predicted as the first
        label ("O" for NER) so that every reference word is still scored."""
        features = self.featurize(task, data, tokenizer, settings.max_length, train=False)
        names = list(task.label_names)
        rows = row_logits(
            self, model, features, tokenizer, settings.batch_size, f"{task.name} {lang}"
        )
        all_labels = features["labels"]
        lengths = [len(tokens) for tokens in data["tokens"]]
        predictions: list[list[str]] = []
        for i, logits in enumerate(rows):
            best = logits.argmax(-1).tolist()
            starts = [t for t, lab in enumerate(all_labels[i]) if lab != IGNORE]
            words = [names[best[t]] for t in starts]
            predictions.append(words + [names[0]] * (lengths[i] - len(words)))
        return predictions

    def references(self, data: Any) -> list[list[str]]:
        return [list(tags) for tags in data["tags"]]
