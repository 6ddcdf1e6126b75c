"""LoRA through peft: the backend for LoRA unless a composition needs the adapters library."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from torch import nn

from adaptxfer.methods.backend import AdapterBackend
from adaptxfer.methods.settings import LoraSettings, MethodConfig


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


class PeftLoraBackend(AdapterBackend):
    library = "peft"

    def __init__(self, model: nn.Module) -> None:
        super().__init__(model)
        self._base = model
        self._peft = None  # created by the first add/load: peft needs an adapter to wrap

    @property
    def encoder(self) -> nn.Module:
        return self._peft if self._peft is not None else self._base

    @property
    def peft_model(self):  # -> peft.PeftModel
        if self._peft is None:
            raise RuntimeError("no LoRA adapter has been added yet")
        return self._peft

    def add(self, name: str, method: MethodConfig) -> None:
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

    def parameters_of(self, name: str) -> Iterator[tuple[str, nn.Parameter]]:
        pattern = re.compile(rf"\.lora_\w+\.{re.escape(name)}(\.|$)")
        for param_name, param in self.encoder.named_parameters():
            if pattern.search(param_name):
                yield param_name, param
