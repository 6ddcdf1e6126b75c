"""One interface over the adapter libraries (peft and adapters).

A backend owns the encoder it wraps. Callers add, load, save, activate and freeze
adapters by name and never branch on which library does the work. What only some
libraries can do is a capability mixin (:class:`Fusing`, :class:`Merging`,
:class:`HoldsLanguageAdapters`): a backend inherits exactly the capabilities that
:data:`adaptxfer.methods.capabilities.CAPABILITIES` lists for its library, and
:func:`require` asks for one with the table's reason when it is missing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, TypeVar

from adaptxfer.errors import UnsupportedError
from adaptxfer.methods.capabilities import WHY_NOT

if TYPE_CHECKING:
    import torch
    from torch import nn

    from adaptxfer.methods.settings import MethodConfig

FUSION = "fusion"  # pseudo adapter name: the learned fusion / mixture weights

# Loads a language adapter into an adapters-library model: (model, directory, name).
LanguageLoader = Callable[["nn.Module", Path, str], None]


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
    def remove(self, name: str) -> None:
        """Drop an adapter (e.g. the sources of a merge, once merged)."""

    @abstractmethod
    def parameters_of(self, name: str) -> Iterator[tuple[str, nn.Parameter]]:
        """The named parameters that belong to one adapter."""

    def set_trainable(self, names: Sequence[str]) -> None:
        """Exactly the parameters of ``names`` receive gradients; all others are frozen.
        ``FUSION`` names the fusion / mixture weights of :meth:`Fusing.fuse`."""
        train = {id(p) for name in names for _, p in self.parameters_of(name)}
        for param in self.encoder.parameters():
            param.requires_grad = id(param) in train

    def capabilities(self) -> frozenset[str]:
        """What this backend can do beyond the basics (the capability mixins it inherits)."""
        return frozenset(
            cls.__dict__["capability"] for cls in type(self).__mro__ if "capability" in cls.__dict__
        )


class _Capability:
    capability: ClassVar[str]  # its key in methods.capabilities.CAPABILITIES
    action: ClassVar[str]  # what it lets a backend do, for messages


class Fusing(_Capability, ABC):
    """Learned fusion of frozen adapters under a trainable one."""

    capability = "fuse"
    action = "fuse adapters"

    @abstractmethod
    def fuse(self, sources: Sequence[str], target: str, temperature: float, *, seed: int) -> None:
        """Activate ``target`` plus a learned, per-layer mixture over the frozen ``sources``
        (initialised from ``seed``); the mixture weights are the parameters of ``FUSION``."""

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

    if TYPE_CHECKING:

        def parameters_of(self, name: str) -> Iterator[tuple[str, nn.Parameter]]: ...


@dataclass(frozen=True)
class MergeSpec:
    """How adapters are merged: one weight per source, the combination (peft's
    ``combination_type``) and the fraction of weights pruning keeps."""

    weights: tuple[float, ...]
    combination_type: str
    density: float


class Merging(_Capability, ABC):
    """Weight-space merging of adapters into one."""

    capability = "merge"
    action = "merge adapters"

    @abstractmethod
    def merge(self, sources: Sequence[str], name: str, how: MergeSpec, *, seed: int) -> None:
        """Combine ``sources`` into one new adapter ``name`` as ``how`` says (random pruning
        drawn from ``seed``) and remove the sources."""


class HoldsLanguageAdapters(_Capability, ABC):
    """MAD-X language adapters beneath the task adapters."""

    capability = "language_adapters"
    action = "hold MAD-X language adapters"

    @abstractmethod
    def add_language(self, name: str, directory: Path, loader: LanguageLoader | None) -> None:
        """Load a language adapter (MAD-X), frozen."""

    @abstractmethod
    def language_names(self) -> list[str]:
        """The loaded language adapters' names."""


Capable = TypeVar("Capable", Fusing, Merging, HoldsLanguageAdapters)


def require(backend: AdapterBackend, capability: type[Capable]) -> Capable:
    """``backend`` as a ``capability`` (e.g. :class:`Fusing`), or an UnsupportedError that
    says why its library lacks it."""
    if not isinstance(backend, capability):
        why = WHY_NOT.get((backend.library, capability.capability), "")
        raise UnsupportedError(
            f"the {backend.library} backend cannot {capability.action}"
            + (f": {why}" if why else "")
        )
    return backend
