"""Build the encoder a phase trains or evaluates: a backbone, its adapters, a composition.

An :class:`Assembly` records exactly which adapters are active (in stacking order) and
which are trainable, so the same record rebuilds the model from a saved artifact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adaptxfer.errors import UnsupportedError
from adaptxfer.methods import AdapterBackend, create_backend

if TYPE_CHECKING:
    import torch
    from torch import nn

    from adaptxfer.backbones import LoadedBackbone
    from adaptxfer.compose.settings import CompositionConfig
    from adaptxfer.methods.settings import MethodConfig

TARGET = "target"


def intermediate_name(index: int) -> str:
    return f"inter{index}"


@dataclass
class Assembly:
    backbone: LoadedBackbone
    backend: AdapterBackend
    active: list[str] = field(default_factory=list)
    trainable: list[str] = field(default_factory=list)
    composition: str = "none"

    @classmethod
    def create(cls, backbone: LoadedBackbone, library: str) -> Assembly:
        return cls(backbone=backbone, backend=create_backend(backbone.model, library))

    @property
    def encoder(self) -> nn.Module:
        return self.backend.encoder

    def load_intermediates(self, directories: Sequence[Path], method: MethodConfig) -> list[str]:
        """Load each intermediate artifact's adapter, frozen, as inter0, inter1, ..."""
        from adaptxfer.artifacts import Manifest

        names = []
        for index, directory in enumerate(directories):
            entry = Manifest.read(directory).adapters[0]
            name = intermediate_name(index)
            self.backend.load(name, Path(directory) / entry.path, method)
            names.append(name)
        return names

    def compose(
        self,
        config: CompositionConfig,
        intermediates: list[str],
        method: MethodConfig,
        *,
        with_target: bool,
    ) -> None:
        """Activate and freeze adapters as the composition says.

        ``with_target`` is False for targets evaluated without training (retrieval,
        mining): then the intermediate adapters alone adapt the encoder.
        """
        name = config.name
        if name == "none":
            active, trainable = ([TARGET], [TARGET]) if with_target else ([], [])
        elif name == "sequential":
            if len(intermediates) != 1:
                raise UnsupportedError(
                    f"composition 'sequential' continues one adapter; got {len(intermediates)} "
                    "(the intermediate chain is trained into a single adapter first)"
                )
            active, trainable = list(intermediates), (list(intermediates) if with_target else [])
        elif name == "stack":
            active = [*intermediates, TARGET] if with_target else list(intermediates)
            trainable = [TARGET] if with_target else []
        else:
            raise UnsupportedError(f"composition {name!r} is not available in this build")
        if TARGET in active:
            self.backend.add(TARGET, method)
        self._apply(name, active, trainable)

    def _apply(self, name: str, active: list[str], trainable: list[str]) -> None:
        self.composition, self.active, self.trainable = name, active, trainable
        if active:
            self.backend.activate(active)
        self.backend.set_trainable(trainable)
        from adaptxfer.backbones import prepare_quantized_for_training

        prepare_quantized_for_training(self.encoder)

    # -- persistence -------------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        return {"name": self.composition, "active": self.active, "trainable": self.trainable}

    def composition_state(self) -> dict[str, torch.Tensor]:
        return {}

    def restore(self, description: dict[str, Any], state: dict[str, torch.Tensor]) -> None:
        """Re-activate a saved composition for evaluation (nothing trainable)."""
        self._apply(description["name"], list(description["active"]), [])
