"""What each adapter library can do beyond add / load / save / activate: the one table.

Compositions ask :func:`missing` while a recipe is validated (before anything trains);
the backends implement exactly these capabilities (:mod:`adaptxfer.methods.backend`'s
mixins; a test checks both agree), and refuse with the same reasons.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from adaptxfer.methods.settings import MethodConfig

Capability = Literal["fuse", "merge", "language_adapters"]
Library = Literal["peft", "adapters"]

CAPABILITIES: dict[str, frozenset[str]] = {
    "peft": frozenset({"fuse", "merge"}),
    "adapters": frozenset({"fuse", "language_adapters"}),
}
WHY_NOT: dict[tuple[str, str], str] = {
    ("adapters", "merge"): (
        "bottleneck adapters have a nonlinearity between their projections, so their weights "
        "cannot be added into one adapter (use fuse or stack)"
    ),
    ("peft", "language_adapters"): (
        "MAD-X stacks the task adapter on invertible language adapters of the adapters "
        "library (bottleneck adapters), and LoRA is served by peft"
    ),
}
DORA_NOT_ADDITIVE = (
    "DoRA's update is not additive, so its deltas cannot be mixed (set method.lora.use_dora: false)"
)


def library_of(method: MethodConfig) -> Library:
    """Which library serves ``method``: peft for LoRA, adapters for bottleneck adapters."""
    return "peft" if method.is_lora else "adapters"


def methods_with(capability: str) -> list[str]:
    from adaptxfer.methods.settings import METHOD_NAMES, MethodConfig

    return [
        name
        for name in METHOD_NAMES
        if capability in CAPABILITIES[library_of(MethodConfig(name=name))]
    ]


def missing(method: MethodConfig, capability: str) -> str | None:
    """Why ``method``'s adapters cannot do ``capability`` (None if they can), phrased to
    follow "composition 'x' ...": "needs method lora, not 'seq_bn': ..."."""
    library = library_of(method)
    if capability not in CAPABILITIES[library]:
        names = methods_with(capability)
        wanted = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
        return f"needs method {wanted}, not {method.name!r}: {WHY_NOT[(library, capability)]}"
    if capability == "fuse" and method.is_lora and method.lora.use_dora:
        return f"cannot fuse DoRA adapters: {DORA_NOT_ADDITIVE}"
    return None
