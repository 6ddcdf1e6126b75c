"""The recipe's ``train`` block (also per phase: ``intermediate.train``, ``target.train``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from adaptxfer.strict_model import StrictModel
from adaptxfer.training.optimizers import OptimizerName
from adaptxfer.training.precision import Precision

# train.kernels (:mod:`.cpu_kernels`): auto = adaptxfer's CPU training kernels, torch = torch's
Kernels = Literal["auto", "torch"]

# Settings that change how a training is carried out, not what it produces: they are left
# out of what determines an adapter (the store key) and of a run's resume fingerprint.
NOT_DETERMINING = frozenset({"checkpoint_every", "gradient_checkpointing"})


class TrainSettings(StrictModel):
    """How a task adapter and its head are trained (the loop: :mod:`.loop`)."""

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
    checkpoint_every: int | None = Field(
        50,
        ge=1,
        description="save a step checkpoint every N optimiser steps (always at Ctrl-C and "
        "SIGTERM); null: only then",
    )
    precision: Precision = Field(
        "auto",
        description="auto: bf16 autocast where the hardware has native bf16 "
        "(AVX512-BF16/AMX CPUs, bf16 GPUs), else fp32",
    )
    gradient_checkpointing: bool = Field(
        False,
        description="recompute each layer in the backward instead of keeping its "
        "activations: less memory, same result, ~1/3 more compute",
    )
    optimizer: OptimizerName = Field(
        "adamw",
        description="adamw (torch), adamw_8bit or paged_adamw_8bit (bitsandbytes: 8-bit "
        "moments; paged pages them to host memory on CUDA)",
    )
    kernels: Kernels = Field(
        "auto",
        description="auto: while training on a CPU, dropout masks from 16-bit random "
        "integers and the attention's dropout as explicit products (benchmarks/"
        "RESULTS.md: faster, same learning); torch: torch's dropout and attention",
    )

    def determining(self) -> dict[str, Any]:
        """The settings that determine the trained weights (the store key): all but
        :data:`NOT_DETERMINING`, ``precision`` and ``kernels`` only when chosen
        explicitly and ``optimizer`` only when not ``adamw``. ``auto`` is the hardware's
        choice, like the device (which no key records either), so adapters trained
        before these settings existed keep their keys; the precision and kernels that
        ran are in the training report."""
        dump = self.model_dump(exclude=set(NOT_DETERMINING))
        if self.precision == "auto":
            del dump["precision"]
        if self.kernels == "auto":
            del dump["kernels"]
        if self.optimizer == "adamw":
            del dump["optimizer"]
        return dump
