"""Feature types of the datasets built from packaged sources, one per task kind
(the kinds' canonical columns plus an ``id`` for error analysis)."""

from __future__ import annotations

from typing import Any


def classification_features(pair: bool) -> dict[str, Any]:
    import datasets

    text = datasets.Value("string")
    names = ("id", "sentence1", "sentence2") if pair else ("id", "sentence1")
    return {**{name: text for name in names}, "label": datasets.Value("int64")}


def multiple_choice_features() -> dict[str, Any]:
    import datasets

    text = datasets.Value("string")
    return {
        "id": text,
        "context": text,
        "question": text,
        "choices": datasets.Sequence(text),
        "label": datasets.Value("int64"),
    }


def tagging_features() -> dict[str, Any]:
    import datasets

    words = datasets.Sequence(datasets.Value("string"))
    return {"id": datasets.Value("string"), "tokens": words, "tags": words}
