"""One interface over the adapter libraries (peft and adapters).

A backend owns the encoder it wraps. Callers add, load, save, activate and freeze
adapters by name and never branch on which library does the work.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from torch import nn

from adaptxfer.errors import UnsupportedError

if TYPE_CHECKING:
    import torch

    from adaptxfer.compose.settings import MergeSettings
    from adaptxfer.methods.settings import MethodConfig

FUSION = "fusion"  # pseudo adapter name: the learned fusion / mixture weights

# Loads a language adapter into an adapters-library model: (model, directory, name).
LanguageLoader = Callable[[nn.Module, Path, str], None]


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

    def add(self, name: str, method: MethodConfig, *, seed: int) -> None:
        """Add a new adapter, initialised from ``seed`` (the same weights in every process)."""
        from adaptxfer.seeding import seeded

        with seeded(seed, "adapter", name):
            self._create(name, method)

    @abstractmethod
    def _create(self, name: str, method: MethodConfig) -> None:
        """Add a new, freshly (randomly) initialised adapter."""

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
        """Exactly the parameters of ``names`` receive gradients; all others are frozen.
        ``FUSION`` names the fusion / mixture weights of :meth:`fuse`."""
        train = {id(p) for name in names for _, p in self.parameters_of(name)}
        for param in self.encoder.parameters():
            param.requires_grad = id(param) in train

    def remove(self, name: str) -> None:
        """Drop an adapter (e.g. the sources of a merge, once merged)."""
        raise UnsupportedError(f"the {self.library} backend cannot remove adapters")

    # -- compositions that only some libraries offer ------------------------------------
    def fuse(self, sources: Sequence[str], target: str, temperature: float, *, seed: int) -> None:
        """Activate ``target`` plus a learned, per-layer mixture over the frozen ``sources``
        (initialised from ``seed``); the mixture weights are the parameters of ``FUSION``."""
        raise UnsupportedError(f"composition 'fuse' is not available with {self.library}")

    def fusion_state(self) -> dict[str, torch.Tensor]:
        """The fusion / mixture weights (empty when nothing is fused)."""
        return {n: p.detach().cpu().contiguous() for n, p in self.parameters_of(FUSION)}

    def load_fusion_state(self, state: dict[str, torch.Tensor]) -> None:
        import torch

        params = dict(self.parameters_of(FUSION))
        if set(params) != set(state):
            missing, extra = sorted(set(params) - set(state)), sorted(set(state) - set(params))
            raise UnsupportedError(
                f"fusion weights do not match the model: missing {missing[:3]}, unexpected {extra[:3]}"
            )
        with torch.no_grad():
            for name, value in state.items():
                params[name].copy_(value.to(params[name].device, params[name].dtype))

    def merge(
        self, sources: Sequence[str], name: str, settings: MergeSettings, *, seed: int
    ) -> None:
        """Combine ``sources`` into one new adapter ``name`` (random pruning drawn from
        ``seed``) and remove the sources."""
        raise UnsupportedError(
            "composition 'merge' needs LoRA adapters: bottleneck adapters (adapters library) "
            "have a nonlinearity between their projections, so their weights cannot be added "
            "into one adapter (use fuse or stack to combine bottleneck adapters)"
        )

    def require_languages(self) -> None:
        """Raise unless this backend can hold MAD-X language adapters."""
        raise UnsupportedError(
            f"composition 'madx' needs bottleneck adapters (the adapters library); the "
            f"{self.library} backend serves LoRA, which has no invertible language adapters: "
            "set method.name to seq_bn, double_seq_bn or par_bn"
        )

    def add_language(self, name: str, directory: Path, loader: LanguageLoader | None) -> None:
        """Load a language adapter (MAD-X), frozen."""
        self.require_languages()

    def language_names(self) -> list[str]:
        return []
