"""What determines a language adapter: architecture, masked-LM training and its data."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from adaptxfer.strict_model import StrictModel


class LanguageAdapterSettings(StrictModel):
    """A MAD-X language adapter (Pfeiffer et al. 2020) and how it is trained.

    Defaults follow MAD-X where it says (seq_bn + NICE invertible adapter, reduction factor
    2 for both, ReLU, 15% masking); the step budget is sized for a CPU. Every field goes
    into the store key, so changing any of them trains a new adapter.
    """

    reduction_factor: float = Field(2, gt=0, description="seq_bn bottleneck: hidden / factor")
    inv_adapter: Literal["nice", "glow"] = "nice"
    inv_adapter_reduction_factor: float = Field(2, gt=0)
    non_linearity: Literal["relu", "gelu", "swish", "tanh"] = "relu"
    max_steps: int = Field(300, ge=1, description="optimiser steps that train the adapter")
    lr: float = Field(5e-4, gt=0)
    head_steps: int = Field(
        100,
        ge=0,
        description="steps that first fit the MLM transform head on the frozen backbone "
        "(adapter off); it stands in for the MLM head the converted backbone lacks",
    )
    head_lr: float = Field(1e-3, gt=0)
    warmup_ratio: float = Field(0.06, ge=0, lt=1)
    max_grad_norm: float = Field(1.0, gt=0)
    batch_size: int = Field(16, ge=1)
    max_length: int = Field(128, ge=8, le=4096)
    mlm_probability: float = Field(0.15, gt=0, lt=1)
    max_texts: int | None = Field(
        None, ge=1, description="train verses used (a seeded sample); None = all"
    )
    eval_texts: int = Field(256, ge=1, description="held-out dev-book verses scored")
    seed: int = 0
    translation: str | None = Field(
        None,
        description="Bible translation code (tasks.bible.TRANSLATIONS); None = the one the "
        "data module prefers for the language (PREFERRED: public domain where possible)",
    )
