"""The training loop: AdamW over whatever the composition left trainable, linear warm-up
and decay, fixed step budget. Deliberately small: one loop for every kind and method."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import torch
from pydantic import BaseModel, ConfigDict, Field

from adaptxfer.progress import manual_bar
from adaptxfer.seeding import seed_everything
from adaptxfer.tasks.kinds import TaskKind
from adaptxfer.tasks.model import TaskModel


class TrainSettings(BaseModel):
    """The recipe's ``train`` block (also per phase: ``intermediate.train``, ``target.train``)."""

    model_config = ConfigDict(extra="forbid")

    max_steps: int = Field(200, ge=1)
    lr: float = Field(5e-4, gt=0)
    head_lr: float | None = Field(None, gt=0, description="defaults to lr")
    batch_size: int = Field(16, ge=1)
    grad_accum: int = Field(1, ge=1)
    max_length: int = Field(128, ge=8, le=4096)
    warmup_ratio: float = Field(0.06, ge=0, lt=1)
    weight_decay: float = Field(0.0, ge=0)
    max_grad_norm: float = Field(1.0, gt=0)
    max_train_examples: int | None = Field(None, ge=1)
    group_by_length: bool = Field(
        True, description="batch examples of similar length (less padding)"
    )
    dev_examples: int = Field(500, ge=1, description="dev examples scored after training")


@dataclass
class TrainReport:
    steps: int
    examples: int
    seconds: float
    trainable_parameters: int
    losses: list[float] = field(default_factory=list)

    @property
    def final_loss(self) -> float:
        tail = self.losses[-5:]
        return sum(tail) / len(tail) if tail else math.nan

    def to_dict(self) -> dict[str, Any]:
        return {
            "steps": self.steps,
            "examples": self.examples,
            "seconds": round(self.seconds, 2),
            "trainable_parameters": self.trainable_parameters,
            "final_loss": round(self.final_loss, 4),
            "loss_curve": [round(x, 4) for x in self.losses],
        }


def trainable_parameters(model: torch.nn.Module) -> list[torch.nn.Parameter]:
    return [p for p in model.parameters() if p.requires_grad]


def _autocast(device: torch.device):
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return torch.autocast("cpu", enabled=False)


def train(
    model: TaskModel,
    kind: TaskKind,
    features: Any,
    tokenizer: Any,
    settings: TrainSettings,
    *,
    seed: int,
    description: str = "train",
) -> TrainReport:
    """Train the parameters that require grad for ``settings.max_steps`` optimiser steps."""
    from transformers import get_linear_schedule_with_warmup

    seed_everything(seed)
    params = trainable_parameters(model)
    if not params:
        raise RuntimeError("nothing to train: the composition left no parameter trainable")
    head = {id(p) for p in (model.head.parameters() if model.head is not None else [])}
    groups = [
        {"params": [p for p in params if id(p) not in head], "lr": settings.lr},
        {"params": [p for p in params if id(p) in head], "lr": settings.head_lr or settings.lr},
    ]
    optimizer = torch.optim.AdamW(
        [g for g in groups if g["params"]], weight_decay=settings.weight_decay
    )
    scheduler = get_linear_schedule_with_warmup(
        optimizer, int(settings.warmup_ratio * settings.max_steps), settings.max_steps
    )
    loader = _loader(kind, features, tokenizer, settings, seed)
    device = model.device
    model.train()
    report = TrainReport(
        steps=0, examples=0, seconds=0.0, trainable_parameters=sum(p.numel() for p in params)
    )
    start = time.perf_counter()
    bar = manual_bar(settings.max_steps, description)
    batches = _forever(loader)
    running: list[float] = []
    try:
        while report.steps < settings.max_steps:
            for _ in range(settings.grad_accum):
                batch = {k: v.to(device) for k, v in next(batches).items()}
                with _autocast(device):
                    loss = kind.loss(kind.logits(model, batch), batch) / settings.grad_accum
                loss.backward()
                running.append(loss.item() * settings.grad_accum)
                report.examples += len(batch["input_ids"])
            torch.nn.utils.clip_grad_norm_(params, settings.max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            report.steps += 1
            if report.steps % 10 == 0 or report.steps == settings.max_steps:
                report.losses.append(sum(running) / len(running))
                running.clear()
                bar.set_postfix(loss=f"{report.losses[-1]:.3f}")
            bar.update(1)
    finally:
        bar.close()
        model.eval()
    report.seconds = time.perf_counter() - start
    return report


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


def _forever(loader: torch.utils.data.DataLoader):
    while True:
        yield from loader
