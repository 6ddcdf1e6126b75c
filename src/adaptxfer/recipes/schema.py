"""The recipe schema: one validated document per intermediate/target experiment.

Top-level keys: ``backbone``, ``quantization``, ``method``, ``intermediate``, ``target``,
``composition``, ``languages``, ``train``, ``eval``, ``seeds`` (plus ``baseline``,
``data_dir``, ``name``, ``description``). Unknown keys are errors. Short forms are
accepted where they read naturally: ``intermediate: bible-para-en``, ``target:
bible-para-x``, ``composition: stack``, ``method: seq_bn``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from adaptxfer.compose.settings import CompositionConfig
from adaptxfer.methods.settings import MethodConfig
from adaptxfer.tasks.settings import EvalSettings
from adaptxfer.train import TrainSettings

Quantization = Literal["none", "int8", "nf4"]


def tasks_short_form(value: Any) -> Any:
    """``a`` or ``[a, b]`` for ``{tasks: [...]}`` (intermediate blocks and grid entries)."""
    if isinstance(value, str):
        return {"tasks": [value]}
    if isinstance(value, list):
        return {"tasks": value}
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IntermediatePhase(_Strict):
    """English intermediate tasks, in order (``sequential`` trains through them in turn;
    ``stack`` puts the first at the bottom). ``train`` overrides the top-level block."""

    tasks: list[str] = Field(default_factory=list)
    train: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        return {"tasks": []} if value is None else tasks_short_form(value)


class TargetPhase(_Strict):
    """The target task (trained on English, evaluated zero-shot in every language)."""

    task: str
    train: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        return {"task": value} if isinstance(value, str) else value


def _named(value: Any) -> Any:
    return {"name": value} if isinstance(value, str) else value


class Recipe(_Strict):
    name: str | None = None
    description: str = ""
    backbone: str = "e5-small"
    quantization: Quantization = "none"
    method: MethodConfig = Field(default_factory=MethodConfig)
    intermediate: IntermediatePhase = Field(default_factory=IntermediatePhase)
    target: TargetPhase
    composition: CompositionConfig = Field(default_factory=CompositionConfig)
    languages: list[str] | Literal["all"] = "all"
    train: TrainSettings = Field(default_factory=TrainSettings)
    eval: EvalSettings = Field(default_factory=EvalSettings)
    seeds: list[int] = Field(default_factory=lambda: [0], min_length=1)
    baseline: bool = True
    data_dir: str | None = None

    _method_short = field_validator("method", "composition", mode="before")(
        lambda cls, v: _named(v)
    )

    @field_validator("seeds")
    @classmethod
    def _distinct_seeds(cls, seeds: list[int]) -> list[int]:
        if len(set(seeds)) != len(seeds):
            raise ValueError(f"seeds must be distinct, got {seeds}")
        return seeds

    def problems(self) -> list[tuple[tuple[str | int, ...], str]]:
        """Checks that need the task registry: (key path, message) for each problem."""
        from adaptxfer.tasks.kinds import get_kind
        from adaptxfer.tasks.registry import all_tasks

        found: list[tuple[tuple[str | int, ...], str]] = []
        tasks = all_tasks()
        intermediates = sorted(n for n, t in tasks.items() if t.role == "intermediate")
        targets = sorted(n for n, t in tasks.items() if t.role == "target")
        for i, name in enumerate(self.intermediate.tasks):
            if name not in intermediates:
                found.append(
                    (
                        ("intermediate", "tasks", i),
                        f"unknown intermediate task {name!r}; expected one of: {', '.join(intermediates)}",
                    )
                )
        if self.target.task not in targets:
            found.append(
                (
                    ("target", "task"),
                    f"unknown target task {self.target.task!r}; expected one of: {', '.join(targets)}",
                )
            )
            return found
        target = tasks[self.target.task]
        if isinstance(self.languages, list):
            unknown = [lang for lang in self.languages if lang not in target.languages]
            if unknown:
                found.append(
                    (
                        ("languages",),
                        f"{unknown} not evaluated by {target.name!r}; expected a subset of: {', '.join(target.languages)} (or 'all')",
                    )
                )
        for phase, overrides in (
            ("intermediate", self.intermediate.train),
            ("target", self.target.train),
        ):
            for key in sorted(set(overrides) - set(TrainSettings.model_fields)):
                found.append(
                    (
                        (phase, "train", key),
                        f"unknown key {key!r}; expected one of: {', '.join(TrainSettings.model_fields)}",
                    )
                )
            if not set(overrides) - set(TrainSettings.model_fields):
                try:
                    self.phase_train(phase)  # type: ignore[arg-type]
                except ValueError as err:
                    found.append(((phase, "train"), str(err).splitlines()[-1].strip()))
        from adaptxfer.backbones.registry import model_type_of
        from adaptxfer.methods.support import method_backbone_problem

        problem = method_backbone_problem(self.method, model_type_of(self.backbone))
        if problem is not None:
            found.append((("method", "name"), problem))
        if self.intermediate.tasks and self.composition.name == "none":
            found.append(
                (
                    ("composition", "name"),
                    "'none' is the no-intermediate baseline; with intermediate tasks choose sequential, stack, fuse, merge or madx",
                )
            )
        if self.intermediate.tasks and self.composition.name != "none":
            from adaptxfer.compose.support import composition_problem

            adapters = 1 if self.composition.name == "sequential" else len(self.intermediate.tasks)
            problem = composition_problem(self.method, self.composition, adapters)
            if problem is not None:
                found.append((("composition", "name"), problem))
        if self.composition.name == "madx":
            from adaptxfer.language import language_adapter_languages

            known = language_adapter_languages()
            wanted = [self.composition.madx.source_language, *self.target_languages()]
            missing = [lang for lang in dict.fromkeys(wanted) if lang not in known]
            if missing:
                found.append(
                    (
                        ("composition", "madx"),
                        f"no text to train MAD-X language adapters for {missing}; languages with text: {', '.join(known)} (restrict `languages:` to those)",
                    )
                )
        if not get_kind(target.kind).trainable and self.composition.name in ("fuse", "madx"):
            found.append(
                (
                    ("composition", "name"),
                    f"{self.composition.name!r} needs a trained target adapter, but {target.name!r} ({target.kind}) is evaluated without training; use sequential, stack or merge",
                )
            )
        return found

    # -- derived settings ---------------------------------------------------------------
    def phase_train(self, phase: Literal["intermediate", "target"]) -> TrainSettings:
        """The top-level ``train`` block updated by the phase's own ``train`` block."""
        overrides = self.intermediate.train if phase == "intermediate" else self.target.train
        return TrainSettings.model_validate({**self.train.model_dump(), **overrides})

    def target_languages(self) -> list[str]:
        from adaptxfer.tasks.registry import get_task

        task = get_task(self.target.task)
        return list(task.languages) if self.languages == "all" else list(self.languages)
