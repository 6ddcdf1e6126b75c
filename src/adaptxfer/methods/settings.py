"""Adapter method settings: the recipe's ``method`` block.

    method:
      name: lora            # lora | seq_bn | double_seq_bn | par_bn
      lora: {r: 8, alpha: 16}
      seq_bn: {reduction_factor: 16}

Each method reads its own block; blocks of other methods may be present (so that
``--set method.name=seq_bn`` works on a LoRA recipe) and are ignored.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from adaptxfer.strict_model import StrictModel

MethodName = Literal["lora", "seq_bn", "double_seq_bn", "par_bn"]
METHOD_NAMES: tuple[str, ...] = ("lora", "seq_bn", "double_seq_bn", "par_bn")
BOTTLENECKS: tuple[str, ...] = ("seq_bn", "double_seq_bn", "par_bn")


class LoraSettings(StrictModel):
    """Low-rank updates of the attention (and optionally feed-forward) projections."""

    r: int = Field(8, ge=1)
    alpha: float = Field(16.0, gt=0)
    dropout: float = Field(0.05, ge=0, lt=1)
    target_modules: list[str] = Field(default_factory=lambda: ["query", "value"])
    use_dora: bool = False


class BottleneckSettings(StrictModel):
    """A down/up projection adapter after attention and/or feed-forward blocks."""

    reduction_factor: float = Field(16, gt=0)
    non_linearity: Literal["relu", "gelu", "swish", "tanh"] = "relu"


class MethodConfig(StrictModel):
    name: MethodName = "lora"
    lora: LoraSettings = Field(default_factory=LoraSettings)
    seq_bn: BottleneckSettings = Field(default_factory=BottleneckSettings)
    double_seq_bn: BottleneckSettings = Field(default_factory=BottleneckSettings)
    par_bn: BottleneckSettings = Field(
        default_factory=lambda: BottleneckSettings(reduction_factor=2)
    )

    @property
    def is_lora(self) -> bool:
        return self.name == "lora"

    def settings(self) -> LoraSettings | BottleneckSettings:
        return getattr(self, self.name)

    def summary(self) -> dict[str, object]:
        """Only what determines the adapter (used in artifact metadata and store keys)."""
        return {"name": self.name, **self.settings().model_dump()}
