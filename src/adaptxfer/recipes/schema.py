"""The recipe schema: one validated document per intermediate/target experiment.

Top-level keys: ``backbone``, ``quantization``, ``method``, ``intermediate``, ``target``,
``composition``, ``languages``, ``train``, ``eval``, ``seeds`` (plus ``baseline``,
``data_dir``, ``log``, ``name``, ``description``). Unknown keys are errors. Short forms are
accepted where they read naturally: ``intermediate: bible-para-en``, ``target:
bible-para-x``, ``composition: stack``, ``method: seq_bn``, ``log: tensorboard``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator

from adaptxfer.compose.settings import CompositionConfig
from adaptxfer.hub.reference import HubRef, hub_refs
from adaptxfer.methods.settings import MethodConfig
from adaptxfer.recipes.short_forms import Logs, Named, Task, Tasks
from adaptxfer.strict_model import StrictModel
from adaptxfer.tasks.settings import EvalSettings
from adaptxfer.tracking.settings import LogSettings
from adaptxfer.training.mixture import MixtureSettings
from adaptxfer.training.settings import TrainSettings

if TYPE_CHECKING:
    from adaptxfer.tasks.spec import TaskSpec

Quantization = Literal["none", "int8", "nf4"]
Problem = tuple[tuple[str | int, ...], str]  # (key path, message)


class IntermediatePhase(StrictModel):
    """Intermediate tasks, in order (``sequential`` trains through them in turn; ``stack``
    puts the first at the bottom). Each is a unit (:mod:`adaptxfer.tasks.units`): a task,
    ``task@lang`` (trained in another language), ``a+b`` (one multi-task adapter) or
    ``mlm@lang``. ``mode: multitask`` trains all ``tasks`` as ONE adapter on their
    mixture (the same as writing ``a+b+c``), sampled as ``mixture`` says. ``train``
    overrides the top-level block. ``from_hub`` takes the adapter(s) from the Hub instead
    of training them: one repo for the chain, or one per task when the composition keeps
    them apart."""

    tasks: list[str] = Field(default_factory=list)
    mode: Literal["sequential", "multitask"] = "sequential"
    mixture: MixtureSettings = Field(default_factory=MixtureSettings)
    train: dict[str, Any] = Field(default_factory=dict)
    from_hub: list[HubRef] = Field(default_factory=list)

    _from_hub_short = field_validator("from_hub", mode="before")(lambda cls, v: hub_refs(v))

    @model_validator(mode="after")
    def _one_mixture(self) -> IntermediatePhase:
        if self.mode == "multitask" and len(self.tasks) > 1:
            from adaptxfer.tasks.units import mixture_of

            self.tasks = [mixture_of(self.tasks)]
        return self

    def mixes(self) -> bool:
        """Whether any unit trains on a mixture of tasks."""
        from adaptxfer.tasks.units import MIXTURE_SEPARATOR

        return any(MIXTURE_SEPARATOR in unit for unit in self.tasks)


class TargetPhase(StrictModel):
    """The target task (trained on English, evaluated zero-shot in every language)."""

    task: str
    train: dict[str, Any] = Field(default_factory=dict)


class Recipe(StrictModel):
    name: str | None = None
    description: str = ""
    backbone: str = "e5-small"
    quantization: Quantization = "none"
    prune_vocab: bool = Field(
        False,
        description="keep only the embedding rows the study's text uses (same results, "
        "less GPU memory; adaptxfer.backbones.vocab)",
    )
    method: Named[MethodConfig] = Field(default_factory=MethodConfig)
    intermediate: Tasks[IntermediatePhase] = Field(default_factory=IntermediatePhase)
    target: Task[TargetPhase]
    composition: Named[CompositionConfig] = Field(default_factory=CompositionConfig)
    languages: list[str] | Literal["all"] = "all"
    train: TrainSettings = Field(default_factory=TrainSettings)
    eval: EvalSettings = Field(default_factory=EvalSettings)
    seeds: list[int] = Field(default_factory=lambda: [0], min_length=1)
    baseline: bool = True
    data_dir: str | None = None
    log: Logs[LogSettings] = Field(default_factory=LogSettings)

    @field_validator("seeds")
    @classmethod
    def _distinct_seeds(cls, seeds: list[int]) -> list[int]:
        if len(set(seeds)) != len(seeds):
            raise ValueError(f"seeds must be distinct, got {seeds}")
        return seeds

    def problems(self) -> list[Problem]:
        """Checks that need the registries (tasks, compositions): (key path, message) for
        each problem."""
        from adaptxfer.tasks.registry import all_tasks

        tasks = all_tasks()
        found = self._task_problems(tasks)
        if self.target.task not in tasks:
            return found
        return [
            *found,
            *self._language_problems(tasks[self.target.task]),
            *self._train_problems(),
            *self._method_problems(),
            *self._composition_problems(tasks[self.target.task]),
            *self._from_hub_problems(),
            *self._vocabulary_problems(),
        ]

    def _vocabulary_problems(self) -> list[Problem]:
        """A masked-LM unit predicts over the whole vocabulary: no pruned embeddings."""
        from adaptxfer.tasks.units import MLM, WIKI_MLM, parse_unit

        if not self.prune_vocab:
            return []
        for unit in self.intermediate.tasks:
            if any(m.task in (MLM, WIKI_MLM) for m in parse_unit(unit).members):
                message = (
                    f"{unit!r} trains masked-LM, which predicts over the whole vocabulary; "
                    "set prune_vocab: false"
                )
                return [(("prune_vocab",), message)]
        return []

    def _task_problems(self, tasks: dict[str, TaskSpec]) -> list[Problem]:
        from adaptxfer.tasks.units import unit_problem

        found: list[Problem] = []
        for i, unit in enumerate(self.intermediate.tasks):
            problem = unit_problem(unit, tasks)
            if problem is not None:
                found.append((("intermediate", "tasks", i), problem))
        known = sorted(n for n, t in tasks.items() if t.role == "target")
        if self.target.task not in known:
            message = (
                f"unknown target task {self.target.task!r}; expected one of: {', '.join(known)}"
            )
            found.append((("target", "task"), message))
        return found

    def _language_problems(self, target: TaskSpec) -> list[Problem]:
        if self.languages == "all":
            return []
        unknown = [lang for lang in self.languages if lang not in target.languages]
        if not unknown:
            return []
        return [
            (
                ("languages",),
                f"{unknown} not evaluated by {target.name!r}; expected a subset of: "
                f"{', '.join(target.languages)} (or 'all')",
            )
        ]

    def _train_problems(self) -> list[Problem]:
        found: list[Problem] = []
        fields = TrainSettings.model_fields
        for phase in ("intermediate", "target"):
            overrides = self.intermediate.train if phase == "intermediate" else self.target.train
            unknown = sorted(set(overrides) - set(fields))
            for key in unknown:
                message = f"unknown key {key!r}; expected one of: {', '.join(fields)}"
                found.append(((phase, "train", key), message))
            if not unknown:
                try:
                    self.phase_train(phase)
                except ValueError as err:
                    found.append(((phase, "train"), str(err).splitlines()[-1].strip()))
        return found

    def _method_problems(self) -> list[Problem]:
        """The method on this backbone (e.g. bottleneck adapters on XLM-R XL)."""
        from adaptxfer.backbones.registry import model_type_of
        from adaptxfer.methods.support import method_backbone_problem

        problem = method_backbone_problem(self.method, model_type_of(self.backbone))
        return [] if problem is None else [(("method", "name"), problem)]

    def _composition_problems(self, target: TaskSpec) -> list[Problem]:
        """The composition's own rules (:meth:`Composition.problem`), for this method,
        these intermediate tasks and this target."""
        from adaptxfer.compose.registry import composition_classes
        from adaptxfer.tasks.kinds import kind_entry

        tasks = self.intermediate.tasks
        if not tasks:
            return []  # only the baseline runs
        composition = self.composition.selected()
        chains = composition.chains(tasks)
        if not chains:
            using = [name for name, cls in composition_classes().items() if cls().chains(tasks)]
            message = (
                f"{composition.name!r} uses no intermediate adapter (it is the baseline); with "
                f"intermediate tasks choose {', '.join(using)}"
            )
            return [(("composition", "name"), message)]
        languages = self.target_languages()
        trainable = kind_entry(target.kind).trainable
        problem = composition.problem(self.method, len(chains), trainable, languages)
        if problem is None:
            return []
        in_settings = problem == composition.settings_problem(len(chains), languages)
        return [(("composition", composition.name if in_settings else "name"), problem)]

    def _from_hub_problems(self) -> list[Problem]:
        refs, tasks = self.intermediate.from_hub, self.intermediate.tasks
        if not refs:
            return []
        if not tasks:
            return [(("intermediate", "from_hub"), "name the adapter's tasks: tasks: [...]")]
        wanted = len(self.composition.selected().chains(tasks))
        if wanted and len(refs) != wanted:
            return [
                (
                    ("intermediate", "from_hub"),
                    f"composition {self.composition.name!r} with tasks {tasks} needs {wanted} "
                    f"adapter(s), one per {'chain' if wanted == 1 else 'task'}; got {len(refs)}",
                )
            ]
        return []

    # -- derived settings ---------------------------------------------------------------
    def shared_adapter(self, chain: tuple[str, ...]) -> HubRef | None:
        """The Hub repo that supplies the intermediate adapter of ``chain`` (None: train it)."""
        refs = self.intermediate.from_hub
        if not refs:
            return None
        if len(refs) == 1:
            return refs[0]
        return refs[self.intermediate.tasks.index(chain[0])]

    def phase_train(self, phase: str) -> TrainSettings:
        """The top-level ``train`` block updated by the phase's own ``train`` block."""
        overrides = self.intermediate.train if phase == "intermediate" else self.target.train
        return TrainSettings.model_validate({**self.train.model_dump(), **overrides})

    def target_languages(self) -> list[str]:
        from adaptxfer.tasks.registry import get_task

        task = get_task(self.target.task)
        return list(task.languages) if self.languages == "all" else list(self.languages)
