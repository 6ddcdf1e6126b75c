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

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adaptxfer.arms import Arm, arms_of, chains_of, intermediate_spec
from adaptxfer.artifacts import (
    Manifest,
    adapter_dir,
    adapter_entries,
    describe_composition,
    save_artifact,
)
from adaptxfer.compose.assemble import Assembly
from adaptxfer.errors import UnsupportedError
from adaptxfer.methods import backend_library
from adaptxfer.progress import progress_bar
from adaptxfer.recipes.schema import Recipe
from adaptxfer.store import AdapterStore
from adaptxfer.tasks import skips
from adaptxfer.tasks.kinds import get_kind
from adaptxfer.tasks.kinds.vector_cache import reusing_vectors
from adaptxfer.tasks.loading import load_split
from adaptxfer.tasks.model import TaskModel
from adaptxfer.tasks.registry import get_task
from adaptxfer.tasks.spec import TaskSpec
from adaptxfer.tasks.units import Unit, member_spec, parse_unit
from adaptxfer.tracking.tracker import Tracker, train_callbacks
from adaptxfer.training.loop import TrainCallback, TrainReport
from adaptxfer.training.settings import TrainSettings
from adaptxfer.training.task import train

EVAL_DATA_SEED = 0  # every arm and seed is scored on the same examples


def training_examples(settings: TrainSettings) -> int:
    """Examples the step budget can consume; larger training sets are sampled down."""
    budget = settings.max_steps * settings.batch_size * settings.grad_accum
    return min(budget, settings.max_train_examples or budget)


# -- intermediate phase -------------------------------------------------------------------
def intermediate_artifact(
    recipe: Recipe,
    chain: tuple[str, ...],
    seed: int,
    store: AdapterStore,
    tracker: Tracker | None = None,
) -> Path:
    """The intermediate adapter of ``chain``: from the store, the Hub, or trained now
    (its training logged to ``tracker``)."""
    shared = recipe.shared_adapter(chain)
    if shared is not None:  # pulled from the Hub (and checked against the recipe), not trained
        from adaptxfer.hub.shared import shared_intermediate

        return shared_intermediate(recipe, chain, shared, store).path
    spec = intermediate_spec(recipe, chain, seed)
    return store.get_or_build(
        spec,
        lambda out: _train_intermediate(
            recipe, chain, seed, store, out, tracker, store.checkpoints(spec)
        ),
    )


def fetch_shared_intermediates(recipe: Recipe, store: AdapterStore) -> Recipe:
    """Pull every adapter the recipe takes from the Hub (``intermediate.from_hub``) and
    check it against the recipe, before anything trains. Returns the recipe pinned to the
    commits pulled (later look-ups find them in the store, without the Hub)."""
    if not recipe.intermediate.from_hub:
        return recipe
    from adaptxfer.hub.shared import pinned, shared_intermediate

    commits = {}
    for arm in arms_of(recipe):
        for chain in chains_of(arm):
            ref = recipe.shared_adapter(chain)
            if ref is not None and ref not in commits:
                commits[ref] = shared_intermediate(recipe, chain, ref, store).commit
    return pinned(recipe, commits)


def _train_intermediate(
    recipe: Recipe,
    chain: tuple[str, ...],
    seed: int,
    store: AdapterStore,
    out: Path,
    tracker: Tracker | None,
    checkpoints: Path,
) -> None:
    from adaptxfer.study_vocabulary import load_study_backbone

    earlier = (
        intermediate_artifact(recipe, chain[:-1], seed, store, tracker) if len(chain) > 1 else None
    )
    unit = parse_unit(chain[-1])
    backbone = load_study_backbone(recipe)
    assembly = Assembly.create(backbone, backend_library(recipe.method))
    if earlier is None:
        assembly.backend.add("adapter", recipe.method, seed=seed)
    else:
        assembly.load_intermediates([adapter_dir(earlier)], recipe.method)
    name = assembly.backend.adapter_names()[0]
    assembly.train_alone(name)
    settings = recipe.phase_train("intermediate")
    callbacks = train_callbacks(tracker, chain)
    provenance: dict[str, Any] = {"chain": list(chain), "seed": seed}
    with skips.collecting() as skipped:
        if unit.is_mixture:
            task, model, metrics = _train_mixture(
                recipe, unit, assembly, settings, seed, callbacks, checkpoints
            )
            provenance["mixture"] = metrics.pop("mixture")
        else:
            task = member_spec(unit.members[0])
            model, report = _train_head_and_adapter(
                recipe,
                task,
                assembly,
                settings,
                seed,
                f"{unit.name} (intermediate)",
                callbacks,
                checkpoints,
            )
            dev = evaluate_language(
                recipe,
                task,
                model,
                backbone.tokenizer,
                task.train_language,
                split="dev",
                max_examples=settings.dev_examples,
            )
            metrics = {"dev": dev, "train": report.to_dict()}
    if skipped:
        metrics["skipped"] = [s.to_dict() for s in skipped]
    save_model(out, recipe, task, assembly, model, metrics=metrics, provenance=provenance)


