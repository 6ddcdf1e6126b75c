"""Backbones: the registry of named encoders, loading (frozen, optionally quantised), the
offline conversion of the default e5-small, and pooled sentence vectors."""

from adaptxfer.backbones.e5_small import e5_small_dir
from adaptxfer.backbones.loading import (
    LoadedBackbone,
    compute_dtype_for,
    default_device,
    load_backbone,
)
from adaptxfer.backbones.pooling import encode_mean_pooled, encode_pooled
from adaptxfer.backbones.quantization import (
    QUANTIZATIONS,
    Quantization,
    is_quantized,
    prepare_quantized_for_training,
)
from adaptxfer.backbones.registry import (
    BACKBONES,
    DEFAULT_BACKBONE,
    BackboneEntry,
    known_backbones,
    resolve_source,
)

__all__ = [
    "BACKBONES",
    "DEFAULT_BACKBONE",
    "QUANTIZATIONS",
    "BackboneEntry",
    "LoadedBackbone",
    "Quantization",
    "compute_dtype_for",
    "default_device",
    "e5_small_dir",
    "encode_mean_pooled",
    "encode_pooled",
    "is_quantized",
    "known_backbones",
    "load_backbone",
    "prepare_quantized_for_training",
    "resolve_source",
]
