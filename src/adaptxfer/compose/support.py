"""Which composition works with which method, checked before anything is trained."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from adaptxfer.compose.settings import CompositionConfig
    from adaptxfer.methods.settings import MethodConfig


def composition_problem(
    method: MethodConfig, composition: CompositionConfig, intermediates: int
) -> str | None:
    """Why ``composition`` cannot run with ``method`` and that many intermediate tasks
    (None if it can). The same rules the backends enforce, stated up front so a recipe
    fails before hours of intermediate training rather than after."""
    name = composition.name
    if name == "merge" and not method.is_lora:
        return (
            f"composition 'merge' needs method lora, not {method.name!r}: bottleneck adapters "
            "have a nonlinearity, so their weights cannot be added into one adapter "
            "(use fuse or stack)"
        )
    if name == "merge" and intermediates < 2:
        return f"composition 'merge' combines several intermediate tasks; got {intermediates}"
    weights = composition.merge.weights
    if name == "merge" and weights is not None and len(weights) != intermediates:
        return (
            f"composition.merge.weights has {len(weights)} values for {intermediates} "
            "intermediate tasks; give one weight per task"
        )
    if name == "madx" and method.is_lora:
        return (
            "composition 'madx' needs a bottleneck method (seq_bn, double_seq_bn or par_bn): "
            "MAD-X stacks the task adapter on invertible language adapters of the adapters "
            "library, and LoRA is served by peft"
        )
    if name == "fuse" and method.is_lora and method.lora.use_dora:
        return "composition 'fuse' mixes additive LoRA deltas; DoRA's update is not additive"
    if name == "fuse" and intermediates < 1:
        return "composition 'fuse' needs at least one intermediate task"
    return None
