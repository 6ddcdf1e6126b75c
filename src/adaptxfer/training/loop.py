"""The one training loop: AdamW (or an 8-bit AdamW, :mod:`.optimizers`) over parameter groups, linear warm-up and decay, gradient
clipping, a fixed budget of optimiser steps. What is trained is the caller's choice: the
loop takes a batch stream and a loss function (task training: :mod:`.task`; masked-LM
training of MAD-X language adapters: :mod:`adaptxfer.language_adapters.training`).

Extension seam: :class:`TrainCallback` objects are called when training starts, after
every optimiser step (with a :class:`StepEvent`: step, loss, learning rates, examples,
time) and when it ends; they see the :class:`TrainState` (optimiser, scheduler, step
counter, data position). Progress bars are one such callback (:mod:`.callbacks`), step
checkpoints another (:mod:`.checkpoint`): given ``checkpoints``, :func:`fit` first resumes
from the newest good checkpoint there.

Speed: the forward runs under bf16 autocast where ``precision`` resolves to bf16
(:mod:`.precision`), and losses stay on the device until a point of the loss curve is
due (every ``loss_every`` steps), so the host waits for the device once per point rather
than once per step; a callback that reads :attr:`StepEvent.loss` pays that wait itself.
On a CPU, dropout and the attention's dropout use cheaper masks while training
(:mod:`.cpu_kernels`, ``kernels``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch

from adaptxfer.training.cpu_kernels import cpu_training_kernels
from adaptxfer.training.optimizers import make_optimizer
from adaptxfer.training.precision import Resolved, autocast, resolve_precision

if TYPE_CHECKING:
    from torch import nn

    from adaptxfer.training.checkpoint import Checkpointing

Batch = dict[str, torch.Tensor]


@dataclass(frozen=True)
class LoopSettings:
    """The optimisation schedule (task settings and language-adapter settings map onto it)."""

    max_steps: int
    warmup_ratio: float
    max_grad_norm: float
    weight_decay: float = 0.0
    grad_accum: int = 1  # micro-batches per optimiser step
    loss_every: int = 10  # steps averaged into one point of the loss curve
    precision: str = "auto"  # auto | fp32 | bf16 (:mod:`.precision`)
    optimizer: str = "adamw"  # adamw | adamw_8bit | paged_adamw_8bit (:mod:`.optimizers`)
    kernels: str = "auto"  # auto | torch (:mod:`.cpu_kernels`)


@dataclass(frozen=True)
class ParamGroup:
    """Parameters trained at one learning rate (e.g. the adapter, and the head)."""

    params: list[nn.Parameter]
    lr: float


@dataclass
class TrainReport:
    steps: int
    examples: int
    seconds: float
    trainable_parameters: int
    losses: list[float] = field(default_factory=list)
    precision: Resolved = "fp32"
    kernels: str = "torch"  # "adaptxfer-cpu" when :mod:`.cpu_kernels` trained

    @property
    def final_loss(self) -> float:
        tail = self.losses[-5:]
        return sum(tail) / len(tail) if tail else math.nan

    def to_dict(self) -> dict[str, Any]:
        return {
            "steps": self.steps,
            "examples": self.examples,
            "seconds": round(self.seconds, 2),
            "steps_per_second": round(self.steps / self.seconds, 3) if self.seconds > 0 else None,
            "trainable_parameters": self.trainable_parameters,
            "precision": self.precision,
            "kernels": self.kernels,
            "final_loss": round(self.final_loss, 4),
            "loss_curve": [round(x, 4) for x in self.losses],
        }


@dataclass
class TrainState:
    """What the loop holds while it runs (callbacks may read it, e.g. to checkpoint)."""

    settings: LoopSettings
    optimizer: torch.optim.Optimizer
    scheduler: Any  # torch.optim.lr_scheduler.LambdaLR
    params: list[nn.Parameter]
    report: TrainReport
    names: list[str] = field(default_factory=list)  # each of ``params``' name
    step: int = 0
    batches: int = 0  # micro-batches drawn from the stream: the data position
    # step losses since the last curve point: device tensors (floats after a resume)
    running: list[torch.Tensor | float] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)

    def named_params(self) -> list[tuple[str, nn.Parameter]]:
        return list(zip(self.names, self.params, strict=True))


@dataclass(frozen=True)
class StepEvent:
    """One finished optimiser step."""

    step: int
    max_steps: int
    step_loss: torch.Tensor  # mean over this step's micro-batches, still on the device
    lrs: tuple[float, ...]  # each parameter group's learning rate for the next step
    examples: int  # examples seen so far
    seconds: float  # since training started

    @property
    def loss(self) -> float:
        """The step's loss (waits for the device: read it only when needed)."""
        return float(self.step_loss)

    @property
    def examples_per_second(self) -> float:
        return self.examples / self.seconds if self.seconds > 0 else math.nan


class TrainCallback:
    """Hooks into :func:`fit`; override the ones you need."""

    def on_train_start(self, state: TrainState) -> None:
        """Before the first step."""

    def on_step_end(self, state: TrainState, event: StepEvent) -> None:
        """After every optimiser step."""

    def on_train_end(self, state: TrainState) -> None:
        """After the last step, or when training stops on an exception."""


