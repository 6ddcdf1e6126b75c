"""What ``adaptxfer push PATH`` shares: find the artifact(s) behind a path and the runs
that describe them.

- an artifact folder (``artifact.json``): a store entry (an intermediate adapter) or a
  run's target-arm model;
- a run dir (``results.json``): its target-arm artifact (the one that is not the
  baseline, when there is a choice);
- a grid dir (``grid.json``): every intermediate adapter in its store, one repo each.

Runs found next to an artifact (the run dir that holds it, or a grid's cells) give the
card its recipe, scores and training cost.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from adaptxfer.artifacts import Manifest, is_artifact
from adaptxfer.errors import UserError
from adaptxfer.output_dirs import GRID_JSON, RESULTS_JSON
from adaptxfer.results import RunResult

STORE_SPEC = "spec.json"
INTERMEDIATE_KIND = "intermediate-adapter"
Role = Literal["intermediate", "target"]


@dataclass(frozen=True)
class Use:
    """One evaluated arm of a run that was built on an intermediate adapter."""

    target: str
    metric: str
    arm: str
    seed: int
    scores: dict[str, float]  # language -> primary metric (percent)
    label: str = ""  # the grid's name for the intermediate entry, if any


@dataclass
class PushSource:
    """One artifact to push and what is known about it."""

    artifact: Path
    role: Role
    manifest: Manifest
    spec: dict[str, Any] | None = None  # the store key's settings (intermediate adapters)
    run: RunResult | None = None  # the run that trained (target) or first used it
    run_dir: Path | None = None
    uses: list[Use] = field(default_factory=list)

    @property
    def chain(self) -> list[str]:
        if self.spec is not None:
            return list(self.spec.get("chain", [self.manifest.task]))
        return [self.manifest.task]


def sources_for(path: Path) -> tuple[Literal["artifact", "run", "grid"], list[PushSource]]:
    """The artifact(s) behind ``path`` and what kind of folder it is."""
    path = Path(path)
    if not path.is_dir():
        raise UserError(f"{path}: no such folder (expected an artifact, run dir or grid dir)")
    if is_artifact(path):
        return "artifact", [_source(path)]
    if (path / RESULTS_JSON).is_file():
        return "run", [_run_artifact(path)]
    if (path / GRID_JSON).is_file():
        return "grid", _grid_intermediates(path)
    raise UserError(
        f"{path}: not an artifact (artifact.json), a run dir ({RESULTS_JSON}) or a grid dir "
        f"({GRID_JSON}); pass e.g. runs/NAME, runs/NAME/artifacts/ARM-seed0 or runs/NAME/store/KEY"
    )


def _store_spec(artifact: Path) -> dict[str, Any] | None:
    path = artifact / STORE_SPEC
    if not path.is_file():
        return None
    spec = json.loads(path.read_text(encoding="utf-8"))
    return spec if isinstance(spec, dict) else None


def _source(artifact: Path) -> PushSource:
    manifest = Manifest.read(artifact)
    spec = _store_spec(artifact)
    if spec is not None and spec.get("kind") != INTERMEDIATE_KIND:
        spec = None
    # A store entry, or any artifact saved by the intermediate phase (Assembly.train_alone).
    is_intermediate = spec is not None or manifest.composition.get("name") == "intermediate"
    source = PushSource(
        artifact=artifact,
        role="intermediate" if is_intermediate else "target",
        manifest=manifest,
        spec=spec,
    )
    above = artifact.resolve().parent.parent  # runs/X/store/KEY or runs/X/artifacts/ARM
    if (above / RESULTS_JSON).is_file():
        _attach_runs(source, [above])
    elif (above / GRID_JSON).is_file():
        _attach_runs(source, _grid_cells(above))
    return source


def _run_artifact(run_dir: Path) -> PushSource:
    folder = run_dir / "artifacts"
    found = sorted(p for p in folder.iterdir() if is_artifact(p)) if folder.is_dir() else []
    if not found:
        raise UserError(f"{run_dir}: this run saved no artifact (nothing to push)")
    trained = [p for p in found if Manifest.read(p).provenance.get("arm") != "baseline"]
    chosen = trained or found
    if len(chosen) > 1:
        listing = "\n".join(f"  {p}" for p in chosen)
        raise UserError(
            f"{run_dir}: the run saved {len(chosen)} models (arms or seeds); push one of:\n{listing}"
        )
    return _source(chosen[0])


def _grid_cells(grid_dir: Path) -> list[Path]:
    cells = grid_dir / "cells"
    return sorted(p.parent for p in cells.rglob(RESULTS_JSON)) if cells.is_dir() else []


def _attach_runs(source: PushSource, run_dirs: list[Path]) -> None:
    """The run that made the artifact (targets) or the runs that used it (intermediates)."""
    for run_dir in run_dirs:
        try:
            result = RunResult.from_file(run_dir / RESULTS_JSON)
        except UserError:
            continue
        uses = _uses(result, source.artifact.name) if source.role == "intermediate" else []
        if source.run is None and (source.role == "target" or uses):
            source.run, source.run_dir = result, run_dir
        source.uses += uses


def _uses(result: RunResult, store_key: str) -> list[Use]:
    """The arms of ``result`` built on the store entry ``store_key``."""
    from pydantic import ValidationError

    from adaptxfer.arms import arms_of, chains_of, intermediate_spec
    from adaptxfer.recipes.schema import Recipe
    from adaptxfer.store import content_key

    try:
        recipe = Recipe.model_validate(result.recipe)
    except ValidationError:
        return []
    arms = {arm.label: arm for arm in arms_of(recipe)}
    uses = []
    for outcome in result.outcomes:
        arm = arms.get(outcome["arm"])
        if arm is None:
            continue
        for chain in chains_of(arm):
            if content_key(intermediate_spec(recipe, chain, outcome["seed"])) != store_key:
                continue
            label = result.labels.get("intermediate", "")
            uses.append(
                Use(
                    target=result.target,
                    metric=result.metric,
                    arm=outcome["arm"],
                    seed=outcome["seed"],
                    scores={
                        lang: values[result.metric]
                        for lang, values in outcome["scores"].items()
                        if result.metric in values
                    },
                    label=label if list(chain) == list(recipe.intermediate.tasks) else "",
                )
            )
    return uses


def _grid_intermediates(grid_dir: Path) -> list[PushSource]:
    store = grid_dir / "store"
    entries = sorted(p for p in store.iterdir() if is_artifact(p)) if store.is_dir() else []
    sources = [_source(p) for p in entries]
    sources = [s for s in sources if s.role == "intermediate"]
    if not sources:
        raise UserError(f"{grid_dir}: the grid's store holds no intermediate adapter yet")
    return sources


# -- repo names for a grid's adapters -------------------------------------------------------
def repo_slug(text: str) -> str:
    """``text`` as a Hub repo name part: letters, digits, '-', '_', '.', no '--' or '..'."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", text)
    slug = re.sub(r"([-.])[-.]+", r"\1", slug)
    return slug.strip("-.")


def grid_repo_names(prefix: str, sources: list[PushSource]) -> list[str]:
    """One repo per adapter: the prefix, the grid's name for the adapter (its entry name,
    else its tasks) and its seed; clashes get the store key's first characters."""
    names = []
    for source in sources:
        label = next((u.label for u in source.uses if u.label), "") or "-".join(source.chain)
        seed = (source.spec or {}).get("seed")
        names.append(prefix + repo_slug(label) + (f"-seed{seed}" if seed is not None else ""))
    return [
        f"{name}-{source.artifact.name[:8]}" if names.count(name) > 1 else name
        for name, source in zip(names, sources, strict=True)
    ]
