"""Estimated peak memory of a recipe's training, and a refusal when it will not fit.

The estimate, in bytes, for the largest training phase of a recipe (intermediate or target):

    peak = weights + adapters + activations + overhead

- weights: the frozen backbone. Unquantised: every parameter at the load dtype (float32 on
  CPU, bf16 on a bf16 GPU). ``int8``: the encoder's linear weights at 1 byte + one float32
  scale per output row; ``nf4``: 0.5 byte + a float32 absmax per 64-value block. In both,
  the embedding table (vocab × hidden: 250k × hidden for XLM-R, the largest single matrix
  of base and large), positions, LayerNorms and biases stay at the load dtype.
- adapters: the trained adapter and head at 16 bytes per parameter (float32 weight, its
  gradient, AdamW's two moments), plus every frozen adapter of the composition (one per
  intermediate task) at 4 bytes.
- activations: layers × batch × sequence × hidden × (34 + 5 × heads × sequence / hidden)
  bytes at 16-bit (Korthikanti et al. 2022, per transformer layer, without recomputation),
  doubled at float32; a multiple-choice batch holds batch × choices sequences.
- overhead: the CUDA context and allocator slack (0.75 GiB), or the Python process with
  torch and the adapter libraries (1 GiB) on CPU.

Shapes come from a table of the registered backbones (no download) or a local folder's
config.json; a Hub id outside the table is not estimated (the run goes on, as before).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from adaptxfer.errors import UserError

if TYPE_CHECKING:
    from adaptxfer.recipes.schema import Recipe

GIB = 1024**3
NF4_BLOCK = 64
DEFAULT_CHOICES = 4


@dataclass(frozen=True)
class Shape:
    """What the estimate needs to know of an XLM-R-architecture encoder."""

    layers: int
    hidden: int
    intermediate: int
    heads: int
    vocab: int
    positions: int = 514

    @property
    def linear_params(self) -> int:
        """The encoder layers' projection weights (what int8 / nf4 quantise)."""
        return self.layers * (4 * self.hidden**2 + 2 * self.hidden * self.intermediate)

    @property
    def other_params(self) -> int:
        """Embeddings (kept unquantised), LayerNorms and biases."""
        h, ff = self.hidden, self.intermediate
        embeddings = (self.vocab + self.positions + 1) * h + 2 * h
        per_layer = 4 * h + ff + h + 4 * h  # biases of the 6 projections, 2 LayerNorms
        return embeddings + self.layers * per_layer

    @property
    def params(self) -> int:
        return self.linear_params + self.other_params


SHAPES: dict[str, Shape] = {
    "e5-small": Shape(12, 384, 1536, 12, 250037),
    "xlm-roberta-base": Shape(12, 768, 3072, 12, 250002),
    "xlm-roberta-large": Shape(24, 1024, 4096, 16, 250002),
    "xlm-roberta-xl": Shape(36, 2560, 10240, 32, 250880),
    "xlm-roberta-xxl": Shape(48, 4096, 16384, 32, 250880),
}


