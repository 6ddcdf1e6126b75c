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

from adaptxfer.errors import DataError
from adaptxfer.tasks.kinds.base import PredictingKind, majority_share, row_logits
from adaptxfer.tasks.validation import Problem, RowCheck, found, shown, texts_problem

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

    def row_check(self, task: TaskSpec, data: Any, split: str) -> RowCheck:
        names = list(task.label_names)
        known = set(names)
        source_names = _tag_names(data, names)  # what an integer tag means here
        shown_names = f"{names[:12]}{' ...' if len(names) > 12 else ''}"

        def tag_problem(position: int, tag: Any) -> Problem | None:
            if isinstance(tag, str):
                if tag in known:
                    return None
                message = f"tag {position} {tag!r} is not one of the task's tags {shown_names}"
                return Problem("tags", message, "unknown tag")
            if isinstance(tag, int) and not isinstance(tag, bool) and source_names is not None:
                if 0 <= tag < len(source_names):
                    return None
                message = (
                    f"tag {position} is {tag}; expected a tag index 0..{len(source_names) - 1}"
                )
                return Problem("tags", message, "unknown tag")
            return Problem("tags", f"tag {position} is {shown(tag)}; expected a tag", "bad tag")

        def check(row: Mapping[str, Any]) -> Problem | None:
            problem = texts_problem(row, "tokens", item="word")
            if problem is not None:
                return problem
            tokens, tags = row["tokens"], row.get("tags")
            if not isinstance(tags, list):
                return Problem("tags", f"{found(tags)}; expected one tag per word", "no tags")
            if len(tags) != len(tokens):
                message = f"{len(tags)} tags for {len(tokens)} words; expected one tag per word"
                return Problem("tags", message, "tags and words differ in number")
            return next((p for i, tag in enumerate(tags, 1) if (p := tag_problem(i, tag))), None)

        return check

    def convert(self, task: TaskSpec, data: Any) -> Any:
        names = list(task.label_names)
        source_names = _tag_names(data, names)
        if source_names is None:
            return data
        import datasets

        data = data.map(lambda row: {"tags": [str(source_names[int(t)]) for t in row["tags"]]})
        data = data.cast_column("tags", datasets.Sequence(datasets.Value("string")))
        unknown = sorted({t for tags in data["tags"] for t in tags} - set(names))
        if unknown:  # a Hub ClassLabel the task does not know: the task is out of date
            raise DataError(
                f"task {task.name!r}: the dataset's tag {unknown[0]!r} is not one of the "
                f"task's tags {names[:12]}{' ...' if len(names) > 12 else ''}"
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
        rows = row_logits(self, model, features, tokenizer, settings, f"{task.name} {lang}")
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
