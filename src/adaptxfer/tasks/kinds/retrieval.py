"""Sentence retrieval (Tatoeba-style): no training, read straight from the encoder.

Canonical columns: ``id``, ``source`` (English), ``target`` (the other language); row i of
one side translates row i of the other. Sentences are the mean-pooled hidden states of
one layer (``eval.layer``, the middle layer by default), compared by cosine similarity.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from adaptxfer.tasks.kinds.base import TaskKind
from adaptxfer.tasks.scoring import score
from adaptxfer.tasks.validation import Problem, RowCheck, id_problem, text_problem

if TYPE_CHECKING:
    import torch

    from adaptxfer.tasks.model import TaskModel
    from adaptxfer.tasks.settings import EvalSettings
    from adaptxfer.tasks.spec import TaskSpec


def resolve_layer(model: TaskModel, layer: int | None) -> int:
    """Turn ``eval.layer`` into a hidden-states index (0 = embeddings)."""
    depth = int(model.encoder.config.num_hidden_layers)
    if layer is None:
        return depth // 2
    index = layer if layer >= 0 else depth + 1 + layer
    if not 0 <= index <= depth:
        raise ValueError(f"eval.layer {layer} is outside 0..{depth} (or -{depth + 1}..-1)")
    return index


def sentence_vectors(
    model: TaskModel, tokenizer: Any, texts: list[str], settings: EvalSettings, description: str
) -> torch.Tensor:
    from adaptxfer.backbones import encode_mean_pooled

    return encode_mean_pooled(
        model.encoder,
        tokenizer,
        texts,
        layer=resolve_layer(model, settings.layer),
        batch_size=settings.batch_size,
        max_length=settings.max_length,
        progress=description,
    )


class RetrievalKind(TaskKind):
    name = "retrieval"
    columns = ("id", "source", "target")
    trainable = False

    def row_check(self, task: TaskSpec, data: Any, split: str) -> RowCheck:
        def check(row: Mapping[str, Any]) -> Problem | None:
            return id_problem(row) or text_problem(row, "source") or text_problem(row, "target")

        return check

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
        english = sentence_vectors(
            model, tokenizer, list(data["source"]), settings, f"{task.name} en"
        )
        other = sentence_vectors(
            model, tokenizer, list(data["target"]), settings, f"{task.name} {lang}"
        )
        return score(task.metric, other, english, lang=lang)
