"""Task training: a task model (adapters + head) on a task's features, through the loop."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import torch

from adaptxfer.seeding import seed_everything
from adaptxfer.training.activation_memory import gradient_checkpointing
from adaptxfer.training.callbacks import ProgressBar
from adaptxfer.training.loop import Batch, LoopSettings, ParamGroup, TrainCallback, TrainReport, fit

if TYPE_CHECKING:
    from adaptxfer.tasks.kinds import TaskKind
    from adaptxfer.tasks.model import TaskModel
    from adaptxfer.training.checkpoint import Checkpointing
    from adaptxfer.training.settings import TrainSettings


def train(
    model: TaskModel,
    kind: TaskKind,
    features: Any,
    tokenizer: Any,
    settings: TrainSettings,
    *,
    seed: int,
    description: str = "train",
    callbacks: Sequence[TrainCallback] = (),
    checkpoints: Checkpointing | None = None,
) -> TrainReport:
    """Train the parameters that require grad (the composition's trainable adapters; the
    head at ``head_lr``) for ``settings.max_steps`` optimiser steps; with ``checkpoints``,
    resumably (see :mod:`.checkpoint`)."""
    seed_everything(seed)  # dropout
    head = {id(p) for p in (model.head.parameters() if model.head is not None else [])}
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        ParamGroup([p for p in params if id(p) not in head], settings.lr),
        ParamGroup([p for p in params if id(p) in head], settings.head_lr or settings.lr),
    ]
    with gradient_checkpointing(model.encoder, settings.gradient_checkpointing):
        return fit(
            groups,
            batch_stream(kind, features, tokenizer, settings, seed),
            lambda batch: kind.loss(kind.logits(model, batch), batch),
            loop_settings(settings),
            device=model.device,
            modules=[model],
            callbacks=[ProgressBar(description), *callbacks],
            checkpoints=checkpoints,
        )


def train_mixture(
    members: Sequence[tuple[TaskModel, TaskKind, Any]],
    tokenizer: Any,
    settings: TrainSettings,
    rates: Sequence[float],
    *,
    seed: int,
    description: str = "train",
    callbacks: Sequence[TrainCallback] = (),
    checkpoints: Checkpointing | None = None,
) -> tuple[TrainReport, list[int]]:
    """Multi-task training: ``members`` are (model, kind, features) whose models share one
    encoder (its trainable adapters) and each have their own head; every micro-batch is
    drawn from one member, chosen at ``rates`` (:mod:`.mixture`). Returns the report and
    the batches drawn from each member."""
    from adaptxfer.training.mixture import MixedStream

    seed_everything(seed)  # dropout
    heads = {id(p) for model, _, _ in members for p in model.head.parameters()}
    params = list(
        {id(p): p for m, _, _ in members for p in m.parameters() if p.requires_grad}.values()
    )
    groups = [
        ParamGroup([p for p in params if id(p) not in heads], settings.lr),
        ParamGroup([p for p in params if id(p) in heads], settings.head_lr or settings.lr),
    ]
    stream = MixedStream(
        [batch_stream(kind, feats, tokenizer, settings, seed) for _, kind, feats in members],
        rates,
        seed,
    )

    def loss_of(batch: Batch) -> torch.Tensor:
        model, kind, _ = members[stream.last]
        return kind.loss(kind.logits(model, batch), batch)

    encoder = members[0][0].encoder  # shared by every member
    with gradient_checkpointing(encoder, settings.gradient_checkpointing):
        report = fit(
            groups,
            stream,
            loss_of,
            loop_settings(settings),
            device=members[0][0].device,
            modules=[model for model, _, _ in members],
            callbacks=[ProgressBar(description), *callbacks],
            checkpoints=checkpoints,
        )
    return report, list(stream.drawn)


def loop_settings(settings: TrainSettings) -> LoopSettings:
    """The loop's schedule from a task's ``train`` block."""
    schedule = (
        "max_steps",
        "warmup_ratio",
        "max_grad_norm",
        "weight_decay",
        "grad_accum",
        "precision",
        "optimizer",
        "kernels",
    )
    return LoopSettings(**settings.model_dump(include=set(schedule)))


def batch_stream(
    kind: TaskKind, features: Any, tokenizer: Any, settings: TrainSettings, seed: int
) -> Iterator[Batch]:
    """The task's training batches (:func:`_loader`), epoch after epoch, forever."""
    return _forever(_loader(kind, features, tokenizer, settings, seed))


def _loader(
    kind: TaskKind, features: Any, tokenizer: Any, settings: TrainSettings, seed: int
) -> torch.utils.data.DataLoader:
    """Shuffled batches; with ``group_by_length`` each batch holds examples of similar
    length (transformers' length-grouped sampler), which roughly halves padding on CPU."""
    from transformers.trainer_pt_utils import LengthGroupedSampler

    from adaptxfer.tasks.kinds.base import token_count

    generator = torch.Generator().manual_seed(seed)
    rows = features.with_format(None)
    sampler = None
    if settings.group_by_length:
        lengths = [token_count(ids) for ids in rows["input_ids"]]
        sampler = LengthGroupedSampler(settings.batch_size, lengths=lengths, generator=generator)
    return torch.utils.data.DataLoader(
        rows,
        batch_size=settings.batch_size,
        shuffle=sampler is None,
        sampler=sampler,
        collate_fn=kind.collator(tokenizer),
        generator=None if sampler else generator,
        drop_last=len(features) > settings.batch_size,
    )


def _forever(loader: torch.utils.data.DataLoader) -> Iterator[Batch]:
    while True:
        yield from loader
