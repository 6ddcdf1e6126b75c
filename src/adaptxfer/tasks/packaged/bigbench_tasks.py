"""English intermediate tasks made from BIG-bench task files, one declarative entry each.

Every entry says which BIG-bench folders it reads, how an example becomes a canonical row
of its kind (classification: ``sentence1``/``sentence2``/``label``; multiple choice:
``context``/``question``/``choices``/``label``), and which key groups examples for the
fixed split (:mod:`.splits`), so that examples sharing a page, a premise or a Winograd
sentence never straddle train and dev/test. Choices keep BIG-bench's order (the gold
answer's position is balanced in every multiple-choice file used here).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from adaptxfer.errors import DataError
from adaptxfer.tasks.packaged.bigbench import choices, examples, gold, gold_index
from adaptxfer.tasks.packaged.columns import classification_features, multiple_choice_features
from adaptxfer.tasks.packaged.sources import BIGBENCH
from adaptxfer.tasks.packaged.splits import SplitFractions, check_split, sample, to_dataset

Row = dict[str, Any]


@dataclass(frozen=True)
class BigBenchTask:
    """How one adaptxfer task is made from one or more BIG-bench task files.

    ``parse`` turns an example's ``input`` into the row's text fields; ``answers`` maps
    BIG-bench's answer strings to the task's label names (classification only);
    ``group`` returns the key that keeps related examples in one split.
    """

    name: str
    folders: tuple[str, ...]
    kind: Literal["classification", "multiple_choice"]
    fractions: SplitFractions
    parse: Callable[[str], Row]
    group: Callable[[str], str]
    answers: Mapping[str, str] = field(default_factory=dict)

    @property
    def label_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.answers.values()))


def pattern_fields(pattern: str, *names: str) -> Callable[[str], Row]:
    """A parser that reads named fields out of ``input`` with one regular expression."""
    compiled = re.compile(pattern, re.S)

    def parse(text: str) -> Row:
        match = compiled.fullmatch(text)
        if match is None:
            raise ValueError(f"expected input matching {pattern!r}")
        return {name: match.group(i + 1).strip() for i, name in enumerate(names)}

    return parse


def _question(text: str) -> Row:
    return {"sentence1": text.strip()}


def _title(text: str) -> str:
    return text.split(": ", 1)[0]


def _first_sentence_field(parse: Callable[[str], Row]) -> Callable[[str], str]:
    return lambda text: parse(text)["sentence1"]


_evidence_claim = pattern_fields(r"(.*)\nClaim: (.*)", "sentence1", "sentence2")
_presupposition = pattern_fields(
    r"Sentence 1: (.*)\nSentence 2: (.*?)\s*The answer is:\s*", "sentence1", "sentence2"
)
_premise_hypothesis = pattern_fields(r"Premise: (.*) Hypothesis: (.*)", "sentence1", "sentence2")
_winograd_reason = pattern_fields(r"(.*?) (The '[^']+' refers to .*)", "sentence1", "sentence2")


TASKS: dict[str, BigBenchTask] = {
    task.name: task
    for task in (
        BigBenchTask(
            name="vitaminc",
            folders=("vitaminc_fact_verification",),
            kind="classification",
            fractions=SplitFractions(dev=0.04, test=0.04),
            parse=_evidence_claim,
            group=_title,  # the Wikipedia page: its revisions and claims stay together
            answers={"True": "supports", "False": "refutes", "Neither": "not-enough-info"},
        ),
        BigBenchTask(
            name="presupposition-nli",
            folders=("presuppositions_as_nli",),
            kind="classification",
            fractions=SplitFractions(dev=0.2, test=0.2),
            parse=_presupposition,
            group=_first_sentence_field(_presupposition),  # one premise, several hypotheses
            answers={
                "entailment": "entailment",
                "neutral": "neutral",
                "contradiction": "contradiction",
            },
        ),
        BigBenchTask(
            name="epistemic-reasoning",
            folders=("epistemic_reasoning",),
            kind="classification",
            fractions=SplitFractions(dev=0.15, test=0.15),
            parse=_premise_hypothesis,
            group=_first_sentence_field(_premise_hypothesis),
            answers={"entailment": "entailment", "non-entailment": "non-entailment"},
        ),
        BigBenchTask(
            name="winowhy",
            folders=("winowhy",),
            kind="classification",
            fractions=SplitFractions(dev=0.15, test=0.15),
            parse=_winograd_reason,
            group=_first_sentence_field(_winograd_reason),  # ~10 reasons per sentence
            answers={"incorrect": "incorrect", "correct": "correct"},
        ),
        BigBenchTask(
            name="strategyqa",
            folders=("strategyqa",),
            kind="classification",
            fractions=SplitFractions(dev=0.15, test=0.15),
            parse=_question,
            group=lambda text: text,
            answers={"No": "no", "Yes": "yes"},
        ),
        BigBenchTask(
            name="siqa-offline",
            folders=("social_iqa",),
            kind="multiple_choice",
            fractions=SplitFractions(dev=0.15, test=0.15),
            parse=lambda text: {"question": text.strip()},
            group=lambda text: text,
        ),
        BigBenchTask(
            name="logical-deduction",
            folders=(
                "logical_deduction/three_objects",
                "logical_deduction/five_objects",
                "logical_deduction/seven_objects",
            ),
            kind="multiple_choice",
            fractions=SplitFractions(dev=0.15, test=0.15),
            parse=lambda text: {"context": text.strip()},
            group=lambda text: text,
        ),
    )
}


def task(name: str) -> BigBenchTask:
    return TASKS[name]


@cache
def rows(name: str, split: str) -> tuple[Row, ...]:
    """Every row of one split, in file order (``id`` = ``"<folder>:<index>"``)."""
    spec = TASKS[name]
    check_split(split)
    out = []
    for folder in spec.folders:
        for i, example in enumerate(examples(folder)):
            where = f"{BIGBENCH.filename}: {folder}/task.json, example {i}"
            try:
                text = example["input"]
                if spec.fractions.split_of(spec.name, spec.group(text)) != split:
                    continue
                row = {"id": f"{folder}:{i}", **_EMPTY[spec.kind], **spec.parse(text)}
                row.update(_answer(spec, example, where))
            except (KeyError, TypeError, ValueError) as err:
                raise DataError(f"{where}: unexpected example ({err})") from None
            out.append(row)
    return tuple(out)


_EMPTY: dict[str, Row] = {"multiple_choice": {"context": "", "question": ""}, "classification": {}}


def _answer(spec: BigBenchTask, example: dict[str, Any], where: str) -> Row:
    if spec.kind == "multiple_choice":
        return {"choices": choices(example), "label": gold_index(example, where)}
    answer = gold(example, where)
    if answer not in spec.answers:
        raise ValueError(f"answer {answer!r} is not one of {sorted(spec.answers)}")
    return {"label": spec.label_names.index(spec.answers[answer])}


def build(name: str, lang: str, split: str, seed: int, max_examples: int | None) -> Any:
    """The split as a ``datasets.Dataset`` in the kind's canonical columns."""
    spec = TASKS[name]
    chosen = sample(rows(name, split), seed, max_examples)
    if spec.kind == "multiple_choice":
        return to_dataset(chosen, multiple_choice_features())
    pair = bool(chosen) and "sentence2" in chosen[0]
    return to_dataset(chosen, classification_features(pair))
