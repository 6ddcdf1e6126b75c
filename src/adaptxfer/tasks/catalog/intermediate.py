"""English intermediate tasks of X-STILTs (Phang et al., 2020) and the reasoning tasks.

Hub ids, configs and splits are the current ones on huggingface.co (checked against the
dataset cards); every task also loads from local files in the same schema
(``<data_dir>/<task>/en/<split>.jsonl``, see :mod:`adaptxfer.tasks.loading`).

Formulations for an encoder (multiple choice = one score per (context + question, choice)
pair, softmax over the choices):
- ANLI+ : ANLI rounds 1-3 + MNLI + SNLI training data, ANLI r1-r3 dev/test (as in the
  paper); a combined source, one part per dataset.
- MMLU: the 4-way question, trained on MMLU's ``auxiliary_train`` split (ARC, OBQA, RACE,
  MCTest), validated on ``validation`` and tested on ``test`` (57 subjects).
- GSM8K: answer selection. The gold final answer (after ``####``) and three distractors
  become four choices: an evenly spaced progression around the gold, with the gold at a
  position drawn from a hash of the question (as ``gsm8k-offline``), so the choices are
  identical on every run and machine and no surface cue (size, length, a number seen in
  the solution) gives the answer away. Dev is the last 7% of the training split.
- COPA (and XCOPA): premise as context, the question type as a question ("What was the
  cause?" / "What happened as a result?"), the two alternatives as choices.
- SIQA / Cosmos QA / CommonsenseQA / HellaSwag: their own answer options.
"""

from __future__ import annotations

import hashlib
import random
import re
from typing import Any

from adaptxfer.tasks.numeric_choices import CHOICES, choice_set, final_answer, number
from adaptxfer.tasks.registry import register
from adaptxfer.tasks.spec import CombinedSource, HubSource, LocalSource, TaskSpec

NLI_LABELS = ("entailment", "neutral", "contradiction")
NLI_FIELDS = {"sentence1": "premise", "sentence2": "hypothesis", "label": "label"}
SQUAD_FIELDS = {"id": "id", "context": "context", "question": "question", "answers": "answers"}
CANONICAL_MC = {
    "context": "context",
    "question": "question",
    "choices": "choices",
    "label": "label",
}
PAPER = "Phang et al. 2020, English intermediate-task training improves zero-shot cross-lingual transfer too"
CCG_TAGS = 1363  # supertag inventory of jiant's CCGbank preprocessing, used by X-STILTs


# -- formulations ---------------------------------------------------------------------------
COPA_QUESTIONS = {"cause": "What was the cause?", "effect": "What happened as a result?"}


def copa_rows(data: Any, lang: str) -> Any:
    """COPA/XCOPA rows (premise, choice1, choice2, question, label) as multiple choice."""
    if "choices" in data.column_names:
        return data

    def convert(row: dict[str, Any]) -> dict[str, Any]:
        return {
            "context": row["premise"],
            "question": COPA_QUESTIONS.get(row["question"], row["question"]),
            "choices": [row["choice1"], row["choice2"]],
            "label": int(row["label"]),
        }

    return data.map(convert, remove_columns=data.column_names)


GSM8K_CHOICES = CHOICES
gsm8k_final_answer = final_answer


def gsm8k_choice_set(question: str, solution: str, n: int = GSM8K_CHOICES) -> tuple[list[str], int]:
    """Deterministic choices for one problem: (choices, index of the gold answer).

    An integer answer (all but a handful in GSM8K) gets the offline task's choices: an
    arithmetic progression around it with the gold at a position drawn per question
    (:func:`adaptxfer.tasks.numeric_choices.choice_set`), so no surface cue (largest,
    longest, seen in the solution) gives it away. Taking the solution's intermediate
    numbers as distractors, as this task once did, let "pick the largest" score ~52 %.
    Other answers get perturbations of the gold (+1, -1, +2, ...) at a drawn position."""
    gold = gsm8k_final_answer(solution)
    if re.fullmatch(r"-?\d+", gold) and n == GSM8K_CHOICES:
        return choice_set(question, int(gold))
    rng = random.Random(int.from_bytes(hashlib.sha256(question.encode()).digest()[:8], "big"))
    base = float(gold) if number(gold) is not None else 0.0
    seen, distractors = {gold}, []
    for delta in (1, -1, 2, 10, -2, -10, 3, 100):
        if len(distractors) >= n - 1:
            break
        value = number(str(base + delta)) or str(base + delta)
        if value not in seen:
            seen.add(value)
            distractors.append(value)
    choices = [gold, *distractors]
    rng.shuffle(choices)
    return choices, choices.index(gold)


