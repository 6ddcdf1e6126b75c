"""The recipe's ``train`` block (also per phase: ``intermediate.train``, ``target.train``)."""

from __future__ import annotations

from pydantic import Field

from adaptxfer.strict_model import StrictModel


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
