"""The recipe's ``composition`` block: how intermediate adapters meet the target adapter."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from adaptxfer.language.settings import LanguageAdapterSettings

CompositionName = Literal["none", "sequential", "stack", "fuse", "merge", "madx"]
COMPOSITION_NAMES: tuple[str, ...] = ("none", "sequential", "stack", "fuse", "merge", "madx")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MergeSettings(_Strict):
    """peft ``add_weighted_adapter`` over the intermediate LoRA adapters, in the order of
    ``intermediate.tasks``; ``weights`` default to the average (1/n each); ``density`` is
    the fraction kept by ties / dare_*. The merged adapter is frozen under the target."""

    combination_type: Literal["linear", "ties", "dare_linear", "dare_ties", "svd", "cat"] = "linear"
    weights: list[float] | None = None
    density: float = Field(0.5, gt=0, le=1)


class FuseSettings(_Strict):
    """AdapterFusion (bottleneck) or a learned per-layer mixture of LoRA deltas; the
    softmax temperature is held fixed (not annealed) so training and reload agree."""

    temperature: float = Field(1.0, gt=0)


class MadxSettings(_Strict):
    """MAD-X: the task adapter trains over the ``source_language`` adapter; at test time
    each target language's adapter replaces it beneath the task adapter.
    ``language_adapter`` says how the language adapters are built and trained."""

    source_language: str = "en"
    language_adapter: LanguageAdapterSettings = Field(default_factory=LanguageAdapterSettings)


class CompositionConfig(_Strict):
    """``none``: a target adapter alone (the baseline). ``sequential``: keep training the
    intermediate adapter on the target (the paper's scheme). ``stack``: frozen
    intermediate adapter(s) under a new target adapter. ``fuse``/``merge``: combine
    several intermediate adapters, then train a target adapter on top. ``madx``: task
    adapter over language adapters swapped at test time."""

    name: CompositionName = "sequential"
    merge: MergeSettings = Field(default_factory=MergeSettings)
    fuse: FuseSettings = Field(default_factory=FuseSettings)
    madx: MadxSettings = Field(default_factory=MadxSettings)