def gsm8k_choices(data: Any, lang: str) -> Any:
    """GSM8K rows (question, answer) as 4-way answer selection (see the module docs)."""

    def convert(row: dict[str, Any]) -> dict[str, Any]:
        choices, label = gsm8k_choice_set(row["question"], row["answer"])
        return {"context": "", "question": row["question"], "choices": choices, "label": label}

    return data.map(convert, remove_columns=data.column_names)


# -- sources shared with the targets --------------------------------------------------------
def squad_source(**overrides: Any) -> HubSource:
    options = {
        "splits": {"train": "train", "dev": "validation"},
        "fields": SQUAD_FIELDS,
    }
    options.update(overrides)
    return HubSource("rajpurkar/squad", **options)


def copa_source(**overrides: Any) -> HubSource:
    options = {
        "config": "copa",
        "splits": {"train": "train", "dev": "validation"},
        "fields": CANONICAL_MC,
        "prepare": copa_rows,
        "how_to_obtain": "COPA is SuperGLUE's copa config (aps/super_glue, formerly super_glue).",
    }
    options.update(overrides)
    return HubSource("aps/super_glue", **options)


def _intermediate(name: str, kind: str, source: Any, metric: str, description: str, **kw: Any):
    return register(
        TaskSpec(
            name=name,
            role="intermediate",
            kind=kind,
            languages=("en",),
            source=source,
            metric=metric,
            description=description,
            benchmark="x-stilts",
            reference=kw.pop("reference", PAPER),
            **kw,
        )
    )


# -- the paper's intermediate tasks -----------------------------------------------------------
_intermediate(
    "mnli",
    "classification",
    HubSource(
        "nyu-mll/glue",
        config="mnli",
        splits={"train": "train", "dev": "validation_matched", "test": "validation_mismatched"},
        fields=NLI_FIELDS,
    ),
    "accuracy",
    "MultiNLI: 3-way entailment (test = the labelled mismatched dev set)",
    label_names=NLI_LABELS,
    category="nlu",
)

_intermediate(
    "anli-plus",
    "classification",
    CombinedSource(
        {
            "anli": HubSource(
                "facebook/anli",
                splits={
                    "train": "train_r1+train_r2+train_r3",
                    "dev": "dev_r1+dev_r2+dev_r3",
                    "test": "test_r1+test_r2+test_r3",
                },
                fields=NLI_FIELDS,
            ),
            "mnli": HubSource(
                "nyu-mll/glue", config="mnli", splits={"train": "train"}, fields=NLI_FIELDS
            ),
            "snli": HubSource("stanfordnlp/snli", splits={"train": "train"}, fields=NLI_FIELDS),
        },
        description="facebook/anli (r1-r3) + nyu-mll/glue (mnli) + stanfordnlp/snli",
    ),
    "accuracy",
    "ANLI+: ANLI rounds 1-3 + MNLI + SNLI training data; ANLI r1-r3 dev/test",
    label_names=NLI_LABELS,
    category="nlu",
)

_intermediate(
    "qqp",
    "classification",
    HubSource(
        "nyu-mll/glue",
        config="qqp",
        splits={"train": "train", "dev": "validation"},
        fields={"sentence1": "question1", "sentence2": "question2", "label": "label"},
    ),
    "accuracy",
    "Quora Question Pairs: duplicate-question detection",
    label_names=("not_duplicate", "duplicate"),
    category="paraphrase",
)

_intermediate(
    "squad",
    "extractive_qa",
    squad_source(),
    "squad",
    "SQuAD v1.1 extractive QA",
    category="qa",
)

_intermediate(
    "squad-v2",
    "extractive_qa",
    HubSource(
        "rajpurkar/squad_v2",
        splits={"train": "train", "dev": "validation"},
        fields=SQUAD_FIELDS,
    ),
    "squad_v2",
    "SQuAD v2.0 extractive QA with unanswerable questions (null answer via the <s> score)",
    category="qa",
)

