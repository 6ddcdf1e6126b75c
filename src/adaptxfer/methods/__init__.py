"""Adapter methods over two libraries behind one interface (:class:`AdapterBackend`).

LoRA runs through peft, bottleneck adapters through the adapters library
(:func:`backend_library`); what each library can do beyond the basics is the table in
:mod:`adaptxfer.methods.capabilities`. Importing this package does not import torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from adaptxfer.errors import UnknownNameError
from adaptxfer.methods.backend import AdapterBackend
from adaptxfer.methods.capabilities import library_of as backend_library
from adaptxfer.methods.settings import BOTTLENECKS, METHOD_NAMES, MethodConfig

if TYPE_CHECKING:
    from torch import nn


BACKENDS: dict[str, str] = {
    "peft": "adaptxfer.methods.peft_lora:PeftLoraBackend",
    "adapters": "adaptxfer.methods.bottleneck:AdaptersBackend",
}


def create_backend(model: nn.Module, library: str) -> AdapterBackend:
    """The backend of ``library`` (a key of :data:`CAPABILITIES`) around ``model``."""
    import importlib

    if library not in BACKENDS:
        raise UnknownNameError("adapter library", library, list(BACKENDS))
    module, name = BACKENDS[library].split(":")
    return getattr(importlib.import_module(module), name)(model)


__all__ = [
    "BACKENDS",
    "BOTTLENECKS",
    "METHOD_NAMES",
    "AdapterBackend",
    "MethodConfig",
    "backend_library",
    "create_backend",
]
