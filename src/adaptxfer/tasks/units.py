"""Intermediate units: what one name in ``intermediate.tasks`` (or a grid entry) trains.

- ``task``: the task on its own training data (English, the zero-shot protocol);
- ``task@lang``: the task trained on its training data in ``lang``: native data
  (``bible-para-x@de``, ``pos-x@it``) or machine-translated (on the Hub, ``xnli@de`` is
  MNLI translated into German, ``pawsx@fr`` PAWS translated into French);
- ``a+b+c``: ONE adapter trained on a mixture of the tasks, one head per task
  (multi-task training, X-STILTs' best setting); its members may carry ``@lang``;
- ``mlm@lang``: masked-LM on unlabelled text of ``lang`` (the Bible's train-split
  books), the paper's "continued multilingual MLM" alternative, alone or in a mixture;
  ``mlm-wiki@lang`` reads Wikipedia from the Hub instead (:mod:`.masked_lm`).

A chain (``sequential``) of units trains them in turn; ``mode: multitask`` in a recipe is
the same as writing its tasks as one ``+`` unit. Torch-free: recipes validate without it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from adaptxfer.tasks.spec import TaskSpec

# The intermediate group of a target task trained as an intermediate (``task@lang``): by
# task where the category says too little, else by category.
GROUP_OF_TARGET = {"bible-para-x": "paraphrase", "pawsx": "paraphrase"}
GROUP_OF_CATEGORY = {
    "classification": "nlu",
    "structured-prediction": "nlu",  # as pos-en and ccg
    "qa": "qa",
    "reasoning": "reasoning",
}
MIXTURE_SEPARATOR = "+"
LANGUAGE_SEPARATOR = "@"
MLM = "mlm"
WIKI_MLM = "mlm-wiki"


@dataclass(frozen=True)
class Member:
    """One task of a unit, in one training language (None: the task's own)."""

    task: str
    lang: str | None = None

    @property
    def name(self) -> str:
        return self.task if self.lang is None else f"{self.task}{LANGUAGE_SEPARATOR}{self.lang}"


@dataclass(frozen=True)
class Unit:
    """One intermediate adapter's training data: one member, or a mixture of several."""

    members: tuple[Member, ...]

    @property
    def name(self) -> str:
        return MIXTURE_SEPARATOR.join(m.name for m in self.members)

    @property
    def is_mixture(self) -> bool:
        return len(self.members) > 1


def parse_unit(text: str) -> Unit:
    """``a+b@de`` -> Unit((Member('a'), Member('b', 'de'))); ValueError when malformed."""
    members = []
    for part in text.split(MIXTURE_SEPARATOR):
        task, at, lang = part.strip().partition(LANGUAGE_SEPARATOR)
        if not task or (at and not lang) or LANGUAGE_SEPARATOR in lang:
            raise ValueError(
                f"malformed intermediate {text!r}; expected TASK, TASK@LANG or a mixture "
                f"A+B(+...), e.g. bible-para-en+bible-para-x@de"
            )
        members.append(Member(task, lang or None))
    if len(set(members)) != len(members):
        raise ValueError(f"intermediate mixture {text!r} names a task twice")
    return Unit(tuple(members))


def mixture_of(tasks: list[str]) -> str:
    """The one unit that trains ``tasks`` together (``mode: multitask``)."""
    return MIXTURE_SEPARATOR.join(tasks)


def unit_problem(text: str, tasks: dict[str, TaskSpec]) -> str | None:
    """Why ``text`` cannot be an intermediate unit (None when it can)."""
    try:
        unit = parse_unit(text)
    except ValueError as err:
        return str(err)
    for member in unit.members:
        problem = member_problem(member, tasks)
        if problem is not None:
            return problem if not unit.is_mixture else f"in mixture {text!r}: {problem}"
    return None


def member_problem(member: Member, tasks: dict[str, TaskSpec]) -> str | None:
    if member.task == MLM:
        return _mlm_problem(member)
    if member.task == WIKI_MLM:
        from adaptxfer.tasks.masked_lm import wiki_language_problem

        return wiki_language_problem(member.lang)
    spec = tasks.get(member.task)
    usable = sorted(
        n for n, t in tasks.items() if t.role == "intermediate" or t.other_train_languages
    )
    if spec is None:
        return (
            f"unknown intermediate task {member.task!r}; expected one of: "
            f"{', '.join([*usable, MLM + '@LANG', WIKI_MLM + '@LANG'])}"
        )
    if member.lang is None:
        if spec.role == "intermediate":
            return None
        langs = ", ".join(f"{spec.name}@{lang}" for lang in spec.other_train_languages)
        return (
            f"{spec.name!r} is a target task; as an intermediate it needs a training "
            f"language: {langs or '(it has no training data outside English)'}"
        )
    if member.lang not in member_languages(spec):
        offered = ", ".join(member_languages(spec))
        return (
            f"{spec.name!r} has no training data in {member.lang!r}; "
            f"{spec.name}@LANG takes LANG from: {offered}"
        )
    return None


def member_languages(spec: TaskSpec) -> tuple[str, ...]:
    """The languages ``spec`` can be trained in (``task@lang``)."""
    languages = (*spec.other_train_languages, spec.train_language)
    return tuple(dict.fromkeys(languages)) if spec.role == "target" else (spec.train_language,)


def _mlm_problem(member: Member) -> str | None:
    from adaptxfer.language_adapters.texts import language_adapter_languages

    offered = language_adapter_languages()
    if member.lang is None or member.lang not in offered:
        got = "no language" if member.lang is None else f"{member.lang!r}"
        return f"mlm needs a language with Bible text (mlm@LANG), got {got}; LANG from: " + (
            ", ".join(offered)
        )
    return None


def member_spec(member: Member, tasks: dict[str, TaskSpec] | None = None) -> TaskSpec:
    """The task a member trains, as an intermediate task in the member's language."""
    from adaptxfer.tasks.registry import all_tasks

    if member.task in (MLM, WIKI_MLM):
        from adaptxfer.tasks.masked_lm import masked_lm_spec

        return masked_lm_spec(member.task, member.lang or "")
    spec = (tasks or all_tasks())[member.task]
    lang = member.lang or spec.train_language
    if spec.role == "intermediate" and lang == spec.train_language:
        return spec
    group = GROUP_OF_TARGET.get(spec.name) or GROUP_OF_CATEGORY.get(spec.category, "")
    return replace(
        spec, role="intermediate", train_language=lang, languages=(lang,), category=group
    )


def unit_specs(text: str) -> list[TaskSpec]:
    """The task of every member of unit ``text``, in order."""
    return [member_spec(m) for m in parse_unit(text).members]
