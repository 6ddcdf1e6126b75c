"""One interface over the adapter libraries (peft and adapters).

A backend owns the encoder it wraps. Callers add, load, save, activate and freeze
adapters by name and never branch on which library does the work.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from torch import nn

if TYPE_CHECKING:
    from adaptxfer.methods.settings import MethodConfig


class AdapterBackend(ABC):
    """Adapters of one library on one frozen backbone."""

    library: ClassVar[str]

    def __init__(self, model: nn.Module) -> None:
        self._model = model
        self._methods: dict[str, MethodConfig] = {}

    @property
    def encoder(self) -> nn.Module:
        """The module to call with ``input_ids`` / ``attention_mask``."""
        return self._model

    def adapter_names(self) -> list[str]:
        return list(self._methods)

    def method_of(self, name: str) -> MethodConfig:
        return self._methods[name]

    @abstractmethod
    def add(self, name: str, method: MethodConfig) -> None:
        """Add a new, freshly initialised adapter."""

    @abstractmethod
    def load(self, name: str, directory: Path, method: MethodConfig) -> None:
        """Load a saved adapter under ``name`` (frozen until :meth:`set_trainable`)."""

    @abstractmethod
    def save(self, name: str, directory: Path) -> None:
        """Write the adapter's weights (safetensors) and library config into ``directory``."""

    @abstractmethod
    def activate(self, names: Sequence[str]) -> None:
        """Use exactly these adapters in the forward pass, stacked bottom to top."""

    @abstractmethod
    def parameters_of(self, name: str) -> Iterator[tuple[str, nn.Parameter]]:
        """The named parameters that belong to one adapter."""

    def set_trainable(self, names: Sequence[str]) -> None:
        """Exactly the parameters of ``names`` receive gradients; all others are frozen."""
        train = {id(p) for name in names for _, p in self.parameters_of(name)}
        for param in self.encoder.parameters():
            param.requires_grad = id(param) in train
