"""Build the encoder a phase trains or evaluates: a backbone, its adapters, a composition.

An :class:`Assembly` records exactly which adapters are active (in stacking order) and
which are trainable, so the same record rebuilds the model from a saved artifact.

Compositions of the target phase (``intermediates`` are the frozen ``inter0``, ...):

- ``none``: a new target adapter alone (the baseline);
- ``sequential``: the one intermediate adapter keeps training on the target task;
- ``stack``: intermediates frozen beneath a new target adapter;
- ``fuse``: a learned per-layer mixture of the frozen intermediates plus a new target
  adapter (AdapterFusion for bottleneck adapters, a softmax mixture of LoRA deltas);
- ``merge``: the intermediate LoRA adapters merged into one frozen adapter beneath a
  new target adapter;
- ``madx``: a new target adapter over the frozen intermediates over a language adapter;
  the source language's in training, each target language's at test time
  (:meth:`Assembly.activate_language`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adaptxfer.errors import MissingAssetError, UnsupportedError
from adaptxfer.methods import AdapterBackend, create_backend
from adaptxfer.methods.backend import FUSION, LanguageLoader

if TYPE_CHECKING:
    import torch
    from torch import nn

    from adaptxfer.backbones import LoadedBackbone
    from adaptxfer.compose.settings import CompositionConfig
    from adaptxfer.methods.settings import MethodConfig

TARGET = "target"
MERGED = "merged"
LANGUAGE_PREFIX = "lang_"


def intermediate_name(index: int) -> str:
    return f"inter{index}"


def language_name(lang: str) -> str:
    return f"{LANGUAGE_PREFIX}{lang}"


@dataclass
class Assembly:
    backbone: LoadedBackbone
    backend: AdapterBackend
    active: list[str] = field(default_factory=list)
    trainable: list[str] = field(default_factory=list)
    composition: str = "none"
    fused: list[str] = field(default_factory=list)
    temperature: float | None = None
    language: str | None = None

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

    # -- language adapters (MAD-X) --------------------------------------------------------
    def add_language(self, lang: str, directory: Path, loader: LanguageLoader | None = None) -> str:
        """Load the language adapter for ``lang`` (frozen) as ``lang_<lang>``.

        ``loader(model, directory, name)`` loads it into the adapters-library model; by
        default the library's own ``load_adapter`` (safetensors).
        """
        name = language_name(lang)
        self.backend.add_language(name, Path(directory), loader)
        return name

    def languages(self) -> dict[str, str]:
        """Loaded language adapters: language code -> adapter name."""
        return {n[len(LANGUAGE_PREFIX) :]: n for n in self.backend.language_names()}

    def activate_language(self, lang: str) -> None:
        """MAD-X at test time: put ``lang``'s adapter beneath the task adapter(s)."""
        if self.composition != "madx":
            raise UnsupportedError(
                f"activate_language({lang!r}) needs composition 'madx', not {self.composition!r}"
            )
        name = self._language_adapter(lang)
        self.active = [name, *self.active[1:]]
        self.language = lang
        self.backend.activate(self.active)
        self.backend.set_trainable(self.trainable)

    def _language_adapter(self, lang: str) -> str:
        loaded = self.languages()
        if lang not in loaded:
            raise MissingAssetError(
                f"no language adapter for {lang!r} is loaded (loaded: {sorted(loaded) or 'none'}); "
                "load it with Assembly.add_language first"
            )
        return loaded[lang]

    # -- compositions -----------------------------------------------------------------------
    def compose(
        self,
        config: CompositionConfig,
        intermediates: list[str],
        method: MethodConfig,
        *,
        with_target: bool,
        seed: int,
    ) -> None:
        """Activate and freeze adapters as the composition says; new weights (the target
        adapter, fusion weights) are initialised from ``seed``.

        ``with_target`` is False for targets evaluated without training (retrieval,
        mining): then the intermediate adapters alone adapt the encoder.
        """
        name = config.name
        if name in ("fuse", "madx") and not with_target:
            raise UnsupportedError(
                f"composition {name!r} needs a trained target adapter; this target is "
                "evaluated without training (use sequential, stack or merge)"
            )
        if name == "madx":
            self.backend.require_languages()
            bottom = self._language_adapter(config.madx.source_language)
        if name == "merge":
            self.backend.merge(intermediates, MERGED, config.merge, seed=seed)
            intermediates = [MERGED]
        if name == "sequential" and len(intermediates) != 1:
            raise UnsupportedError(
                f"composition 'sequential' continues one adapter; got {len(intermediates)} "
                "(the intermediate chain is trained into a single adapter first)"
            )
        if name == "fuse" and not intermediates:
            raise UnsupportedError("composition 'fuse' needs at least one intermediate adapter")
        if name not in ("none", "sequential", "stack", "fuse", "merge", "madx"):
            raise UnsupportedError(f"composition {name!r} is not available in this build")

        if with_target and name != "sequential":
            self.backend.add(TARGET, method, seed=seed)
        target = [TARGET] if with_target else []
        if name == "none":
            active, trainable = target, target
        elif name == "sequential":
            active, trainable = list(intermediates), (list(intermediates) if with_target else [])
        elif name == "fuse":
            self.backend.fuse(intermediates, TARGET, config.fuse.temperature, seed=seed)
            self.fused, self.temperature = list(intermediates), config.fuse.temperature
            active, trainable = [*intermediates, TARGET], [TARGET, FUSION]
        elif name == "madx":
            self.language = config.madx.source_language
            active, trainable = [bottom, *intermediates, TARGET], [TARGET]
        else:  # stack, merge
            active, trainable = [*intermediates, *target], target
        self._apply(name, active, trainable)

    def train_alone(self, adapter: str) -> None:
        """The intermediate phase: ``adapter`` alone is active and trainable."""
        self._apply("intermediate", [adapter], [adapter])

    def _apply(self, name: str, active: list[str], trainable: list[str]) -> None:
        self.composition, self.active, self.trainable = name, active, trainable
        if active and name != "fuse":  # fuse activated its own Fuse / mixture
            self.backend.activate(active)
        self.backend.set_trainable(trainable)
        from adaptxfer.backbones import prepare_quantized_for_training

        prepare_quantized_for_training(self.encoder)

    # -- persistence -------------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        description: dict[str, Any] = {
            "name": self.composition,
            "active": self.active,
            "trainable": self.trainable,
        }
        if self.composition == "fuse":
            description.update(fused=self.fused, temperature=self.temperature)
        if self.composition == "madx":
            description.update(language=self.language, languages=self.languages())
        return description

    def composition_state(self) -> dict[str, torch.Tensor]:
        """Learned composition weights (fusion / mixture), saved as composition.safetensors."""
        return self.backend.fusion_state() if self.composition == "fuse" else {}

    def restore(self, description: dict[str, Any], state: dict[str, torch.Tensor]) -> None:
        """Re-activate a saved composition for evaluation (nothing trainable)."""
        name, active = description["name"], list(description["active"])
        if name == "fuse":
            self.fused, self.temperature = list(description["fused"]), description["temperature"]
            # any seed: the saved weights replace the initial ones
            self.backend.fuse(self.fused, active[-1], float(self.temperature), seed=0)
            self.backend.load_fusion_state(state)
        elif state:
            raise UnsupportedError(
                f"composition {name!r} has no learned weights, but some were saved"
            )
        if name == "madx":
            self.language = description.get("language")
        self._apply(name, active, [])
