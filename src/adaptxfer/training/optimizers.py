"""The optimiser a training runs (``train.optimizer``).

``adamw`` is torch's AdamW. ``adamw_8bit`` keeps both Adam moments in 8 bits with
block-wise scales (bitsandbytes): 2 bytes per trainable parameter instead of 8, which
matters when the trainable part is large (wide adapters on XLM-R XXL), not for a rank-8
LoRA. bitsandbytes keeps 32-bit moments for tensors under 4,096 elements (a rank-8 LoRA
matrix on a 384-wide model is 3,072), so small adapters see little of it.
``paged_adamw_8bit`` puts
the moments in CUDA unified memory, paged out to host memory under pressure instead of
failing with out-of-memory; on the CPU there is nothing to page and it is ``adamw_8bit``.
Both 8-bit optimisers run on CPU with bitsandbytes 0.50 (checked in the tests).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from adaptxfer.errors import MissingAssetError

if TYPE_CHECKING:
    import torch

OptimizerName = Literal["adamw", "adamw_8bit", "paged_adamw_8bit"]
OPTIMIZERS: tuple[str, ...] = ("adamw", "adamw_8bit", "paged_adamw_8bit")


def require_optimizer(name: str, *, setting: str = "train.optimizer") -> None:
    """Fail before training, with the install command, when bitsandbytes is missing."""
    import importlib.util

    if name != "adamw" and importlib.util.find_spec("bitsandbytes") is None:
        raise MissingAssetError(
            f"{setting}: {name!r} needs bitsandbytes: pip install bitsandbytes==0.50.2 "
            "(or set it to adamw)"
        )


def make_optimizer(
    name: str, groups: Sequence[dict[str, Any]], *, weight_decay: float, device: torch.device
) -> torch.optim.Optimizer:
    """The optimiser ``name`` over parameter ``groups`` (``{"params", "lr"}`` dicts) on
    ``device``."""
    import torch

    require_optimizer(name)
    if name == "adamw":
        return torch.optim.AdamW(list(groups), weight_decay=weight_decay)
    import bitsandbytes as bnb

    paged = name == "paged_adamw_8bit" and device.type == "cuda"  # nothing to page on CPU
    cls = bnb.optim.PagedAdamW8bit if paged else bnb.optim.AdamW8bit
    return cls(list(groups), weight_decay=weight_decay)
