"""The contract every task kind fulfils, and the batched-inference loop they share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import torch

from adaptxfer.metrics import score
from adaptxfer.progress import progress_bar
from adaptxfer.tasks.local_files import LINE
from adaptxfer.tasks.validation import Origin, RowCheck, check_rows

if TYPE_CHECKING:
    from adaptxfer.tasks.model import TaskModel
    from adaptxfer.tasks.settings import EvalSettings
    from adaptxfer.tasks.spec import TaskSpec


class TaskKind(ABC):
    """How tasks of one kind are prepared, trained and scored.

    Canonical columns (``columns``) are the contract between sources and kinds: every
    source (Hub, local files, built-in) yields them, every kind reads only them.
    """

    name: ClassVar[str]
    columns: ClassVar[tuple[str, ...]]
    optional_columns: ClassVar[tuple[str, ...]] = ()

    @property
    def trainable(self) -> bool:
        """Whether the kind trains a head (its registry entry says, torch-free)."""
        from adaptxfer.tasks.kinds import kind_entry

        return kind_entry(self.name).trainable

    def canonicalize(
        self,
        task: TaskSpec,
        data: Any,
        fields: Mapping[str, str],
        origin: Origin,
        names: Mapping[str, str] | None = None,
    ) -> Any:
        """Rename Hub columns to canonical ones, drop the rest, check every row
        (:meth:`row_check`; errors name the file's field as ``names`` maps it), then
        :meth:`convert` values. A row's source line (``LINE``) is kept for later checks."""
        renames = {hub: canon for canon, hub in fields.items() if hub != canon}
        if renames:
            data = data.rename_columns(renames)
        wanted = (*self.columns, *self.optional_columns, LINE)
        data = data.select_columns([c for c in wanted if c in data.column_names])
        check = self.row_check(task, data, origin.split)
        if check is not None:
            data = check_rows(data, check, origin, names or fields)
        return self.convert(task, data)

    def row_check(self, task: TaskSpec, data: Any, split: str) -> RowCheck | None:
        """What one canonical row must hold (see :mod:`adaptxfer.tasks.validation`)."""
        return None

    def convert(self, task: TaskSpec, data: Any) -> Any:
        """Turn checked canonical rows into the form training and scoring read (string
        labels to ids, ...)."""
        return data

    # -- trainable kinds -------------------------------------------------------------
    def head_config(self, task: TaskSpec, hidden_size: int) -> dict[str, Any]:
        raise NotImplementedError(f"task kind {self.name!r} has no trainable head")

    def head_config_for(self, task: TaskSpec, backbone: Any) -> dict[str, Any]:
        """:meth:`head_config` for a loaded backbone (kinds whose head depends on more
        than the hidden size, e.g. the vocabulary, override this)."""
        return self.head_config(task, backbone.hidden_size)

    def featurize(
        self, task: TaskSpec, data: Any, tokenizer: Any, max_length: int, *, train: bool
    ) -> Any:
        raise NotImplementedError(f"task kind {self.name!r} has no training features")

    def collator(self, tokenizer: Any) -> Callable[[list[dict[str, Any]]], dict[str, torch.Tensor]]:
        from transformers import DataCollatorWithPadding

        return DataCollatorWithPadding(tokenizer, return_tensors="pt")

    def logits(self, model: TaskModel, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        hidden = model.hidden_states(batch["input_ids"], batch["attention_mask"])
        return model.head(hidden, batch["attention_mask"])

    def loss(self, logits: torch.Tensor, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        raise NotImplementedError(f"task kind {self.name!r} has no training loss")

    # -- every kind ------------------------------------------------------------------
    def floor(self, task: TaskSpec, data: Any) -> dict[str, float]:
        """What a model that ignores the input scores on ``data``, in percent, named
        (``{"majority": ...}`` or ``{"chance": ...}``); reported beside the metric so a
        score can be read against it. Empty where no such floor is meaningful."""
        return {}

    def eval_splits(self, settings: EvalSettings) -> tuple[str, ...]:
        """The splits :meth:`evaluate` needs (mining also tunes a threshold on dev)."""
        return (settings.split,)

    def protocol(self, task: TaskSpec, settings: EvalSettings) -> str:
        """The evaluation settings that decide how a score compares with published ones,
        in words for results and reports ("" when the metric alone says it)."""
        return ""

    @abstractmethod
    def evaluate(
        self,
        task: TaskSpec,
        model: TaskModel,
        splits: Mapping[str, Any],
        tokenizer: Any,
        settings: EvalSettings,
        lang: str,
    ) -> dict[str, float]:
        """Score ``model`` in one language; ``splits`` holds :meth:`eval_splits`' data.
        Keys of the result name the metrics; the task's primary metric comes first."""


class PredictingKind(TaskKind):
    """A kind scored by comparing per-row predictions with the split's references."""

    @abstractmethod
    def predict(
        self,
        task: TaskSpec,
        model: TaskModel,
        data: Any,
        tokenizer: Any,
        settings: EvalSettings,
        lang: str,
    ) -> Any:
        """The model's predictions for ``data``, in the form the task's metric takes."""

    @abstractmethod
    def references(self, data: Any) -> Any:
        """The gold answers of ``data``, matching :meth:`predict`'s form."""

    def evaluate(
        self,
        task: TaskSpec,
        model: TaskModel,
        splits: Mapping[str, Any],
        tokenizer: Any,
        settings: EvalSettings,
        lang: str,
    ) -> dict[str, float]:
        data = splits[settings.split]
        predictions = self.predict(task, model, data, tokenizer, settings, lang)
        return score(task.metric, predictions, self.references(data), lang=lang)


class ArgmaxKind(PredictingKind):
    """A kind whose prediction is the arg-max of one logit row per example."""

    def predict(
        self,
        task: TaskSpec,
        model: TaskModel,
        data: Any,
        tokenizer: Any,
        settings: EvalSettings,
        lang: str,
    ) -> list[int]:
        features = self.featurize(task, data, tokenizer, settings.max_length, train=False)
        rows = row_logits(self, model, features, tokenizer, settings, f"{task.name} {lang}")
        return [int(row.argmax(-1)) for row in rows]

    def references(self, data: Any) -> list[int]:
        return [int(x) for x in data["label"]]


def majority_share(labels: Any) -> dict[str, float]:
    """``{"majority": percent of the most frequent label}`` (empty for no labels)."""
    from collections import Counter

    counts = Counter(labels)
    total = sum(counts.values())
    return {"majority": 100.0 * max(counts.values()) / total} if total else {}


def model_inputs(columns: list[str]) -> list[str]:
    """The feature columns that go into a batch (everything the collator can pad)."""
    return [c for c in columns if c in ("input_ids", "attention_mask", "labels")]


def token_count(ids: list[Any]) -> int:
    """Tokens in a row (multiple-choice rows hold one id list per choice)."""
    return sum(len(x) for x in ids) if ids and isinstance(ids[0], list) else len(ids)


def row_logits(
    kind: TaskKind,
    model: TaskModel,
    features: Any,
    tokenizer: Any,
    settings: EvalSettings,
    description: str = "",
) -> list[torch.Tensor]:
    """The model's logits for every feature row, in input order, on the CPU, as float32.

    Rows are batched by length (far less padding on CPU); a row's tensor may be longer
    than its own tokens (padded to its batch), never shorter. The forward runs in
    ``settings.precision`` (bf16 autocast where native: :mod:`adaptxfer.training.precision`).
    """
    from adaptxfer.training.precision import autocast, resolve_precision

    batch_size = settings.batch_size
    collate = kind.collator(tokenizer)
    rows = features.select_columns(model_inputs(features.column_names))
    order = sorted(range(len(rows)), key=lambda i: -token_count(rows[i]["input_ids"]))
    out: list[torch.Tensor | None] = [None] * len(rows)
    device = model.device
    precision = resolve_precision(settings.precision, device, setting="eval.precision")
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode(), autocast(precision, device):
            starts = range(0, len(order), batch_size)
            for start in progress_bar(starts, description=description, unit="batch"):
                index = order[start : start + batch_size]
                batch = collate([rows[i] for i in index])
                batch = {k: v.to(device) for k, v in batch.items() if k != "labels"}
                logits = kind.logits(model, batch).float().cpu()
                for i, row in zip(index, logits, strict=True):
                    out[i] = row
    finally:
        model.train(was_training)
    return out  # type: ignore[return-value]
