"""Run one recipe: intermediate phase, target phase, zero-shot evaluation, for every seed.

Reads top to bottom like the method section of the paper:

1. train an adapter on each English intermediate task (or chain of tasks) - once, via
   the content-addressed store;
2. for each arm (the no-intermediate baseline, and the recipe's composition), build the
   target encoder from the backbone and the intermediate adapters, train the target
   adapter and head on English target data (unless the target is read straight from
   the encoder: retrieval, mining);
3. evaluate zero-shot in every target language.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adaptxfer.artifacts import Manifest, adapter_entries, save_artifact
from adaptxfer.compose.assemble import Assembly
from adaptxfer.compose.settings import CompositionConfig
from adaptxfer.compose.support import composition_problem
from adaptxfer.errors import UnsupportedError
from adaptxfer.methods import backend_library
from adaptxfer.progress import progress_bar
from adaptxfer.recipes.schema import Recipe
from adaptxfer.store import AdapterStore
from adaptxfer.tasks import skips
from adaptxfer.tasks.kinds import get_kind
from adaptxfer.tasks.loading import load_split
from adaptxfer.tasks.model import TaskModel
from adaptxfer.tasks.registry import get_task
from adaptxfer.tasks.scoring import primary_metric
from adaptxfer.tasks.spec import TaskSpec
from adaptxfer.train import TrainReport, TrainSettings, seed_everything, train

BASELINE = "baseline"
EVAL_DATA_SEED = 0  # every arm and seed is scored on the same examples


@dataclass(frozen=True)
class Arm:
    """One side of the comparison."""

    label: str
    composition: CompositionConfig
    intermediates: tuple[str, ...]


def arms_of(recipe: Recipe) -> list[Arm]:
    arms = []
    if recipe.baseline or not recipe.intermediate.tasks:
        arms.append(Arm(BASELINE, CompositionConfig(name="none"), ()))
    if recipe.intermediate.tasks:
        arms.append(
            Arm(recipe.composition.name, recipe.composition, tuple(recipe.intermediate.tasks))
        )
    return arms


def chains_of(arm: Arm) -> list[tuple[str, ...]]:
    """The intermediate adapters an arm needs: one chain through all tasks for
    ``sequential``, one adapter per task otherwise."""
    if not arm.intermediates:
        return []
    if arm.composition.name == "sequential":
        return [arm.intermediates]
    return [(task,) for task in arm.intermediates]


def training_examples(settings: TrainSettings) -> int:
    """Examples the step budget can consume; larger training sets are sampled down."""
    budget = settings.max_steps * settings.batch_size * settings.grad_accum
    return min(budget, settings.max_train_examples or budget)


# -- intermediate phase -------------------------------------------------------------------
def intermediate_spec(recipe: Recipe, chain: tuple[str, ...], seed: int) -> dict[str, Any]:
    """Exactly what determines an intermediate adapter (the store key)."""
    return {
        "kind": "intermediate-adapter",
        "backbone": recipe.backbone,
        "quantization": recipe.quantization,
        "method": recipe.method.summary(),
        "chain": list(chain),
        "train": recipe.phase_train("intermediate").model_dump(),
        "seed": seed,
        "data_dir": recipe.data_dir,
    }


def intermediate_artifact(
    recipe: Recipe, chain: tuple[str, ...], seed: int, store: AdapterStore
) -> Path:
    spec = intermediate_spec(recipe, chain, seed)
    return store.get_or_build(
        spec, lambda out: _train_intermediate(recipe, chain, seed, store, out)
    )


def _train_intermediate(
    recipe: Recipe, chain: tuple[str, ...], seed: int, store: AdapterStore, out: Path
) -> None:
    from adaptxfer.backbones import load_backbone

    earlier = intermediate_artifact(recipe, chain[:-1], seed, store) if len(chain) > 1 else None
    task = get_task(chain[-1])
    backbone = load_backbone(recipe.backbone, quantization=recipe.quantization)
    assembly = Assembly.create(backbone, backend_library(recipe.method))
    if earlier is None:
        assembly.backend.add("adapter", recipe.method)
    else:
        assembly.load_intermediates([earlier], recipe.method)
    name = assembly.backend.adapter_names()[0]
    assembly.train_alone(name)
    settings = recipe.phase_train("intermediate")
    with skips.collecting() as skipped:
        model, report = _train_head_and_adapter(
            recipe, task, assembly, settings, seed, f"{task.name} (intermediate)"
        )
        dev = evaluate_language(
            recipe,
            task,
            model,
            backbone.tokenizer,
            "en",
            split="dev",
            max_examples=settings.dev_examples,
        )
    metrics = {"dev": dev, "train": report.to_dict()}
    if skipped:
        metrics["skipped"] = [s.to_dict() for s in skipped]
    save_model(
        out,
        recipe,
        task,
        assembly,
        model,
        metrics=metrics,
        provenance={"chain": list(chain), "seed": seed},
    )


def save_model(
    out: Path,
    recipe: Recipe,
    task: TaskSpec,
    assembly: Assembly,
    model: TaskModel,
    *,
    metrics: dict[str, Any],
    provenance: dict[str, Any],
) -> Path:
    """Save a trained (or retrieval) model as one artifact describing how it was built."""
    manifest = Manifest(
        backbone=recipe.backbone,
        quantization=recipe.quantization,
        task=task.name,
        kind=task.kind,
        library=assembly.backend.library,
        adapters=adapter_entries(assembly),
        composition=assembly.describe(),
        head=model.head_config,
        metrics=metrics,
        provenance=provenance,
    )
    return save_artifact(out, assembly, model.head, manifest)


def _train_head_and_adapter(
    recipe: Recipe,
    task: TaskSpec,
    assembly: Assembly,
    settings: TrainSettings,
    seed: int,
    description: str,
) -> tuple[TaskModel, TrainReport]:
    from adaptxfer.tasks.heads import build_head

    kind = get_kind(task.kind)
    tokenizer = assembly.backbone.tokenizer
    head_config = kind.head_config(task, assembly.backbone.hidden_size)
    seed_everything(seed)
    head = build_head(head_config).to(assembly.backbone.device)
    model = TaskModel(assembly.encoder, head, head_config)
    data = load_split(
        task,
        task.train_language,
        "train",
        data_dir=recipe.data_dir,
        seed=seed,
        max_examples=training_examples(settings),
    )
    features = kind.featurize(task, data, tokenizer, settings.max_length, train=True)
    report = train(model, kind, features, tokenizer, settings, seed=seed, description=description)
    return model, report


# -- target phase -------------------------------------------------------------------------
@dataclass
class ArmOutcome:
    arm: str
    composition: str
    seed: int
    scores: dict[str, dict[str, float]]
    train: dict[str, Any] | None
    intermediates: dict[str, Any] = field(default_factory=dict)
    artifact: str | None = None


def run_arm(
    recipe: Recipe, arm: Arm, seed: int, store: AdapterStore, artifact_dir: Path | None
) -> ArmOutcome:
    from adaptxfer.backbones import load_backbone

    target = get_task(recipe.target.task)
    kind = get_kind(target.kind)
    problem = composition_problem(recipe.method, arm.composition, len(chains_of(arm)))
    if problem is not None:  # fail before any intermediate training
        raise UnsupportedError(problem)
    inter_dirs = [intermediate_artifact(recipe, chain, seed, store) for chain in chains_of(arm)]
    inter_info = {
        " > ".join(chain): Manifest.read(d).metrics
        for chain, d in zip(chains_of(arm), inter_dirs, strict=True)
    }

    backbone = load_backbone(recipe.backbone, quantization=recipe.quantization)
    assembly = Assembly.create(backbone, backend_library(recipe.method))
    names = assembly.load_intermediates(inter_dirs, recipe.method)
    if arm.composition.name == "madx":
        attach_language_adapters(recipe, assembly, store)
    assembly.compose(arm.composition, names, recipe.method, with_target=kind.trainable)

    report = None
    if kind.trainable:
        settings = recipe.phase_train("target")
        model, report = _train_head_and_adapter(
            recipe, target, assembly, settings, seed, f"{target.name} ({arm.label})"
        )
    else:
        model = TaskModel(assembly.encoder, None)

    scores = {}
    for lang in progress_bar(recipe.target_languages(), f"evaluate {arm.label}", unit="lang"):
        if assembly.composition == "madx":
            assembly.activate_language(lang)  # MAD-X: the target language's adapter
        scores[lang] = evaluate_language(recipe, target, model, backbone.tokenizer, lang)

    artifact = None
    if artifact_dir is not None and (assembly.backend.adapter_names() or model.head is not None):
        artifact = str(
            save_model(
                artifact_dir,
                recipe,
                target,
                assembly,
                model,
                metrics={"scores": scores, "train": report.to_dict() if report else None},
                provenance={
                    "arm": arm.label,
                    "seed": seed,
                    "intermediates": list(arm.intermediates),
                },
            )
        )
    return ArmOutcome(
        arm=arm.label,
        composition=arm.composition.name,
        seed=seed,
        scores=scores,
        train=report.to_dict() if report else None,
        intermediates=inter_info,
        artifact=artifact,
    )


def attach_language_adapters(recipe: Recipe, assembly: Assembly, store: AdapterStore) -> None:
    """MAD-X: load the source language's adapter and every target language's, frozen.

    Language adapters come from :mod:`adaptxfer.language` (masked-LM trained, stored in
    the same content-addressed store as the intermediate adapters).
    """
    from adaptxfer import language

    assembly.backend.require_languages()
    madx = recipe.composition.madx
    for lang in dict.fromkeys([madx.source_language, *recipe.target_languages()]):
        directory = language.language_adapter_artifact(
            recipe.backbone, recipe.quantization, lang, store, madx.language_adapter
        )
        assembly.add_language(lang, directory, language.load_language_adapter)


def evaluate_language(
    recipe: Recipe,
    task: TaskSpec,
    model: TaskModel,
    tokenizer: Any,
    lang: str,
    *,
    split: str | None = None,
    max_examples: int | None = None,
) -> dict[str, float]:
    kind = get_kind(task.kind)
    settings = recipe.eval if split is None else recipe.eval.model_copy(update={"split": split})
    cap = max_examples or settings.max_examples
    splits = {
        name: load_split(
            task, lang, name, data_dir=recipe.data_dir, seed=EVAL_DATA_SEED, max_examples=cap
        )
        for name in kind.eval_splits(settings)
    }
    started = time.perf_counter()
    scores = kind.evaluate(task, model, splits, tokenizer, settings, lang)
    return {
        **scores,
        "examples": float(len(splits[settings.split])),
        "seconds": round(time.perf_counter() - started, 2),
    }


def headline(task: TaskSpec) -> str:
    return primary_metric(task.metric)


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)