def fit(
    groups: Sequence[ParamGroup],
    batches: Iterator[Batch],
    loss_of: Callable[[Batch], torch.Tensor],
    settings: LoopSettings,
    *,
    device: torch.device,
    modules: Sequence[nn.Module],
    callbacks: Sequence[TrainCallback] = (),
    checkpoints: Checkpointing | None = None,
) -> TrainReport:
    """Train ``groups`` for ``settings.max_steps`` optimiser steps on ``batches`` (moved to
    ``device``), minimising ``loss_of(batch)``. ``modules`` are in train mode meanwhile and
    in eval mode afterwards. With ``checkpoints``, training continues from the newest good
    checkpoint there (``batches`` must be the stream a fresh start would draw) and saves
    new ones as they say."""
    from transformers import get_linear_schedule_with_warmup

    groups = [g for g in groups if g.params]
    if not groups:
        raise RuntimeError("nothing to train: the composition left no parameter trainable")
    params = [p for g in groups for p in g.params]
    optimizer = make_optimizer(
        settings.optimizer,
        [{"params": g.params, "lr": g.lr} for g in groups],
        weight_decay=settings.weight_decay,
        device=device,
    )
    scheduler = get_linear_schedule_with_warmup(
        optimizer, int(settings.warmup_ratio * settings.max_steps), settings.max_steps
    )
    precision = resolve_precision(settings.precision, device)
    report = TrainReport(0, 0, 0.0, sum(p.numel() for p in params), precision=precision)
    state = TrainState(settings, optimizer, scheduler, params, report, _names(modules, params))
    if checkpoints is not None:
        checkpoints.resume(state, batches)
        callbacks = [*callbacks, checkpoints.callback()]
    for module in modules:
        module.train()
    try:
        with cpu_training_kernels(modules, device, settings.kernels) as ours:
            report.kernels = "adaptxfer-cpu" if ours else "torch"
            _run(state, batches, loss_of, device, precision, callbacks)
    finally:
        for module in modules:
            module.eval()
        report.seconds = time.perf_counter() - state.started
        for callback in callbacks:
            callback.on_train_end(state)
    return report


def _run(
    state: TrainState,
    batches: Iterator[Batch],
    loss_of: Callable[[Batch], torch.Tensor],
    device: torch.device,
    precision: Resolved,
    callbacks: Sequence[TrainCallback],
) -> None:
    """Optimiser steps until ``max_steps``, with the loss curve and the callbacks."""
    settings, report, scheduler = state.settings, state.report, state.scheduler
    for callback in callbacks:
        callback.on_train_start(state)
    while state.step < settings.max_steps:
        step_loss = _step(state, batches, loss_of, device, precision)
        state.running.append(step_loss)
        state.step += 1
        report.steps = state.step
        if state.step % settings.loss_every == 0 or state.step == settings.max_steps:
            points = [torch.as_tensor(x, device=device) for x in state.running]
            report.losses.append(float(torch.stack(points).mean()))  # the one sync
            state.running.clear()
        event = StepEvent(
            step=state.step,
            max_steps=settings.max_steps,
            step_loss=step_loss,
            lrs=tuple(scheduler.get_last_lr()),
            examples=report.examples,
            seconds=time.perf_counter() - state.started,
        )
        for callback in callbacks:
            callback.on_step_end(state, event)


def _names(modules: Sequence[nn.Module], params: list[nn.Parameter]) -> list[str]:
    """Each parameter's name in ``modules`` (prefixed by the module's index when there are
    several), so that checkpoints store parameters by name, not by position."""
    index = {id(p): i for i, p in enumerate(params)}
    names: list[str | None] = [None] * len(params)
    for k, module in enumerate(modules):
        for name, param in module.named_parameters():
            i = index.get(id(param))
            if i is not None and names[i] is None:
                names[i] = f"{k}.{name}" if len(modules) > 1 else name
    return [name or f"param.{i}" for i, name in enumerate(names)]


def _step(
    state: TrainState,
    batches: Iterator[Batch],
    loss_of: Callable[[Batch], torch.Tensor],
    device: torch.device,
    precision: Resolved,
) -> torch.Tensor:
    """One optimiser step over ``grad_accum`` micro-batches; their mean loss (a float32
    scalar on the device: reading it would make the host wait for the device)."""
    accum = state.settings.grad_accum
    total = torch.zeros((), device=device)
    for _ in range(accum):
        batch = {k: v.to(device, non_blocking=True) for k, v in next(batches).items()}
        state.batches += 1
        with autocast(precision, device):
            loss = loss_of(batch) / accum
        loss.backward()
        total += loss.detach().float()
        state.report.examples += len(batch["input_ids"])
    torch.nn.utils.clip_grad_norm_(state.params, state.settings.max_grad_norm)
    state.optimizer.step()
    state.scheduler.step()
    state.optimizer.zero_grad(set_to_none=True)
    return total
