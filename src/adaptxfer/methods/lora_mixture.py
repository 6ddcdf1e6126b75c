"""LoRA fusion: a learned per-layer softmax mixture over frozen LoRA deltas.

Neither peft nor adapters fuses LoRA adapters, so we add it on top of peft's LoRA layers:
every LoRA-wrapped Linear of transformer layer ``l`` computes

    base(x) + sum_i softmax(w_l / T)_i * delta_i(x) + target_delta(x)

where ``delta_i(x) = scaling_i * B_i(A_i(x))`` are the frozen intermediate adapters, the
target adapter is peft's only active adapter, and the logits ``w_l`` (one vector per
transformer layer, shared by its projections) are the only new trainable weights. The
deltas are added by forward hooks, so peft's own forward (quantised layers included)
runs unchanged. Zero logits start the mixture as the plain average of the sources.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from adaptxfer.errors import UnsupportedError

_LAYER = re.compile(r"\.layer\.(\d+)\.")


def layer_group(module_name: str) -> str:
    """The mixture a LoRA layer belongs to: its transformer layer (``layer3``)."""
    match = _LAYER.search(f".{module_name}.")
    return f"layer{match.group(1)}" if match else "other"


class LoraMixture(nn.Module):
    """Softmax mixture logits, one vector over the sources per transformer layer."""

    def __init__(self, sources: Sequence[str], groups: Sequence[str], temperature: float) -> None:
        super().__init__()
        self.sources = list(sources)
        self.temperature = float(temperature)
        self.logits = nn.ParameterDict(
            {g: nn.Parameter(torch.zeros(len(self.sources))) for g in sorted(set(groups))}
        )

    def weights(self, group: str) -> torch.Tensor:
        return torch.softmax(self.logits[group] / self.temperature, dim=-1)

    def extra_repr(self) -> str:
        return f"sources={self.sources}, temperature={self.temperature}"


def lora_layers(model: nn.Module, sources: Sequence[str]) -> list[tuple[str, nn.Module]]:
    """peft LoRA layers that hold every source adapter (plain LoRA: a DoRA update is not
    additive; :meth:`PeftLoraBackend.fuse` refuses DoRA sources)."""
    from peft.tuners.lora import LoraLayer

    found = [
        (name, module)
        for name, module in model.named_modules()
        if isinstance(module, LoraLayer) and all(s in module.lora_A for s in sources)
    ]
    if not found:
        raise UnsupportedError(f"no LoRA layer holds all of {list(sources)}: nothing to fuse")
    return found


def _hook(mixture: LoraMixture, group: str):
    def add_mixture(module: nn.Module, args: tuple[Any, ...], output: torch.Tensor) -> torch.Tensor:
        x = args[0]
        weights = mixture.weights(group)
        delta = None
        for i, source in enumerate(mixture.sources):
            a, b = module.lora_A[source], module.lora_B[source]
            term = b(a(x.to(a.weight.dtype))) * (module.scaling[source] * weights[i])
            delta = term if delta is None else delta + term
        return output + delta.to(output.dtype)

    return add_mixture


def attach_mixture(
    model: nn.Module, sources: Sequence[str], temperature: float
) -> tuple[LoraMixture, list[Any]]:
    """Build the mixture for ``sources`` and hook it into every LoRA layer of ``model``.

    Returns the mixture (register it as a submodule so its logits train and save) and
    the hook handles.
    """
    layers = lora_layers(model, sources)
    mixture = LoraMixture(sources, [layer_group(n) for n, _ in layers], temperature)
    device = next(iter(layers[0][1].lora_A[sources[0]].parameters())).device
    mixture.to(device)
    handles = [m.register_forward_hook(_hook(mixture, layer_group(n))) for n, m in layers]
    return mixture, handles
