"""Gradient checkpointing (``train.gradient_checkpointing``): keep only each transformer
layer's input during the forward and recompute the layer in the backward.

Activation memory then grows with one layer instead of all of them (about a third more
compute), which is what lets XLM-R XL/XXL train at useful batch sizes. The result does
not change: torch's checkpoint replays the dropout RNG, so losses and gradients equal the
plain run's within floating-point noise (tests/test_train_memory.py), and the setting
stays out of the store key. Non-reentrant checkpointing is used: the frozen backbone's
inputs need no gradient, and the adapters library's override of
``gradient_checkpointing_enable`` carries its forward context into the recomputation.
XLM-R XL/XXL's model class omits the support flag its layers honour; it is set here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from adaptxfer.errors import UnsupportedError

if TYPE_CHECKING:
    from torch import nn
    from transformers import PreTrainedModel


def transformer_of(module: nn.Module) -> PreTrainedModel:
    """The transformers model inside ``module`` (itself, or under peft's wrappers)."""
    from transformers import PreTrainedModel

    for inner in module.modules():
        if isinstance(inner, PreTrainedModel):
            return inner
    raise UnsupportedError(
        f"train.gradient_checkpointing: the encoder ({type(module).__name__}) holds no "
        "transformers model to checkpoint; set it to false"
    )


@contextmanager
def gradient_checkpointing(module: nn.Module, enabled: bool) -> Iterator[None]:
    """Checkpoint ``module``'s transformer layers while the block runs (no-op if not
    ``enabled``); the model is left as it was found."""
    if not enabled:
        yield
        return
    model = transformer_of(module)
    if not model.supports_gradient_checkpointing and _has_checkpointing_layers(model):
        # XLM-R XL/XXL in transformers 4.57: its layers checkpoint (GradientCheckpointing-
        # Layer) but the model class does not declare it; declare it on this instance.
        model.supports_gradient_checkpointing = True
    if not model.supports_gradient_checkpointing:
        raise UnsupportedError(
            f"train.gradient_checkpointing: {type(model).__name__} does not support it; "
            "set it to false"
        )
    was_on = model.is_gradient_checkpointing
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    try:
        yield
    finally:
        if not was_on:
            model.gradient_checkpointing_disable()


def _has_checkpointing_layers(model: nn.Module) -> bool:
    from transformers.modeling_layers import GradientCheckpointingLayer

    return any(isinstance(m, GradientCheckpointingLayer) for m in model.modules())
