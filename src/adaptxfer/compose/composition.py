"""What a composition is: how the intermediate adapters meet the target adapter.

A composition is one module of this package that defines a :class:`Composition` subclass
and is listed in :data:`adaptxfer.compose.registry.COMPOSITIONS`. It states:

- ``settings_model``: its block in the recipe (``composition.<name>``), or None;
- :meth:`chains`: which intermediate adapters it needs (one per task, or one chain);
- :meth:`problem`: why it cannot run with a method (checked when the recipe is validated,
  before anything is trained), from the capability table of :mod:`adaptxfer.methods`;
- :meth:`build`: what it adds, merges or fuses, and the resulting :class:`Plan`: the
  active adapters (bottom to top) and the trainable ones;
- optionally language adapters to load (:meth:`language_adapters`) and a per-language
  hook (:meth:`use_language`), both for MAD-X, and learned state saved with the artifact
  (:meth:`describe`, :meth:`state`, :meth:`restore`).

Modules here are torch-free at import: validating a recipe never loads the training stack.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from adaptxfer.errors import UnsupportedError
from adaptxfer.methods.capabilities import missing

if TYPE_CHECKING:
    import torch
    from pydantic import BaseModel

    from adaptxfer.compose.assemble import Assembly
    from adaptxfer.language_adapters.settings import LanguageAdapterSettings
    from adaptxfer.methods.backend import AdapterBackend
    from adaptxfer.methods.settings import MethodConfig

TARGET = "target"  # the adapter trained on the target task


@dataclass(frozen=True)
class BuildRequest:
    """What a composition builds on: the assembly holding the loaded intermediate adapters
    (``intermediates``, bottom to top), the method of new adapters, whether the target
    trains (False for retrieval and mining targets: the intermediate adapters alone adapt
    the encoder) and the seed of every new weight."""

    assembly: Assembly
    intermediates: tuple[str, ...]
    method: MethodConfig
    with_target: bool
    seed: int

    def add_target(self) -> tuple[str, ...]:
        """Add the new target adapter when the target trains: ``("target",)`` or ``()``."""
        if not self.with_target:
            return ()
        self.assembly.backend.add(TARGET, self.method, seed=self.seed)
        return (TARGET,)


@dataclass(frozen=True)
class Saved:
    """A composition as an artifact holds it: the manifest's ``composition`` entry and
    the learned weights (``composition.safetensors``)."""

    description: Mapping[str, Any]
    state: Mapping[str, torch.Tensor]


@dataclass(frozen=True)
class Plan:
    """Which adapters a composition uses, bottom to top, and which of them train
    (``FUSION`` names the fusion / mixture weights)."""

    active: tuple[str, ...]
    trainable: tuple[str, ...]


class Composition(ABC):
    """One way to combine intermediate adapters with the target adapter."""

    name: ClassVar[str]
    summary: ClassVar[str]  # what trains on the target (the README's support table)
    settings_model: ClassVar[type[BaseModel] | None] = None
    requires: ClassVar[tuple[str, ...]] = ()  # backend capabilities (methods.capabilities)
    needs_trained_target: ClassVar[bool] = False

    def __init__(self, settings: BaseModel | None = None) -> None:
        model = self.settings_model
        self.settings = settings if settings is not None or model is None else model()

    # -- checked when a recipe is validated -------------------------------------------------
    def chains(self, tasks: Sequence[str]) -> list[tuple[str, ...]]:
        """The intermediate adapters this composition needs, each a chain of tasks trained
        in turn into one adapter: by default one adapter per task."""
        return [(task,) for task in tasks]

    def problem(
        self,
        method: MethodConfig,
        n_adapters: int,
        target_trainable: bool,
        languages: Sequence[str] = (),
    ) -> str | None:
        """Why this composition cannot run with ``method``, ``n_adapters`` intermediate
        adapters and a target that is (not) trained, evaluated in ``languages``; None if
        it can."""
        for capability in self.requires:
            why = missing(method, capability)
            if why is not None:
                return f"composition {self.name!r} {why}"
        if self.needs_trained_target and not target_trainable:
            return (
                f"composition {self.name!r} needs a trained target adapter, but this target is "
                "evaluated without training; use sequential, stack or merge"
            )
        return self.own_problem(n_adapters) or self.settings_problem(n_adapters, languages)

    def own_problem(self, n_adapters: int) -> str | None:
        """Rules of this composition alone (e.g. how many intermediate adapters)."""
        return None

    def settings_problem(self, n_adapters: int, languages: Sequence[str]) -> str | None:
        """Why this composition's settings block does not fit the recipe (a recipe error
        names the block, ``composition.<name>``)."""
        return None

    # -- run time -------------------------------------------------------------------------
    @abstractmethod
    def build(self, request: BuildRequest) -> Plan:
        """Add, merge or fuse what the composition needs and return the plan."""

    def language_adapters(self, languages: Sequence[str]) -> dict[str, LanguageAdapterSettings]:
        """Language adapters to load before :meth:`build` for evaluating ``languages``, with
        the settings that train them (MAD-X); none by default."""
        return {}

    def activate(self, backend: AdapterBackend, plan: Plan) -> None:
        """Put the plan's adapters into the forward pass (stacked, bottom to top)."""
        if plan.active:
            backend.activate(plan.active)

    def use_language(self, assembly: Assembly, lang: str) -> None:  # noqa: B027
        """Prepare the encoder to evaluate ``lang`` (most compositions serve every language
        with the same adapters: nothing to do)."""

    # -- learned state, saved with the artifact -------------------------------------------
    def describe(self, assembly: Assembly) -> dict[str, Any]:
        """What :meth:`restore` needs besides the plan (JSON)."""
        return {}

    def state(self, backend: AdapterBackend) -> dict[str, torch.Tensor]:
        """Learned weights that belong to the composition (fusion / mixture weights)."""
        return {}

    def restore(self, assembly: Assembly, saved: Saved) -> Plan:
        """Rebuild the saved composition for evaluation (nothing trainable)."""
        if saved.state:
            raise UnsupportedError(
                f"composition {self.name!r} has no learned weights, but some were saved"
            )
        return Plan(tuple(saved.description["active"]), ())