def shape_of(backbone: str) -> Shape | None:
    """The registered table, else a local folder's config.json, else None."""
    if backbone in SHAPES:
        return SHAPES[backbone]
    config_file = Path(backbone).expanduser() / "config.json"
    if not config_file.is_file():
        return None
    try:
        config = json.loads(config_file.read_text("utf-8"))
        return Shape(
            int(config["num_hidden_layers"]),
            int(config["hidden_size"]),
            int(config["intermediate_size"]),
            int(config["num_attention_heads"]),
            int(config["vocab_size"]),
            int(config.get("max_position_embeddings", 514)),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


@dataclass(frozen=True)
class Estimate:
    """Bytes per part of the peak, and what it was computed for."""

    weights: int
    adapters: int
    activations: int
    overhead: int
    setting: str  # backbone, quantisation, method, batch, sequence, precision

    @property
    def total(self) -> int:
        return self.weights + self.adapters + self.activations + self.overhead

    def describe(self) -> str:
        parts = ", ".join(
            f"{name} {value / GIB:.2f}"
            for name, value in (
                ("weights", self.weights),
                ("adapters+AdamW", self.adapters),
                ("activations", self.activations),
                ("overhead", self.overhead),
            )
        )
        return f"{self.total / GIB:.2f} GiB ({parts}) for {self.setting}"


def _adapter_params(recipe: Recipe, shape: Shape) -> int:
    """Trainable parameters of one adapter plus a classification-sized head."""
    h, ff, method = shape.hidden, shape.intermediate, recipe.method
    if method.name == "lora":
        dims = {"intermediate": (h, ff), "output": (ff, h)}
        r = method.lora.r
        per_layer = sum(
            r * sum(dims.get(m.split(".")[0], (h, h))) for m in method.lora.target_modules
        )
    else:
        settings = method.settings()
        bottleneck = max(1, int(h / settings.reduction_factor))
        per_layer = 2 * h * bottleneck + bottleneck + h
        per_layer *= 2 if method.name == "double_seq_bn" else 1
    return shape.layers * per_layer + h * h + 16 * h


def estimate(recipe: Recipe, device: str) -> Estimate | None:
    """The peak over the recipe's training phases on ``device`` ("cpu" or "cuda...")."""
    from adaptxfer.tasks.registry import get_task
    from adaptxfer.tasks.units import unit_specs

    shape = shape_of(recipe.backbone)
    if shape is None:
        return None
    cuda = device.startswith("cuda")
    load_bytes = 2 if cuda else 4
    if recipe.quantization == "int8":
        weights = shape.linear_params + 4 * (shape.linear_params // shape.hidden)
    elif recipe.quantization == "nf4":
        weights = shape.linear_params // 2 + 4 * (shape.linear_params // NF4_BLOCK)
    else:
        weights = shape.linear_params * load_bytes
    weights += shape.other_params * load_bytes
    adapter = _adapter_params(recipe, shape)
    frozen = len(recipe.intermediate.tasks)
    adapters = 16 * adapter + 4 * adapter * frozen
    peak, setting = 0, ""
    phases = [("target", get_task(recipe.target.task))]
    phases += [("intermediate", t) for u in recipe.intermediate.tasks for t in unit_specs(u)]
    for phase, task in phases:
        task_name = task.name
        train = recipe.phase_train(phase)
        choices = int(task.kind_options.get("choices", DEFAULT_CHOICES))
        sequences = train.batch_size * (choices if task.kind == "multiple_choice" else 1)
        precision = "fp32" if train.precision == "fp32" or not cuda else "bf16"
        per_value = 1 if precision == "bf16" else 2  # the formula counts 16-bit bytes
        seq = train.max_length
        per_token = 34 + 5 * shape.heads * seq / shape.hidden
        activations = int(shape.layers * sequences * seq * shape.hidden * per_token * per_value)
        if activations > peak:
            peak = activations
            setting = (
                f"{recipe.backbone} ({recipe.quantization}, {recipe.method.name}), batch "
                f"{sequences} x {seq} tokens, {precision}, {phase} {task_name}"
            )
    overhead = int(0.75 * GIB) if cuda else GIB
    return Estimate(weights, adapters, peak, overhead, setting)


def device_for_runs() -> str:
    """The device runs will use (as :func:`adaptxfer.backbones.loading.default_device`)."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def available_bytes(device: str) -> int | None:
    """Free memory on ``device``: torch.cuda.mem_get_info on CUDA, MemAvailable on CPU."""
    if device.startswith("cuda"):
        import torch

        return int(torch.cuda.mem_get_info()[0])
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_fits(estimates: dict[str, Estimate | None], device: str, free: int | None) -> None:
    """Refuse (exit 2) when the largest estimate exceeds the free memory of ``device``."""
    known = {name: e for name, e in estimates.items() if e is not None}
    if free is None or not known:
        return
    name, worst = max(known.items(), key=lambda item: item[1].total)
    if worst.total > free:
        raise UserError(
            f"{name} will not fit: estimated peak {worst.describe()}, but {device} has "
            f"{free / GIB:.2f} GiB free. Lower train.batch_size or train.max_length (--set), "
            "quantise the backbone (--set quantization=nf4), or use a larger device"
        )
