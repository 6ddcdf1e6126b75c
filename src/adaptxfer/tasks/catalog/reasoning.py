"""Multilingual reasoning targets for the studies (issue 11): MMMLU and MGSM.

Why these two: the studies ask whether English intermediate training helps multi-step
reasoning targets as much as classification ones (q4), how that changes with model
scale (q3) and with the number of intermediate tasks (q5, scored on multilingual MMLU).
XCOPA is the only reasoning target of XTREME-R and is single-step; MMMLU (professional
translations of MMLU's test set into 14 languages) and MGSM (250 GSM8K test problems,
human-translated into 10 languages) are the standard multilingual knowledge/reasoning and
multi-step arithmetic sets, both with an English training set of the same format, so
the zero-shot protocol (train on English, test in every language) applies unchanged.

Formulations for an encoder:
- ``mmmlu``: 4-way multiple choice; trained on English MMLU's ``auxiliary_train`` split
  (the ``cais/mmlu`` ``all`` config, as the ``mmlu`` intermediate task), validated on
  MMLU ``validation``, tested on MMLU ``test`` in English and on openai/MMMLU (one config
  per language, e.g. ``DE_DE``, test split only) elsewhere. Accuracy.
- ``mgsm``: answer selection among 4 numbers, built as the offline GSM8K task does
  (:func:`adaptxfer.tasks.numeric_choices.choice_set`: an arithmetic progression around
  the gold answer, the gold at a uniformly drawn position, so "pick the largest" or any
  other surface cue scores chance). Trained on English GSM8K (``openai/gsm8k`` ``main``;
  the last 7 % of train is dev); tested on juletxara/mgsm. MGSM's choices are drawn from
  the problem's index, not its text, so every language sees the same four numbers for the
  same problem. MGSM's problems come from GSM8K's test split, never from train. Accuracy.
"""

from __future__ import annotations

from typing import Any

from adaptxfer.errors import DataError
from adaptxfer.tasks.catalog.intermediate import CANONICAL_MC, gsm8k_final_answer
from adaptxfer.tasks.numeric_choices import choice_set
from adaptxfer.tasks.registry import register
from adaptxfer.tasks.spec import CombinedSource, HubSource, TaskSpec

MMMLU_CONFIGS = {
    "ar": "AR_XY",
    "bn": "BN_BD",
    "de": "DE_DE",
    "es": "ES_LA",
    "fr": "FR_FR",
    "hi": "HI_IN",
    "id": "ID_ID",
    "it": "IT_IT",
    "ja": "JA_JP",
    "ko": "KO_KR",
    "pt": "PT_BR",
    "sw": "SW_KE",
    "yo": "YO_NG",
    "zh": "ZH_CN",
}
MGSM_LANGUAGES = ("bn", "de", "en", "es", "fr", "ja", "ru", "sw", "te", "th", "zh")


def _integer(text: Any, where: str) -> int:
    try:
        value = float(str(text).replace(",", ""))
    except ValueError:
        value = float("nan")
    if not value.is_integer():
        raise DataError(f"{where}: the answer {text!r} is not an integer number")
    return int(value)


def gsm8k_selection(data: Any, lang: str) -> Any:
    """English GSM8K rows (question, worked answer ending ``#### N``) as 4-way selection."""

    def convert(row: dict[str, Any], index: int) -> dict[str, Any]:
        gold = _integer(gsm8k_final_answer(row["answer"]), f"GSM8K row {index + 1}")
        choices, label = choice_set(row["question"], gold)
        return {"context": "", "question": row["question"], "choices": choices, "label": label}

    return data.map(convert, with_indices=True, remove_columns=data.column_names)


def mgsm_selection(data: Any, lang: str) -> Any:
    """MGSM rows (question, answer_number) as 4-way selection, the same choices for the
    same problem in every language (drawn from the row index)."""

    def convert(row: dict[str, Any], index: int) -> dict[str, Any]:
        gold = _integer(row["answer_number"], f"MGSM {lang} row {index + 1}")
        choices, label = choice_set(f"mgsm:{index}", gold)
        return {"context": "", "question": row["question"], "choices": choices, "label": label}

    return data.map(convert, with_indices=True, remove_columns=data.column_names)


register(
    TaskSpec(
        name="mmmlu",
        role="target",
        kind="multiple_choice",
        languages=("en", *MMMLU_CONFIGS),
        source=CombinedSource(
            {
                "mmlu": HubSource(
                    "cais/mmlu",
                    config="all",
                    splits={"train": "auxiliary_train", "dev": "validation", "test": "test"},
                    fields={"question": "question", "choices": "choices", "label": "answer"},
                    only_languages=("en",),
                ),
                "mmmlu": HubSource(
                    "openai/MMMLU",
                    config="{lang}",
                    splits={"test": "test"},
                    lang_codes=MMMLU_CONFIGS,
                    fields={"question": "Question", "choices": "A|B|C|D", "label": "Answer"},
                    only_languages=tuple(MMMLU_CONFIGS),
                ),
            },
            description="cais/mmlu (auxiliary_train, validation, English test) + openai/MMMLU",
        ),
        metric="accuracy",
        description="MMLU in 15 languages (MMMLU's 14 translations + English), 4 choices; "
        "trained on English MMLU auxiliary_train",
        label_names=("A", "B", "C", "D"),
        benchmark="studies",
        reference="Hendrycks et al. 2021; OpenAI MMMLU (2024)",
        category="reasoning",
    )
)

register(
    TaskSpec(
        name="mgsm",
        role="target",
        kind="multiple_choice",
        languages=MGSM_LANGUAGES,
        source=CombinedSource(
            {
                "gsm8k": HubSource(
                    "openai/gsm8k",
                    config="main",
                    splits={"train": "train[:93%]", "dev": "train[93%:]"},
                    fields=CANONICAL_MC,
                    prepare=gsm8k_selection,
                    only_languages=("en",),
                ),
                "mgsm": HubSource(
                    "juletxara/mgsm",
                    config="{lang}",
                    splits={"test": "test"},
                    fields=CANONICAL_MC,
                    prepare=mgsm_selection,
                ),
            },
            description="openai/gsm8k main (train) + juletxara/mgsm (test)",
        ),
        metric="accuracy",
        description="MGSM multi-step arithmetic as 4-way answer selection (no surface cue), "
        "11 languages; trained on English GSM8K",
        benchmark="studies",
        reference="Shi et al. 2023 (MGSM); Cobbe et al. 2021 (GSM8K)",
        category="reasoning",
    )
)
