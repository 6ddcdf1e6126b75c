"""Bottleneck adapters through the adapters library: add, stack, fuse (AdapterFusion) and
hold MAD-X language adapters."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from adaptxfer.errors import UnsupportedError
from adaptxfer.methods.backend import (
    FUSION,
    AdapterBackend,
    Fusing,
    HoldsLanguageAdapters,
    LanguageLoader,
)
from adaptxfer.methods.settings import MethodConfig

if TYPE_CHECKING:
    from torch import nn

_FUSION_PARAM = re.compile(r"(^|\.)adapter_fusion_layer\.")


def adapters_config(method: MethodConfig):  # -> adapters.AdapterConfig
    import adapters

    classes = {
        "seq_bn": adapters.SeqBnConfig,
        "double_seq_bn": adapters.DoubleSeqBnConfig,
        "par_bn": adapters.ParBnConfig,
    }
    s = method.settings()
    return classes[method.name](reduction_factor=s.reduction_factor, non_linearity=s.non_linearity)


class AdaptersBackend(AdapterBackend, Fusing, HoldsLanguageAdapters):
    library = "adapters"

    def __init__(self, model: nn.Module) -> None:
        from adaptxfer.methods.interfaces import init_adapters
        from adaptxfer.methods.support import adapters_library_problem

        problem = adapters_library_problem(getattr(model.config, "model_type", None))
        if problem is not None:
            raise UnsupportedError(problem)
        super().__init__(model)
        init_adapters(model)
        self._languages: list[str] = []

    def _create(self, name: str, method: MethodConfig) -> None:
        self._model.add_adapter(name, config=adapters_config(method))
        self._methods[name] = method
        self.activate([name])
        self.set_trainable([name])

    def load(self, name: str, directory: Path, method: MethodConfig) -> None:
        self._model.load_adapter(str(directory), load_as=name, use_safetensors=True)
        self._methods[name] = method
        self.set_trainable([])

    def save(self, name: str, directory: Path) -> None:
        Path(directory).mkdir(parents=True, exist_ok=True)
        self._model.save_adapter(str(directory), name, use_safetensors=True)

    def activate(self, names: Sequence[str]) -> None:
        from adapters.composition import Stack

        names = list(names)
        self._model.set_active_adapters(
            Stack(*names) if len(names) > 1 else (names[0] if names else None)
        )

    def remove(self, name: str) -> None:
        self._model.delete_adapter(name)
        self._methods.pop(name, None)

    def fuse(self, sources: Sequence[str], target: str, temperature: float, *, seed: int) -> None:
        """AdapterFusion over the frozen ``sources`` and the trainable ``target``, its
        query/key/value layers initialised from ``seed``.

        The library anneals its softmax temperature from 50 to 1 when asked; we hold it
        at ``temperature`` instead (``reduction = 0``) so training and reload agree.
        """
        from adapters.composition import Fuse

        from adaptxfer.seeding import seeded

        names = [*sources, target]
        fuse = Fuse(*names)
        with seeded(seed, "fusion", *names):
            self._model.add_adapter_fusion(fuse, config="dynamic")
        for module in self._model.modules():
            if type(module).__name__ == "BertFusion":
                module.T, module.reduction = float(temperature), 0.0
        self._model.set_active_adapters(fuse)

    def add_language(self, name: str, directory: Path, loader: LanguageLoader | None) -> None:
        if loader is None:
            self._model.load_adapter(str(directory), load_as=name, use_safetensors=True)
        else:
            loader(self._model, Path(directory), name)
        self._languages.append(name)
        self.set_trainable([])

    def language_names(self) -> list[str]:
        return list(self._languages)

    def parameters_of(self, name: str) -> Iterator[tuple[str, nn.Parameter]]:
        if name == FUSION:
            for param_name, param in self._model.named_parameters():
                if _FUSION_PARAM.search(param_name):
                    yield param_name, param
            return
        pattern = re.compile(
            rf"\.(adapters|loras|invertible_adapters|refts)\.{re.escape(name)}(\.|$)"
        )
        for param_name, param in self._model.named_parameters():
            if pattern.search(param_name):
                yield param_name, param
