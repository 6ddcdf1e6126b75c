"""The arms of a recipe and the intermediate adapters each one needs, as plain data.

An arm is one side of the comparison: the no-intermediate baseline, and the recipe's
composition over its intermediate tasks. Torch-free, so that grids expand and reports
label runs without loading the training stack (:mod:`adaptxfer.experiment` runs them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from adaptxfer.compose.none import Baseline
from adaptxfer.compose.settings import CompositionConfig
from adaptxfer.tasks.units import MIXTURE_SEPARATOR

if TYPE_CHECKING:
    from adaptxfer.recipes.schema import Recipe

BASELINE = "baseline"


@dataclass(frozen=True)
class Arm:
    """One side of the comparison."""

    label: str
    composition: CompositionConfig
    intermediates: tuple[str, ...]


def arms_of(recipe: Recipe) -> list[Arm]:
    arms = []
    if recipe.baseline or not recipe.intermediate.tasks:
        arms.append(Arm(BASELINE, CompositionConfig(name=Baseline.name), ()))
    if recipe.intermediate.tasks:
        arms.append(
            Arm(recipe.composition.name, recipe.composition, tuple(recipe.intermediate.tasks))
        )
    return arms


def chains_of(arm: Arm) -> list[tuple[str, ...]]:
    """The intermediate adapters an arm needs, as its composition says (one chain through
    all tasks for ``sequential``, one adapter per task otherwise)."""
    return arm.composition.selected().chains(arm.intermediates)


def intermediate_spec(recipe: Recipe, chain: tuple[str, ...], seed: int) -> dict[str, Any]:
    """Exactly what determines an intermediate adapter (the store key)."""
    spec = {
        "kind": "intermediate-adapter",
        "backbone": recipe.backbone,
        "quantization": recipe.quantization,
        "method": recipe.method.summary(),
        "chain": list(chain),
        "train": recipe.phase_train("intermediate").determining(),
        "seed": seed,
        "data_dir": recipe.data_dir,
    }
    if any(MIXTURE_SEPARATOR in unit for unit in chain):  # how its mixtures were sampled
        spec["mixture"] = recipe.intermediate.mixture.model_dump()
    shared = recipe.shared_adapter(chain)
    return spec if shared is None else {**spec, "from_hub": str(shared)}
