"""Build the encoder a phase trains or evaluates: a backbone, its adapters, a composition.

An :class:`Assembly` records exactly which adapters are active (in stacking order) and
which are trainable, so the same record rebuilds the model from a saved artifact
(:mod:`adaptxfer.artifacts`). What each composition does is its own module
(:mod:`adaptxfer.compose.registry`); the intermediate phase trains one adapter alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from adaptxfer.compose.composition import BuildRequest, Plan
from adaptxfer.errors import MissingAssetError, UnsupportedError
from adaptxfer.methods import AdapterBackend, create_backend
from adaptxfer.methods.backend import HoldsLanguageAdapters, LanguageLoader, require

if TYPE_CHECKING:
    from torch import nn

    from adaptxfer.backbones import LoadedBackbone
    from adaptxfer.compose.composition import Composition
    from adaptxfer.compose.settings import CompositionConfig
    from adaptxfer.methods.settings import MethodConfig

LANGUAGE_PREFIX = "lang_"


def intermediate_name(index: int) -> str:
    return f"inter{index}"


def language_name(lang: str) -> str:
    return f"{LANGUAGE_PREFIX}{lang}"


@dataclass
class Assembly:
    backbone: LoadedBackbone
    backend: AdapterBackend
    composition: Composition | None = None  # None: one adapter trains alone (intermediate)
    active: list[str] = field(default_factory=list)  # bottom to top
    trainable: list[str] = field(default_factory=list)

    @classmethod
    def create(cls, backbone: LoadedBackbone, library: str) -> Assembly:
        return cls(backbone=backbone, backend=create_backend(backbone.model, library))

    @property
    def encoder(self) -> nn.Module:
        return self.backend.encoder

    def load_intermediates(self, adapter_dirs: Sequence[Path], method: MethodConfig) -> list[str]:
        """Load saved adapters (folders of the adapter library's files), frozen, as
        inter0, inter1, ... (an artifact's adapter folder: :func:`artifacts.adapter_dir`)."""
        names = []
        for index, directory in enumerate(adapter_dirs):
            name = intermediate_name(index)
            self.backend.load(name, Path(directory), method)
            names.append(name)
        return names

    # -- language adapters (MAD-X) --------------------------------------------------------
    def add_language(self, lang: str, directory: Path, loader: LanguageLoader | None = None) -> str:
        """Load the language adapter for ``lang`` (frozen) as ``lang_<lang>``.

        ``loader(model, directory, name)`` loads it into the adapters-library model; by
        default the library's own ``load_adapter`` (safetensors).
        """
        name = language_name(lang)
        require(self.backend, HoldsLanguageAdapters).add_language(name, Path(directory), loader)
        return name

    def languages(self) -> dict[str, str]:
        """Loaded language adapters: language code -> adapter name."""
        if not isinstance(self.backend, HoldsLanguageAdapters):
            return {}
        return {n[len(LANGUAGE_PREFIX) :]: n for n in self.backend.language_names()}

    def language_adapter(self, lang: str) -> str:
        """The loaded language adapter of ``lang`` (else a MissingAssetError)."""
        loaded = self.languages()
        if lang not in loaded:
            raise MissingAssetError(
                f"no language adapter for {lang!r} is loaded (loaded: {sorted(loaded) or 'none'}); "
                "load it with Assembly.add_language first"
            )
        return loaded[lang]

    def activate_language(self, lang: str) -> None:
        """Evaluate in ``lang`` next: a composition with a per-language hook (MAD-X puts
        ``lang``'s adapter beneath the task adapters) uses it; the others serve every
        language unchanged."""
        if self.composition is not None:
            self.composition.use_language(self, lang)

    # -- compositions -----------------------------------------------------------------------
    def compose(
        self,
        config: CompositionConfig,
        intermediates: Sequence[str],
        method: MethodConfig,
        *,
        with_target: bool,
        seed: int,
    ) -> None:
        """Activate and freeze adapters as the composition says; new weights (the target
        adapter, fusion weights) are initialised from ``seed``. The composition's rules are
        checked first (the same ones a recipe is validated with).

        ``with_target`` is False for targets evaluated without training (retrieval,
        mining): then the intermediate adapters alone adapt the encoder.
        """
        composition = config.selected()
        problem = composition.problem(method, len(intermediates), with_target)
        if problem is not None:
            raise UnsupportedError(problem)
        request = BuildRequest(self, tuple(intermediates), method, with_target, seed)
        self.apply(composition, composition.build(request))

    def train_alone(self, adapter: str) -> None:
        """The intermediate phase: ``adapter`` alone is active and trainable."""
        self.apply(None, Plan((adapter,), (adapter,)))

    def apply(self, composition: Composition | None, plan: Plan) -> None:
        """Make ``plan`` the encoder's state: its adapters active, exactly its trainable
        parts trainable."""
        from adaptxfer.backbones import prepare_quantized_for_training

        self.composition = composition
        self.active, self.trainable = list(plan.active), list(plan.trainable)
        if composition is not None:
            composition.activate(self.backend, plan)
        elif plan.active:
            self.backend.activate(plan.active)
        self.backend.set_trainable(self.trainable)
        prepare_quantized_for_training(self.encoder)
