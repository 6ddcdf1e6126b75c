"""Sentence vectors reused across languages: inside ``reusing_vectors`` the English side
that every language of a retrieval target shares is encoded once, with the same scores."""

from __future__ import annotations

import torch
from datasets import Dataset

from adaptxfer.backbones import load_backbone
from adaptxfer.tasks.kinds import get_kind
from adaptxfer.tasks.kinds.vector_cache import reusing_vectors
from adaptxfer.tasks.model import TaskModel
from adaptxfer.tasks.registry import get_task
from adaptxfer.tasks.settings import EvalSettings
from test_compose import make_tiny_backbone

ENGLISH = [f"In the beginning was verse number {i}." for i in range(8)]
OTHER = {
    "de": [f"Im Anfang war Vers Nummer {i}." for i in range(8)],
    "fr": [f"Au commencement était le verset {i}." for i in range(8)],
}


def test_the_english_side_is_encoded_once_for_all_languages_with_equal_scores() -> None:
    backbone = load_backbone(str(make_tiny_backbone()))
    model = TaskModel(backbone.model, None)
    task = get_task("bible-tatoeba")
    kind = get_kind(task.kind)
    settings = EvalSettings(batch_size=4, precision="fp32")  # 8 texts: 2 batches a side
    data = {
        lang: Dataset.from_dict({"id": [str(i) for i in range(8)], "source": ENGLISH, "target": t})
        for lang, t in OTHER.items()
    }
    forwards: list[int] = []
    backbone.model.register_forward_hook(lambda *args: forwards.append(1))

    def scores() -> tuple[dict[str, dict[str, float]], int]:
        forwards.clear()
        out = {
            lang: kind.evaluate(task, model, {"test": d}, backbone.tokenizer, settings, lang)
            for lang, d in data.items()
        }
        return out, len(forwards)

    plain, plain_forwards = scores()
    with reusing_vectors():
        reused, reused_forwards = scores()
        again, again_forwards = scores()  # everything is cached now
    after, after_forwards = scores()
    with reusing_vectors(enabled=False):
        disabled, disabled_forwards = scores()
    assert plain == reused == again == after == disabled
    assert plain_forwards == after_forwards == disabled_forwards == 2 * (2 + 2)
    assert reused_forwards == 2 + 2 * 2  # English once, each language's side once
    assert again_forwards == 0
    assert torch.is_grad_enabled()
