"""Which precision training and inference compute in (``train.precision``).

bf16 autocast is the largest speed lever on hardware with native bf16 (AVX512-BF16 or AMX
CPUs, Ampere+ GPUs); elsewhere torch emulates bf16 and is slower than float32, so
``auto`` takes bf16 only where the hardware has it. The decision (:func:`choose_precision`)
is a pure function of the hardware facts so that it is testable on any machine; the facts
are read by :func:`hardware_facts`. Torch is imported only where a context is built.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from adaptxfer.errors import UnsupportedError

if TYPE_CHECKING:
    import torch

Precision = Literal["auto", "fp32", "bf16"]
Resolved = Literal["fp32", "bf16"]
PRECISIONS: tuple[str, ...] = ("auto", "fp32", "bf16")
# CPU flags (as /proc/cpuinfo spells them) that give native bf16 matrix products
BF16_CPU_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


@dataclass(frozen=True)
class HardwareFacts:
    """What the precision decision needs to know about the device."""

    device_type: str  # "cpu", "cuda", ...
    cpu_flags: frozenset[str] = frozenset()
    cuda_bf16: bool = False  # torch.cuda.is_bf16_supported() without emulation


def has_native_bf16(facts: HardwareFacts) -> bool:
    if facts.device_type == "cuda":
        return facts.cuda_bf16
    if facts.device_type == "cpu":
        return bool(BF16_CPU_FLAGS & facts.cpu_flags)
    return False


def choose_precision(requested: str, facts: HardwareFacts, *, setting: str) -> Resolved:
    """``auto``: bf16 where the hardware computes it natively, else fp32. An explicit
    ``bf16`` on hardware without it is refused (emulated bf16 is slower than fp32, which
    is never what someone asking for bf16 wants). ``setting`` names the key in errors."""
    if requested not in PRECISIONS:
        raise UnsupportedError(
            f"{setting}: {requested!r} is not a precision; expected one of {', '.join(PRECISIONS)}"
        )
    native = has_native_bf16(facts)
    if requested == "auto":
        return "bf16" if native else "fp32"
    if requested == "bf16" and not native:
        raise UnsupportedError(
            f"{setting}: bf16 needs native bf16 on the {facts.device_type} (CPU flags "
            f"{' or '.join(sorted(BF16_CPU_FLAGS))}, or a GPU with bf16); this one has none, "
            "so bf16 would be emulated and slower than fp32 — use auto or fp32"
        )
    return requested  # type: ignore[return-value]


def parse_cpu_flags(cpuinfo: str) -> frozenset[str]:
    """The feature flags of the first processor in /proc/cpuinfo's text."""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return frozenset(value.split())
    return frozenset()


@lru_cache(maxsize=1)
def cpu_flags(path: str = "/proc/cpuinfo") -> frozenset[str]:
    """This CPU's flags; empty where /proc/cpuinfo does not exist (macOS, Windows), which
    makes ``auto`` fall back to fp32 there."""
    try:
        return parse_cpu_flags(Path(path).read_text(errors="replace"))
    except OSError:
        return frozenset()


def hardware_facts(device: torch.device) -> HardwareFacts:
    import torch

    cuda_bf16 = False
    if device.type == "cuda":
        cuda_bf16 = bool(torch.cuda.is_bf16_supported(including_emulation=False))
    return HardwareFacts(device.type, cpu_flags(), cuda_bf16)


def resolve_precision(
    requested: str, device: torch.device, *, setting: str = "train.precision"
) -> Resolved:
    """The precision ``requested`` means on ``device``."""
    return choose_precision(requested, hardware_facts(device), setting=setting)


def autocast(precision: Resolved, device: torch.device) -> AbstractContextManager[object]:
    """The autocast context for a resolved precision (a no-op for fp32)."""
    import torch

    if precision == "bf16" and device.type in ("cpu", "cuda"):
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return torch.autocast(device.type if device.type in ("cpu", "cuda") else "cpu", enabled=False)
