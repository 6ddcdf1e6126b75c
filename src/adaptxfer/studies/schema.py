"""The study file: a grid (the keys of :class:`adaptxfer.grid.schema.GridSpec`, inline)
plus the question it answers, the comparison that answers it, and a quick form.

    # adaptxfer study recipes/studies/q4-multihop-vs-classification-offline.yaml -o runs/q4
    question: Does the gain from English intermediate training shrink on reasoning targets?
    name: q4-offline
    base: ../bible/para-en_to_para-x.yaml
    intermediates: [vitaminc, siqa-offline]
    targets: [multiemo, bible-next-x]
    seeds: [0, 1, 2]
    compare:
      hypothesis: the gain is larger on classification targets than on reasoning ones
      measure: gain                       # gain: cell - baseline (same target, seed); or score
      groups:
        classification: {target_category: classification}
        reasoning: {target_category: reasoning}
      expect: {higher: classification, lower: reasoning}
      across: {by: backbone, expect: shrinks}   # optional: how the difference changes
    quick:                                # adaptxfer study FILE --quick
      seeds: [0, 1]
      languages: [de]
      set: {train.max_steps: 10}

A selection (``where`` and each group) keeps the cells whose every named key matches one
of its values (a value or a list). Unknown keys anywhere are errors naming the file,
line and key, as for grids and recipes.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from adaptxfer.grid.schema import GridSpec
from adaptxfer.strict_model import StrictModel
from adaptxfer.tasks.spec import INTERMEDIATE_GROUPS, TARGET_CATEGORIES

BASELINE_GROUP = "baseline"  # the intermediate_group (and intermediate) of baseline cells
MIXED_GROUP = "mixed"  # a chain or mixture of tasks from several groups


def _as_list(value: Any) -> Any:
    return value if value is None or isinstance(value, list) else [value]


class Selection(StrictModel):
    """Which cells: every key given must match (one of its values)."""

    intermediate: list[str] | None = None  # grid labels: a task, "a > b", an entry's name
    intermediate_group: list[str] | None = None
    target: list[str] | None = None
    target_category: list[str] | None = None
    backbone: list[str] | None = None
    composition: list[str] | None = None
    num_intermediates: list[int] | None = None

    _lists = field_validator("*", mode="before")(lambda cls, v: _as_list(v))

    @field_validator("intermediate_group")
    @classmethod
    def _groups(cls, value: list[str] | None) -> list[str] | None:
        allowed = (*INTERMEDIATE_GROUPS, MIXED_GROUP, BASELINE_GROUP)
        bad = [v for v in value or () if v not in allowed]
        if bad:
            raise ValueError(f"unknown intermediate group(s) {bad}; expected some of {allowed}")
        return value

    @field_validator("target_category")
    @classmethod
    def _categories(cls, value: list[str] | None) -> list[str] | None:
        bad = [v for v in value or () if v not in TARGET_CATEGORIES]
        if bad:
            raise ValueError(f"unknown target category(ies) {bad}; expected {TARGET_CATEGORIES}")
        return value

    def describe(self) -> str:
        parts = [
            f"{key} {'/'.join(map(str, value))}"
            for key, value in self.model_dump(exclude_none=True).items()
        ]
        return ", ".join(parts) or "all cells"


class Expectation(StrictModel):
    """The direction that supports the hypothesis: ``higher`` − ``lower`` > 0."""

    higher: str
    lower: str


class Across(StrictModel):
    """Test how the difference changes along an axis: last value minus first."""

    by: Literal["backbone", "num_intermediates"]
    order: list[str | int] | None = None  # default: the grid's backbones / ascending N
    expect: Literal["shrinks", "grows"]


class Compare(StrictModel):
    hypothesis: str = Field(min_length=1)
    measure: Literal["gain", "score"] = "gain"
    where: Selection = Field(default_factory=Selection)
    groups: dict[str, Selection] = Field(min_length=2, max_length=2)
    expect: Expectation
    across: Across | None = None

    @model_validator(mode="after")
    def _expectation_names_groups(self) -> Compare:
        names = list(self.groups)
        for key in ("higher", "lower"):
            value = getattr(self.expect, key)
            if value not in names:
                raise ValueError(f"expect.{key}: {value!r} is not a group; expected one of {names}")
        if self.expect.higher == self.expect.lower:
            raise ValueError("expect: higher and lower must be different groups")
        return self


class Quick(StrictModel):
    """What ``--quick`` changes: fewer seeds, languages, backbones; recipe keys (``set``)."""

    set: dict[str, Any] = Field(default_factory=dict)
    seeds: list[int] | None = Field(None, min_length=1)
    languages: list[str] | None = None
    backbones: list[str] | None = None


class StudySpec(GridSpec):
    question: str = Field(min_length=1)
    compare: Compare
    quick: Quick = Field(default_factory=Quick)


STUDY_ONLY_KEYS = ("question", "compare", "quick")


def apply_quick(data: dict[str, Any]) -> None:
    """Fold the file's ``quick`` block into the grid keys of ``data`` (in place)."""
    quick = data.get("quick")
    if not isinstance(quick, dict):
        return  # validation reports a malformed block
    if isinstance(quick.get("set"), dict):
        data["set"] = {**(data.get("set") or {}), **quick["set"]}
    for key in ("seeds", "languages", "backbones"):
        if quick.get(key) is not None:
            data[key] = quick[key]
