"""bitsandbytes quantisation of the frozen backbone (int8 / nf4), CPU or CUDA.

bitsandbytes is imported only when a quantised backbone is asked for (it costs ~4 s).
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any, Literal, get_args

from adaptxfer.errors import MissingAssetError, UnknownNameError

if TYPE_CHECKING:
    import torch
    from torch import nn

Quantization = Literal["none", "int8", "nf4"]
QUANTIZATIONS: tuple[str, ...] = get_args(Quantization)

# Modules kept in full precision: task heads and poolers are not part of the frozen
# encoder, and quantising them breaks loading checkpoints that lack their weights (masked-LM
# checkpoints such as xlm-roberta-*): bitsandbytes 0.50 raises "`weight` is not an
# nn.Module" in 4-bit and "...SCB is neither a parameter nor a buffer" in 8-bit.
SKIP_MODULES = ["pooler", "classifier", "lm_head", "qa_outputs", "score"]


def check_quantization(value: str) -> Quantization:
    if value not in QUANTIZATIONS:
        raise UnknownNameError("quantization", value, QUANTIZATIONS)
    return value  # type: ignore[return-value]


def bnb_config(quantization: Quantization, compute_dtype: torch.dtype) -> Any | None:
    """The transformers ``BitsAndBytesConfig`` for ``quantization`` (None for "none")."""
    if quantization == "none":
        return None
    from transformers import BitsAndBytesConfig

    if quantization == "int8":
        return BitsAndBytesConfig(load_in_8bit=True, llm_int8_skip_modules=SKIP_MODULES)
    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_compute_dtype=compute_dtype,
        bnb_4bit_use_double_quant=False,
        llm_int8_skip_modules=SKIP_MODULES,
    )


def require_bitsandbytes(quantization: Quantization) -> None:
    """Fail early, with the install command, when bitsandbytes is missing."""
    import importlib.util

    if quantization != "none" and importlib.util.find_spec("bitsandbytes") is None:
        raise MissingAssetError(
            f"quantization {quantization!r} needs bitsandbytes: pip install bitsandbytes==0.50.2"
        )


class _DropInt8CastNotice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("MatMul8bitLt: inputs will be cast")


def quiet_int8_cast_warning() -> None:
    """Silence bnb's per-layer, per-step log line that float32 inputs are cast to float16
    for the int8 matmul: that is how LLM.int8 works (retrieval accuracy is unchanged)."""
    logger = logging.getLogger("bitsandbytes.autograd._functions")
    if not any(isinstance(f, _DropInt8CastNotice) for f in logger.filters):
        logger.addFilter(_DropInt8CastNotice())


def _bnb_linear_4bit() -> type | None:
    """The bnb Linear4bit class if bitsandbytes is already imported (else no such layers exist)."""
    if "bitsandbytes" not in sys.modules:
        return None
    import bitsandbytes as bnb

    return bnb.nn.Linear4bit


def _unpack(weight: Any, state: Any) -> None:
    """Undo bitsandbytes' CPU repack of a 4-bit weight.

    bnb's own inverse restores ``absmax`` only for double-quantised weights; otherwise it
    stays in the packed layout (transposed, bf16) and dequantisation silently goes wrong
    (~3% error), so that case is put back here too.
    """
    import torch
    from bitsandbytes.functional import _convert_weight_packed_for_cpu_inverse

    nested = getattr(state, "original_nested", False)
    weight.data, restored = _convert_weight_packed_for_cpu_inverse(weight.data, state)
    if not nested and restored.absmax.dim() == 2:
        restored.absmax = restored.absmax.T.reshape(-1).to(torch.float32).contiguous()
    weight.quant_state = restored


def prepare_quantized_for_training(model: nn.Module) -> int:
    """Make a 4-bit backbone trainable on CPU; call after peft/adapters wrapped it.

    On CPUs with AVX512-BF16, bitsandbytes repacks 4-bit weights on the first eval forward
    without grad, which then breaks backward (an in-place ``result += bias`` on a leaf) and
    needs shapes divisible by 64/32. Turning that path off on every ``Linear4bit`` (and
    undoing a repack that already happened) avoids both. Wrapping replaces modules, hence
    "after". Returns the number of layers changed; a no-op for unquantised models.
    """
    linear4bit = _bnb_linear_4bit()
    if linear4bit is None:
        return 0
    changed = 0
    for module in model.modules():
        if not isinstance(module, linear4bit):
            continue
        module.support_avx512bf16_for_cpu = False
        weight = module.weight
        state = getattr(weight, "quant_state", None)
        if state is not None and getattr(state, "packing_format_for_cpu", False):
            _unpack(weight, state)
            module.quant_state = weight.quant_state
        changed += 1
    return changed


def is_quantized(model: nn.Module) -> bool:
    """True if any bitsandbytes layer is inside ``model``."""
    if "bitsandbytes" not in sys.modules:
        return False
    import bitsandbytes as bnb

    kinds = (bnb.nn.Linear4bit, bnb.nn.Linear8bitLt)
    return any(isinstance(m, kinds) for m in model.modules())
