"""``merge``: the intermediate LoRA adapters merged into one frozen adapter (peft's
``add_weighted_adapter``) beneath a new target adapter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, get_args

from pydantic import Field

from adaptxfer.compose.composition import BuildRequest, Composition, Plan
from adaptxfer.methods.backend import MergeSpec, Merging, require
from adaptxfer.strict_model import StrictModel

MERGED = "merged"
CombinationType = Literal["linear", "ties", "dare_linear", "dare_ties", "svd", "cat"]


class MergeSettings(StrictModel):
    """peft ``add_weighted_adapter`` over the intermediate LoRA adapters, in the order of
    ``intermediate.tasks``; ``weights`` default to the average (1/n each); ``density`` is
    the fraction kept by ties / dare_*. The merged adapter is frozen under the target."""

    combination_type: CombinationType = "linear"
    weights: list[float] | None = None
    density: float = Field(0.5, gt=0, le=1)


class Merge(Composition):
    name = "merge"
    summary = (
        "target adapter above one LoRA merged from the intermediates "
        f"(`merge.combination_type`: {', '.join(get_args(CombinationType))})"
    )
    settings_model = MergeSettings
    requires = ("merge",)

    def own_problem(self, n_adapters: int) -> str | None:
        if n_adapters < 2:
            return f"composition 'merge' combines several intermediate tasks; got {n_adapters}"
        return None

    def settings_problem(self, n_adapters: int, languages: Sequence[str]) -> str | None:
        weights = self.settings.weights
        if weights is not None and len(weights) != n_adapters:
            return (
                f"composition.merge.weights has {len(weights)} values for {n_adapters} "
                "intermediate tasks; give one weight per task"
            )
        return None

    def build(self, request: BuildRequest) -> Plan:
        settings = self.settings
        sources = request.intermediates
        weights = settings.weights or [1.0 / len(sources)] * len(sources)
        how = MergeSpec(tuple(weights), settings.combination_type, settings.density)
        require(request.assembly.backend, Merging).merge(sources, MERGED, how, seed=request.seed)
        target = request.add_target()
        return Plan((MERGED, *target), target)