_intermediate(
    "hellaswag",
    "multiple_choice",
    HubSource(
        "Rowan/hellaswag",
        splits={"train": "train", "dev": "validation"},
        fields={"context": "ctx", "choices": "endings", "label": "label"},
    ),
    "accuracy",
    "HellaSwag: pick the ending of a video/WikiHow context (4 choices)",
    label_names=("0", "1", "2", "3"),
    category="commonsense",
)

_intermediate(
    "commonsenseqa",
    "multiple_choice",
    HubSource(
        "tau/commonsense_qa",
        splits={"train": "train", "dev": "validation"},
        fields={"question": "question", "choices": "choices.text", "label": "answerKey"},
    ),
    "accuracy",
    "CommonsenseQA: 5-way commonsense questions",
    label_names=("A", "B", "C", "D", "E"),
    category="commonsense",
)

_intermediate(
    "cosmosqa",
    "multiple_choice",
    HubSource(
        "allenai/cosmos_qa",
        splits={"train": "train", "dev": "validation"},
        fields={
            "context": "context",
            "question": "question",
            "choices": "answer0|answer1|answer2|answer3",
            "label": "label",
        },
        how_to_obtain=(
            "allenai/cosmos_qa may still be a loading script on the Hub, which datasets 5 "
            "does not run; its parquet files or the original release (wilburOne/cosmosqa) "
            "give the same columns."
        ),
    ),
    "accuracy",
    "Cosmos QA: commonsense reading comprehension (4 choices)",
    category="commonsense",
)

_intermediate(
    "ccg",
    "tagging",
    LocalSource(
        how_to_obtain=(
            "CCGbank is licensed by the LDC (LDC2005T13, https://catalog.ldc.upenn.edu/LDC2005T13). "
            "Convert sections 02-21 / 00 / 23 into train / dev / test JSON lines "
            '{"tokens": [...], "tags": [...]} with one supertag id (0-1362, the 1,363-tag '
            "inventory of jiant's CCGbank preprocessing used by X-STILTs) per token, and "
            "put them at <data_dir>/ccg/en/{train,dev,test}.jsonl."
        ),
        fields={"tokens": "tokens", "tags": "tags"},
        description="CCGbank (LDC2005T13), local files only",
    ),
    "token_accuracy",
    "CCG supertagging on CCGbank (licensed; local files)",
    label_names=tuple(str(i) for i in range(CCG_TAGS)),
    category="nlu",
)

# -- reasoning tasks --------------------------------------------------------------------------
_intermediate(
    "mmlu",
    "multiple_choice",
    HubSource(
        "cais/mmlu",
        config="all",
        splits={"train": "auxiliary_train", "dev": "validation", "test": "test"},
        fields={"question": "question", "choices": "choices", "label": "answer"},
    ),
    "accuracy",
    "MMLU: 57-subject 4-way questions; trained on its auxiliary_train split",
    label_names=("A", "B", "C", "D"),
    reference="Hendrycks et al. 2021",
    category="reasoning",
)

_intermediate(
    "gsm8k",
    "multiple_choice",
    HubSource(
        "openai/gsm8k",
        config="main",
        splits={"train": "train[:93%]", "dev": "train[93%:]", "test": "test"},
        fields=CANONICAL_MC,
        prepare=gsm8k_choices,
    ),
    "accuracy",
    "GSM8K as 4-way answer selection: the final answer vs. the solution's intermediate numbers",
    reference="Cobbe et al. 2021",
    category="reasoning",
)

_intermediate(
    "siqa",
    "multiple_choice",
    HubSource(
        "allenai/social_i_qa",
        splits={"train": "train", "dev": "validation"},
        fields={
            "context": "context",
            "question": "question",
            "choices": "answerA|answerB|answerC",
            "label": "label",
        },
    ),
    "accuracy",
    "Social IQa: social commonsense questions (3 choices)",
    label_names=("1", "2", "3"),
    reference="Sap et al. 2019",
    category="commonsense",
)

_intermediate(
    "copa",
    "multiple_choice",
    copa_source(),
    "accuracy",
    "COPA: choose the more plausible cause or effect (2 choices)",
    reference="Roemmele et al. 2011",
    category="commonsense",
)