def _train_mixture(
    recipe: Recipe,
    unit: Unit,
    assembly: Assembly,
    settings: TrainSettings,
    seed: int,
    callbacks: list[TrainCallback],
    checkpoints: Path,
) -> tuple[TaskSpec, TaskModel, dict[str, Any]]:
    """One adapter trained on a mixture of tasks (one head each); returns the first
    member's task and model (the artifact keeps that head) and the metrics: every
    member's dev scores (``member/metric``) and the mixture as sampled."""
    from adaptxfer.training.checkpoint import Checkpointing
    from adaptxfer.training.mixture import mixture_rates
    from adaptxfer.training.task import train_mixture

    tokenizer = assembly.backbone.tokenizer
    specs = [member_spec(m) for m in unit.members]
    members, sizes = [], []
    for spec in specs:
        kind = get_kind(spec.kind)
        model = task_model(spec, assembly, seed, stream=f"head:{spec.name}")
        examples, features = training_features(recipe, spec, tokenizer, settings, seed)
        members.append((model, kind, features))
        sizes.append(examples)
    rates = mixture_rates(sizes, recipe.intermediate.mixture)
    plan = Checkpointing(Path(checkpoints), settings.checkpoint_every, unit.name)
    report, drawn = train_mixture(
        members,
        tokenizer,
        settings,
        rates,
        seed=seed,
        description=f"{unit.name} (intermediate, multi-task)",
        callbacks=callbacks,
        checkpoints=plan,
    )
    dev: dict[str, float] = {}
    primary = []  # each member's primary score (the first a kind returns)
    for spec, (model, _, _) in zip(specs, members, strict=True):
        scores = evaluate_language(
            recipe,
            spec,
            model,
            tokenizer,
            spec.train_language,
            split="dev",
            max_examples=settings.dev_examples,
        )
        dev.update({f"{spec.name}/{k}": v for k, v in scores.items()})
        primary.append(next(iter(scores.values())))
    dev = {"mean": sum(primary) / len(primary), **dev}
    mixture = [
        {"task": spec.name, "examples": n, "rate": round(rate, 4), "batches": k}
        for spec, n, rate, k in zip(specs, sizes, rates, drawn, strict=True)
    ]
    metrics = {"dev": dev, "train": report.to_dict(), "mixture": mixture}
    return specs[0], members[0][0], metrics


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
    vocabulary = assembly.backbone.vocabulary
    if vocabulary is not None:  # adapters ignore it (vocabulary-independent): a record
        provenance = {**provenance, "pruned_vocabulary": vocabulary.to_dict()}
    manifest = Manifest(
        backbone=recipe.backbone,
        quantization=recipe.quantization,
        task=task.name,
        kind=task.kind,
        library=assembly.backend.library,
        adapters=adapter_entries(assembly),
        composition=describe_composition(assembly),
        head=model.head_config,
        metrics=metrics,
        provenance=provenance,
    )
    return save_artifact(out, assembly, model.head, manifest)


def task_model(task: TaskSpec, assembly: Assembly, seed: int, stream: str = "head") -> TaskModel:
    """The assembly's encoder under a new head for ``task``, initialised from ``seed``
    (the intermediate and the target phase start from the same head weights; the heads
    of a mixture's members each from their own ``stream``)."""
    from adaptxfer.seeding import seeded
    from adaptxfer.tasks.heads import build_head

    head_config = get_kind(task.kind).head_config_for(task, assembly.backbone)
    with seeded(seed, stream):
        head = build_head(head_config).to(assembly.backbone.device)
    return TaskModel(assembly.encoder, head, head_config)


def training_features(
    recipe: Recipe, task: TaskSpec, tokenizer: Any, settings: TrainSettings, seed: int
) -> tuple[int, Any]:
    """The task's training split in its training language, sampled to what the step
    budget can use: (examples loaded, training features)."""
    data = load_split(
        task,
        task.train_language,
        "train",
        data_dir=recipe.data_dir,
        seed=seed,
        max_examples=training_examples(settings),
    )
    features = get_kind(task.kind).featurize(task, data, tokenizer, settings.max_length, train=True)
    return len(data), features


