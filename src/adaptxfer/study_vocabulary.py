"""The backbone a recipe's run uses: with ``prune_vocab: true``, its embedding table cut
down to the rows the study's text produces (:mod:`adaptxfer.backbones.vocab`).

The kept rows are every id the tokenizer gives for every split the run reads (each
intermediate task's train and dev, the target's train and evaluation splits in every
target language: :func:`adaptxfer.preflight.splits_read`), read whole rather than the
sampled subsets, so a different seed or ``max_examples`` needs no other vocabulary. The
set is computed once per process and recipe data.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adaptxfer.backbones.loading import LoadedBackbone
    from adaptxfer.recipes.schema import Recipe

_KEPT: dict[tuple[Any, ...], list[int]] = {}


def study_kept_ids(recipe: Recipe, tokenizer: Any) -> list[int]:
    """The sorted token ids the run of ``recipe`` can feed the model (plus specials)."""
    from adaptxfer.backbones.vocab import kept_ids, texts_of, token_ids_of
    from adaptxfer.preflight import splits_read
    from adaptxfer.tasks.loading import DATA_DIR_ENV, load_split

    data_dir = recipe.data_dir or os.environ.get(DATA_DIR_ENV)
    splits = sorted({(task.name, lang, split) for task, lang, split in splits_read(recipe)})
    key = (recipe.backbone, data_dir, tuple(splits))
    if key not in _KEPT:
        tasks = {task.name: task for task, _, _ in splits_read(recipe)}
        texts: set[str] = set()
        for name, lang, split in splits:
            texts |= texts_of(load_split(tasks[name], lang, split, data_dir=data_dir))
        _KEPT[key] = kept_ids(tokenizer, token_ids_of(tokenizer, texts))
    return _KEPT[key]


def load_study_backbone(recipe: Recipe) -> LoadedBackbone:
    """``recipe``'s backbone, its vocabulary pruned to the study's if the recipe says so."""
    from adaptxfer.backbones import load_backbone

    keep = (lambda tokenizer: study_kept_ids(recipe, tokenizer)) if recipe.prune_vocab else None
    return load_backbone(recipe.backbone, quantization=recipe.quantization, keep_vocabulary=keep)
