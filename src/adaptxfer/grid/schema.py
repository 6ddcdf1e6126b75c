"""The grid file: a study over a base recipe, expanded into one recipe per cell.

    # adaptxfer grid recipes/grids/bible-small.yaml -o runs/bible-small
    name: bible-small
    base: ../bible/para-en_to_para-x.yaml      # a recipe file, relative to this file
    set: {train.max_steps: 8}                  # overrides of the base (dotted keys)
    intermediates:                             # a task, an order of tasks, or a named entry
      - bible-para-en
      - {name: para-en-long, tasks: [bible-para-en], train: {max_steps: 16}}
    targets:                                   # a task, or a task with its own settings
      - bible-para-x
      - {task: bible-tatoeba, languages: [de, fr], eval: {layer: -1}}
    compositions: [sequential, stack]
    seeds: [0, 1]
    backbones: [e5-small]                      # default: the base recipe's
    baseline: true                             # one no-intermediate cell per target/seed

Unknown keys and wrong types are errors naming the file, key and line, like recipes.
"""

from __future__ import annotations

from itertools import permutations
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from adaptxfer.compose.settings import CompositionConfig
from adaptxfer.hub.reference import HubRef, hub_refs
from adaptxfer.recipes.short_forms import Named, Task, Tasks
from adaptxfer.strict_model import StrictModel


class IntermediateEntry(StrictModel):
    """One value of the intermediate axis: a task or an ordered chain of tasks (units:
    ``task@lang``, ``a+b``; :mod:`adaptxfer.tasks.units`), with optional
    ``intermediate.train`` overrides (so one task at two budgets is two values).
    ``permute: true`` expands a chain into every order of its tasks; ``mode: multitask``
    makes the tasks one multi-task unit (``mixture`` overrides the base's sampling);
    ``from_hub: OWNER/NAME`` takes the adapter from the Hub instead of training it;
    ``compositions`` limits the compositions it is crossed with (e.g. ``[fuse]`` for N
    adapters to fuse, beside single adapters that are stacked)."""

    name: str | None = None
    tasks: list[str] = Field(min_length=1)
    mode: Literal["sequential", "multitask"] = "sequential"
    mixture: dict[str, Any] = Field(default_factory=dict)
    train: dict[str, Any] = Field(default_factory=dict)
    permute: bool = False
    from_hub: list[HubRef] = Field(default_factory=list)
    compositions: list[str] | None = None

    _from_hub_short = field_validator("from_hub", mode="before")(lambda cls, v: hub_refs(v))

    @model_validator(mode="after")
    def _one_mixture(self) -> IntermediateEntry:
        if self.mode == "multitask" and len(self.tasks) > 1:
            if self.permute:
                raise ValueError("permute orders a chain; a multitask mixture has no order")
            from adaptxfer.tasks.units import mixture_of

            self.tasks = [mixture_of(self.tasks)]
        return self

    def label(self) -> str:
        return self.name or " > ".join(self.tasks)

    def expand(self) -> list[IntermediateEntry]:
        if not self.permute:
            return [self]
        return [
            self.model_copy(update={"tasks": list(order), "permute": False, "name": None})
            for order in dict.fromkeys(permutations(self.tasks))
        ]


class TargetEntry(StrictModel):
    """One value of the target axis, with settings that apply to its cells only
    (``target.train``, ``eval``, ``languages``, and the compositions it allows)."""

    task: str
    languages: list[str] | Literal["all"] | None = None
    train: dict[str, Any] = Field(default_factory=dict)
    eval: dict[str, Any] = Field(default_factory=dict)
    compositions: list[str] | None = None


class GridSpec(StrictModel):
    name: str | None = None
    description: str = ""
    base: str | None = None
    set: dict[str, Any] = Field(default_factory=dict)
    intermediates: list[Tasks[IntermediateEntry]] = Field(min_length=1)
    targets: list[Task[TargetEntry]] = Field(min_length=1)
    compositions: list[Named[CompositionConfig]] = Field(
        default_factory=lambda: [CompositionConfig()], min_length=1
    )
    seeds: list[int] = Field(default_factory=lambda: [0], min_length=1)
    backbones: list[str] | None = Field(None, min_length=1)
    languages: list[str] | Literal["all"] | None = None
    baseline: bool = True

    @field_validator("compositions")
    @classmethod
    def _no_baseline_composition(cls, value: list[CompositionConfig]) -> list[CompositionConfig]:
        names = [c.name for c in value]
        for config in value:
            if not config.selected().chains(("task",)):  # uses no intermediate adapter
                raise ValueError(
                    f"{config.name!r} is the no-intermediate baseline; it is added by "
                    "`baseline: true`"
                )
        if len(set(names)) != len(names):
            raise ValueError(f"composition names must be distinct, got {names}")
        return value

    @field_validator("seeds", "backbones")
    @classmethod
    def _distinct(cls, value: list[Any] | None) -> list[Any] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError(f"values must be distinct, got {value}")
        return value

    def intermediate_values(self) -> list[IntermediateEntry]:
        values = [v for entry in self.intermediates for v in entry.expand()]
        known = [c.name for c in self.compositions]
        for value in values:
            unknown = sorted(set(value.compositions or ()) - set(known))
            if unknown:
                raise ValueError(
                    f"intermediates: {value.label()!r} names compositions {unknown} that the "
                    f"grid does not run; expected some of {known}"
                )
        labels = [v.label() for v in values]
        duplicates = sorted({x for x in labels if labels.count(x) > 1})
        if duplicates:
            raise ValueError(
                f"intermediates: two values are both called {duplicates}; give them distinct `name`s"
            )
        return values
