"""LoRA through peft (with DoRA as an option): add, merge, and fuse as a mixture."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from adaptxfer.errors import UnsupportedError
from adaptxfer.methods.backend import FUSION, AdapterBackend, Fusing, MergeSpec, Merging
from adaptxfer.methods.capabilities import missing
from adaptxfer.methods.settings import LoraSettings, MethodConfig

if TYPE_CHECKING:
    from torch import nn

MIXTURE = "adaptxfer_lora_mixture"  # submodule of the PeftModel holding the mixture logits


def lora_config(settings: LoraSettings):  # -> peft.LoraConfig
    from peft import LoraConfig

    return LoraConfig(
        r=settings.r,
        lora_alpha=settings.alpha,
        lora_dropout=settings.dropout,
        target_modules=list(settings.target_modules),
        use_dora=settings.use_dora,
        bias="none",
    )


class PeftLoraBackend(AdapterBackend, Fusing, Merging):
    library = "peft"

    def __init__(self, model: nn.Module) -> None:
        super().__init__(model)
        self._base = model
        self._peft = None  # created by the first add/load: peft needs an adapter to wrap
        self._hooks: list = []

    @property
    def encoder(self) -> nn.Module:
        return self._peft if self._peft is not None else self._base

    @property
    def peft_model(self):  # -> peft.PeftModel
        if self._peft is None:
            raise RuntimeError("no LoRA adapter has been added yet")
        return self._peft

    def _create(self, name: str, method: MethodConfig) -> None:
        from peft import get_peft_model

        config = lora_config(method.lora)
        if self._peft is None:
            self._peft = get_peft_model(self._base, config, adapter_name=name)
        else:
            self._peft.add_adapter(name, config)
        self._methods[name] = method
        self.activate([name])

    def load(self, name: str, directory: Path, method: MethodConfig) -> None:
        from peft import PeftModel

        if self._peft is None:
            self._peft = PeftModel.from_pretrained(self._base, str(directory), adapter_name=name)
        else:
            self._peft.load_adapter(str(directory), adapter_name=name)
        self._methods[name] = method
        self.set_trainable([])

    def save(self, name: str, directory: Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=directory) as tmp:
            self.peft_model.save_pretrained(tmp, selected_adapters=[name], safe_serialization=True)
            written = Path(tmp) / name if (Path(tmp) / name).is_dir() else Path(tmp)
            for item in written.iterdir():
                if item.is_file():
                    shutil.move(str(item), directory / item.name)

    def activate(self, names: Sequence[str]) -> None:
        trainable = [n for n, p in self.encoder.named_parameters() if p.requires_grad]
        self.peft_model.base_model.set_adapter(list(names))
        # set_adapter also unfreezes what it activates: restore the caller's choice.
        keep = set(trainable)
        for n, p in self.encoder.named_parameters():
            p.requires_grad = n in keep

    def remove(self, name: str) -> None:
        self.peft_model.delete_adapter(name)
        self._methods.pop(name, None)

    def fuse(self, sources: Sequence[str], target: str, temperature: float, *, seed: int) -> None:
        """Target adapter active in peft; the frozen sources enter through a learned
        per-layer softmax mixture (:mod:`adaptxfer.methods.lora_mixture`), which starts at
        zero logits (the plain average) whatever the seed."""
        from adaptxfer.methods.lora_mixture import attach_mixture

        if self._hooks:
            raise UnsupportedError("a LoRA mixture is already attached to this model")
        for source in sources:
            why = missing(self._methods[source], "fuse")
            if why is not None:
                raise UnsupportedError(f"adapter {source!r}: {why}")
        self.activate([target])
        mixture, self._hooks = attach_mixture(self.peft_model, sources, temperature)
        self.peft_model.add_module(MIXTURE, mixture)

    def merge(self, sources: Sequence[str], name: str, how: MergeSpec, *, seed: int) -> None:
        """peft ``add_weighted_adapter``; the random pruning of dare_* is drawn from ``seed``."""
        from adaptxfer.seeding import seeded

        sources, combination_type = list(sources), how.combination_type
        ranks = {self._methods[s].lora.r for s in sources}
        if len(ranks) > 1 and combination_type not in ("svd", "cat"):
            raise UnsupportedError(
                f"composition.merge.combination_type {combination_type!r} needs equal LoRA "
                f"ranks, got {sorted(ranks)}; use svd or cat"
            )
        prunes = combination_type in ("ties", "dare_linear", "dare_ties")
        with seeded(seed, "merge", name):
            self.peft_model.add_weighted_adapter(
                sources,
                list(how.weights),
                name,
                combination_type=combination_type,
                density=how.density if prunes else None,
            )
        first = self._methods[sources[0]]
        rank = {"cat": sum, "svd": max}.get(combination_type, max)(
            self._methods[s].lora.r for s in sources
        )
        lora = first.lora.model_copy(update={"r": rank})
        self._methods[name] = first.model_copy(update={"lora": lora})
        self.activate([name])  # peft warns when the active adapter is deleted
        for source in sources:
            self.remove(source)

    def parameters_of(self, name: str) -> Iterator[tuple[str, nn.Parameter]]:
        if name == FUSION:
            for param_name, param in self.encoder.named_parameters():
                if f"{MIXTURE}." in param_name:
                    yield param_name, param
            return
        pattern = re.compile(rf"\.lora_\w+\.{re.escape(name)}(\.|$)")
        for param_name, param in self.encoder.named_parameters():
            if pattern.search(param_name):
                yield param_name, param
