"""Recipes that start from a shared adapter: ``intermediate: {tasks: [mnli], from_hub: R}``.

The adapter is pulled into the run's store and must match the recipe where it matters to
the result — backbone, quantisation, method (and its settings), adapter library and the
tasks it was trained on — else the run stops before any training, naming both values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from adaptxfer.artifacts import Manifest
from adaptxfer.errors import RecipeError

if TYPE_CHECKING:
    from adaptxfer.hub.pull import Pulled
    from adaptxfer.hub.reference import HubRef
    from adaptxfer.recipes.schema import Recipe
    from adaptxfer.store import AdapterStore


def _canonical_backbone(name: str) -> str:
    from adaptxfer.backbones.registry import BACKBONES

    entry = BACKBONES.get(name)
    return entry.hub_id or entry.name if entry else name


def _differences(ours: Any, theirs: Any, key: str) -> list[tuple[str, Any, Any]]:
    if isinstance(ours, dict) and isinstance(theirs, dict):
        found = []
        for sub in dict.fromkeys([*ours, *theirs]):
            found += _differences(ours.get(sub), theirs.get(sub), f"{key}.{sub}")
        return found
    return [] if ours == theirs else [(key, theirs, ours)]


def mismatches(recipe: Recipe, chain: tuple[str, ...], manifest: Manifest) -> list[str]:
    """How the shared adapter differs from what the recipe would have trained."""
    from adaptxfer.methods import backend_library
    from adaptxfer.methods.settings import MethodConfig

    tasks = [e for e in manifest.adapters if e.role == "task"]
    if len(tasks) != 1 or len(manifest.adapters) != 1:
        return [
            f"it holds {len(manifest.adapters)} adapters (a {manifest.composition.get('name')!r} "
            "model); from_hub takes a single intermediate adapter"
        ]
    trained_on = list(manifest.provenance.get("chain") or [manifest.task])
    library = backend_library(recipe.method)
    same_backbone = _canonical_backbone(manifest.backbone) == _canonical_backbone(recipe.backbone)
    found: list[tuple[str, Any, Any]] = []
    for key, theirs, ours, same in (
        ("backbone", manifest.backbone, recipe.backbone, same_backbone),
        ("quantization", manifest.quantization, recipe.quantization,
         manifest.quantization == recipe.quantization),
        ("intermediate.tasks", trained_on, list(chain), trained_on == list(chain)),
        ("adapter library", manifest.library, library, manifest.library == library),
    ):  # fmt: skip
        if not same:
            found.append((key, theirs, ours))
    theirs_method = MethodConfig.model_validate(tasks[0].method).summary()
    found += _differences(recipe.method.summary(), theirs_method, "method")
    return [f"{key} is {a!r} in the shared adapter but {b!r} in the recipe" for key, a, b in found]


def shared_intermediate(
    recipe: Recipe, chain: tuple[str, ...], ref: HubRef, store: AdapterStore
) -> Pulled:
    """Pull ``ref`` into ``store`` and check it against ``recipe`` (the adapter of ``chain``)."""
    from adaptxfer.hub.pull import pull

    pulled = pull(ref.repo, ref.revision, store)
    problems = mismatches(recipe, chain, Manifest.read(pulled.path))
    if problems:
        raise RecipeError(
            f"intermediate.from_hub {ref} does not fit the recipe {recipe.name or ''}: "
            + "; ".join(problems)
        )
    return pulled


def pinned(recipe: Recipe, commits: dict[HubRef, str]) -> Recipe:
    """``recipe`` with each ``from_hub`` reference fixed to the commit that was pulled, so
    every arm, seed and grid cell uses exactly that adapter, and the results say which."""
    refs = [
        ref.model_copy(update={"revision": commits.get(ref, ref.revision)})
        for ref in recipe.intermediate.from_hub
    ]
    phase = recipe.intermediate.model_copy(update={"from_hub": refs})
    return recipe.model_copy(update={"intermediate": phase})
