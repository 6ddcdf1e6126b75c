"""Plugin interfaces for the architectures the adapters library has no module for.

adapters 1.3 wraps an unknown architecture when told, through an
``AdapterModelInterface``, where its layers and projections are; it then hooks the
bottleneck adapters onto the projections' outputs instead of rewriting the layer code.
XLM-R XL and XXL (``xlm-roberta-xl``) are pre-LayerNorm: each sub-block is
``x + dense(f(LayerNorm(x)))`` and there is no LayerNorm after the residual add, so the
residual is read in front of the sub-block's LayerNorm and no ``layer_ln_*`` is given.

What this serves (checked by tests/test_xl_adapters.py): seq_bn, double_seq_bn and
par_bn adapters, their Stack, Fuse among adapters of one placement (the same rule as on
built-in architectures), and MAD-X's invertible language adapters. The library refuses
prefix tuning and ``original_ln_after: false`` configurations through an interface;
adaptxfer uses neither.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from torch import nn

# model_type (config.json) -> the interface's fields, kept as data so that
# :mod:`adaptxfer.methods.support` can read it without importing the library.
INTERFACE_FIELDS: dict[str, dict[str, Any]] = {
    "xlm-roberta-xl": {
        "adapter_methods": ["bottleneck", "invertible"],
        "model_embeddings": "embeddings",
        "model_layers": "encoder.layer",
        "layer_self_attn": "attention",
        "layer_cross_attn": None,
        "attn_q_proj": "self.query",
        "attn_k_proj": "self.key",
        "attn_v_proj": "self.value",
        "attn_o_proj": "output.dense",
        "layer_intermediate_proj": "intermediate.dense",
        "layer_output_proj": "output.dense",
        # the residual stream enters each sub-block through its LayerNorm
        "layer_pre_self_attn": "attention.self_attn_layer_norm",
        "layer_pre_ffn": "LayerNorm",
        "layer_ln_1": None,
        "layer_ln_2": None,
    },
}


def has_interface(model_type: str | None) -> bool:
    """Whether adaptxfer describes ``model_type`` to the adapters library itself."""
    return model_type is not None and _key(model_type) in INTERFACE_FIELDS


def adapter_interface(model_type: str | None):  # -> adapters.AdapterModelInterface | None
    """The interface for ``model_type``, or None where the library needs none."""
    if not has_interface(model_type):
        return None
    from adapters import AdapterModelInterface

    return AdapterModelInterface(**INTERFACE_FIELDS[_key(model_type)])  # type: ignore[arg-type]


def init_adapters(model: nn.Module) -> None:
    """``adapters.init(model)``, with our interface where the architecture needs one.
    Idempotent: a second init would hook every layer twice."""
    import adapters

    if hasattr(model, "adapters_config"):
        return
    model_type = getattr(getattr(model, "config", None), "model_type", None)
    adapters.init(model, interface=adapter_interface(model_type))


def _key(model_type: str) -> str:
    return model_type.replace("_", "-")