def _train_head_and_adapter(
    recipe: Recipe,
    task: TaskSpec,
    assembly: Assembly,
    settings: TrainSettings,
    seed: int,
    description: str,
    callbacks: list[TrainCallback],
    checkpoints: Path | None = None,
) -> tuple[TaskModel, TrainReport]:
    """Train a new head for ``task`` and the assembly's trainable adapters; resumably
    when given a ``checkpoints`` folder."""
    from adaptxfer.training.checkpoint import Checkpointing

    kind = get_kind(task.kind)
    tokenizer = assembly.backbone.tokenizer
    model = task_model(task, assembly, seed)
    _, features = training_features(recipe, task, tokenizer, settings, seed)
    plan = None
    if checkpoints is not None:
        plan = Checkpointing(Path(checkpoints), settings.checkpoint_every, description)
    report = train(
        model,
        kind,
        features,
        tokenizer,
        settings,
        seed=seed,
        description=description,
        callbacks=callbacks,
        checkpoints=plan,
    )
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
    recipe: Recipe,
    arm: Arm,
    seed: int,
    store: AdapterStore,
    artifact_dir: Path | None,
    tracker: Tracker | None = None,
    *,
    checkpoints: Path | None = None,
) -> ArmOutcome:
    """Build the arm's target encoder, train the target (if it trains; resumably in the
    ``checkpoints`` folder), evaluate it in every language and save it as an artifact.
    ``tracker`` receives the training curves of every phase that trains here."""
    target = get_task(recipe.target.task)
    trainable = get_kind(target.kind).trainable
    chains = chains_of(arm)
    problem = arm.composition.selected().problem(
        recipe.method, len(chains), trainable, recipe.target_languages()
    )
    if problem is not None:  # fail before any intermediate training
        raise UnsupportedError(problem)
    inter_dirs = [intermediate_artifact(recipe, chain, seed, store, tracker) for chain in chains]
    assembly = target_assembly(recipe, arm, inter_dirs, store, seed, with_target=trainable)
    report = None
    if trainable:
        settings = recipe.phase_train("target")
        model, report = _train_head_and_adapter(
            recipe,
            target,
            assembly,
            settings,
            seed,
            f"{target.name} ({arm.label})",
            train_callbacks(tracker),
            checkpoints,
        )
    else:
        model = TaskModel(assembly.encoder, None)
    scores = {}
    # the English side of retrieval/mining, encoded once for all languages unless the
    # encoder changes per language (MAD-X's language adapters)
    swaps = bool(arm.composition.selected().language_adapters(recipe.target_languages()))
    with reusing_vectors(enabled=not swaps):
        for lang in progress_bar(recipe.target_languages(), f"evaluate {arm.label}", unit="lang"):
            assembly.activate_language(lang)  # MAD-X: the target language's adapter
            scores[lang] = evaluate_language(
                recipe, target, model, assembly.backbone.tokenizer, lang
            )
    train_record = report.to_dict() if report else None
    artifact = None
    if artifact_dir is not None and (assembly.backend.adapter_names() or model.head is not None):
        provenance = {"arm": arm.label, "seed": seed, "intermediates": list(arm.intermediates)}
        metrics = {"scores": scores, "train": train_record}
        saved = save_model(
            artifact_dir, recipe, target, assembly, model, metrics=metrics, provenance=provenance
        )
        artifact = str(saved)
    return ArmOutcome(
        arm=arm.label,
        composition=arm.composition.name,
        seed=seed,
        scores=scores,
        train=train_record,
        intermediates={
            " > ".join(chain): Manifest.read(d).metrics
            for chain, d in zip(chains, inter_dirs, strict=True)
        },
        artifact=artifact,
    )


def target_assembly(
    recipe: Recipe,
    arm: Arm,
    inter_dirs: list[Path],
    store: AdapterStore,
    seed: int,
    *,
    with_target: bool,
) -> Assembly:
    """The backbone with the arm's intermediate adapters (and language adapters, for
    MAD-X) loaded, composed as the arm says."""
    from adaptxfer.study_vocabulary import load_study_backbone

    backbone = load_study_backbone(recipe)
    assembly = Assembly.create(backbone, backend_library(recipe.method))
    names = assembly.load_intermediates([adapter_dir(d) for d in inter_dirs], recipe.method)
    attach_language_adapters(recipe, arm, assembly, store)
    assembly.compose(arm.composition, names, recipe.method, with_target=with_target, seed=seed)
    return assembly


def attach_language_adapters(
    recipe: Recipe, arm: Arm, assembly: Assembly, store: AdapterStore
) -> None:
    """Load, frozen, the language adapters the arm's composition asks for (MAD-X: the
    source language's and every target language's), trained once into the store by
    :mod:`adaptxfer.language_adapters` (masked-LM)."""
    wanted = arm.composition.selected().language_adapters(recipe.target_languages())
    if not wanted:
        return
    from adaptxfer.language_adapters.artifact import (
        language_adapter_artifact,
        load_language_adapter,
    )

    for lang, settings in wanted.items():
        directory = language_adapter_artifact(
            recipe.backbone, recipe.quantization, lang, store, settings
        )
        assembly.add_language(lang, directory, load_language_adapter)


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
        **kind.floor(task, splits[settings.split]),
        "examples": float(len(splits[settings.split])),
        "seconds": round(time.perf_counter() - started, 2),
    }
