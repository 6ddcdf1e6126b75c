"""Sentence retrieval (Tatoeba-style): no training, read straight from the encoder.

Canonical columns: ``id``, ``source`` (English), ``target`` (the other language); row i of
one side translates row i of the other. Sentences are pooled hidden states of one layer,
compared by cosine similarity.

Which layer and pooling (:func:`sentence_encoding`): by default the mean over the tokens
of ``eval.layer`` (the middle layer when unset) with ``eval.pooling``.
``eval.retrieval_preset: xtreme`` uses what XTREME's scripts use instead, reading up to
512 tokens: for Tatoeba (``run_tatoeba.sh``) the mean over every token of hidden state 14
of a 24-layer encoder (XLM-R large; ``--specific_layer 13`` of the last 24 states) or 8 of
a 12-layer one (its mBERT setting), i.e. two above the middle (other depths extrapolate
this); for BUCC (``run_bucc2018.sh``) the first token (``--pool_type cls``) of hidden
state ``depth - 4`` (``--specific_layer 7`` of the last 12 states).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from adaptxfer.metrics import score
from adaptxfer.tasks.kinds.base import TaskKind
from adaptxfer.tasks.validation import Problem, RowCheck, id_problem, text_problem

if TYPE_CHECKING:
    import torch

    from adaptxfer.tasks.model import TaskModel
    from adaptxfer.tasks.settings import EvalSettings
    from adaptxfer.tasks.spec import TaskSpec

Use = Literal["retrieval", "mining", "ranking"]
XTREME_MAX_LENGTH = 512


@dataclass(frozen=True)
class SentenceEncoding:
    """How sentence vectors are read from the encoder: a hidden-states index (0 =
    embeddings), a pooling and the longest input in tokens."""

    layer: int
    pooling: str
    max_length: int


def describe_encoding(settings: EvalSettings, use: Use) -> str:
    """The sentence-vector settings in words, for results and reports."""
    if settings.retrieval_preset == "xtreme" and use != "ranking":
        script = "run_bucc2018.sh" if use == "mining" else "run_tatoeba.sh"
        return f"sentence vectors as XTREME's {script} (eval.retrieval_preset: xtreme)"
    layer = "the middle layer" if settings.layer is None else f"layer {settings.layer}"
    return (
        f"sentence vectors: {settings.pooling or 'mean'} pooling of {layer}, up to "
        f"{settings.max_length} tokens"
    )


def resolve_layer(model: TaskModel, layer: int | None) -> int:
    """Turn ``eval.layer`` into a hidden-states index (0 = embeddings)."""
    depth = int(model.encoder.config.num_hidden_layers)
    if layer is None:
        return depth // 2
    index = layer if layer >= 0 else depth + 1 + layer
    if not 0 <= index <= depth:
        raise ValueError(f"eval.layer {layer} is outside 0..{depth} (or -{depth + 1}..-1)")
    return index


def xtreme_layer(use: Use, depth: int) -> int:
    """The hidden-states index XTREME's scripts read for ``use`` (see the module docstring)."""
    if use == "mining":
        return depth - 4 if depth >= 12 else min(7, depth)
    return min(depth // 2 + 2, depth)


def sentence_encoding(model: TaskModel, settings: EvalSettings, use: Use) -> SentenceEncoding:
    depth = int(model.encoder.config.num_hidden_layers)
    if settings.retrieval_preset == "xtreme" and use != "ranking":
        pooling = "cls" if use == "mining" else "mean"
        return SentenceEncoding(xtreme_layer(use, depth), pooling, XTREME_MAX_LENGTH)
    return SentenceEncoding(
        resolve_layer(model, settings.layer), settings.pooling or "mean", settings.max_length
    )


def sentence_vectors(
    model: TaskModel,
    tokenizer: Any,
    texts: list[str],
    settings: EvalSettings,
    use: Use,
    description: str,
) -> torch.Tensor:
    """One vector per text (reused within :func:`~.vector_cache.reusing_vectors`: the
    English side, identical for every language, is then encoded once)."""
    from adaptxfer.backbones import encode_pooled
    from adaptxfer.tasks.kinds.vector_cache import cached_vectors

    encoding = sentence_encoding(model, settings, use)
    how = (encoding, settings.batch_size, settings.precision)
    return cached_vectors(
        model.encoder,
        how,
        texts,
        lambda: encode_pooled(
            model.encoder,
            tokenizer,
            texts,
            layer=encoding.layer,
            pooling=encoding.pooling,  # type: ignore[arg-type]
            batch_size=settings.batch_size,
            max_length=encoding.max_length,
            progress=description,
            precision=settings.precision,
        ),
    )


class RetrievalKind(TaskKind):
    name = "retrieval"
    columns = ("id", "source", "target")

    def protocol(self, task: TaskSpec, settings: EvalSettings) -> str:
        return describe_encoding(settings, "retrieval")

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
            model, tokenizer, list(data["source"]), settings, "retrieval", f"{task.name} en"
        )
        other = sentence_vectors(
            model, tokenizer, list(data["target"]), settings, "retrieval", f"{task.name} {lang}"
        )
        return score(task.metric, other, english, lang=lang)
