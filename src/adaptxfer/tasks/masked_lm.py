"""``mlm@lang``: masked-LM on the unlabelled Bible text of one language (train-split books
for training, dev-split books for the dev score; :mod:`adaptxfer.language_adapters.texts`),
built on demand rather than registered, since every Bible language has one."""

from __future__ import annotations

from functools import partial
from typing import Any

from adaptxfer.tasks.spec import BuiltSource, TaskSpec

MLM_TASK = "mlm"


def _texts(lang: str, split: str, seed: int, max_examples: int | None, *, of: str) -> Any:
    import datasets

    from adaptxfer.language_adapters.texts import language_texts

    texts = language_texts(of, split, n=max_examples, seed=seed)
    return datasets.Dataset.from_dict({"text": texts})


def masked_lm_spec(lang: str) -> TaskSpec:
    """The masked-LM task on ``lang``'s Bible text (an intermediate task in ``lang``)."""
    from adaptxfer.tasks.bible import PREFERRED

    return TaskSpec(
        name=f"{MLM_TASK}@{lang}",
        role="intermediate",
        kind="masked_lm",
        languages=(lang,),
        train_language=lang,
        source=BuiltSource(
            partial(_texts, of=lang), f"Bible text, translation {PREFERRED.get(lang, '?')}"
        ),
        metric="masked_accuracy",
        description=f"masked-LM on {lang} Bible verses (train-split books)",
    )
