"""Adapter methods over two libraries behind one interface (:class:`AdapterBackend`).

LoRA runs through peft; bottleneck adapters (and LoRA, when it must be composed with
them) run through the adapters library. :func:`create_backend` picks the library.
"""

from __future__ import annotations

from torch import nn

from adaptxfer.methods.backend import AdapterBackend
from adaptxfer.methods.settings import BOTTLENECKS, METHOD_NAMES, MethodConfig


def backend_library(method: MethodConfig, *, needs_adapters_library: bool = False) -> str:
    """Which library serves ``method``: peft for LoRA, adapters for the rest (and for LoRA
    inside compositions that only the adapters library offers)."""
    if method.is_lora and not needs_adapters_library:
        return "peft"
    return "adapters"


def create_backend(model: nn.Module, library: str) -> AdapterBackend:
    if library == "peft":
        from adaptxfer.methods.peft_lora import PeftLoraBackend

        return PeftLoraBackend(model)
    from adaptxfer.methods.bottleneck import AdaptersBackend

    return AdaptersBackend(model)


__all__ = [
    "BOTTLENECKS",
    "METHOD_NAMES",
    "AdapterBackend",
    "MethodConfig",
    "backend_library",
    "create_backend",
]
