"""Checks made before any training, so that a mistake in what a run reads fails in
seconds rather than after an hour of intermediate training:

- the backbone's architecture can carry the adapter method (a Hub id's config is
  fetched for this, a few KB, before any weights);
- the data dir exists, and every local split file the run will read is whole and fits
  its task: each row is checked (:mod:`adaptxfer.tasks.validation`), and rows skipped by
  convention are counted.

A file already checked in this process (same path, size and time) is not read again;
its skip notes are replayed into the current run's record.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from adaptxfer.errors import DataError, UnsupportedError
from adaptxfer.tasks import skips

if TYPE_CHECKING:
    from adaptxfer.recipes.schema import Recipe
    from adaptxfer.tasks.spec import TaskSpec

_checked: dict[tuple[object, ...], list[skips.Skipped]] = {}


def check_before_training(recipe: Recipe) -> None:
    check_backbone(recipe)
    check_local_data(recipe)


def check_backbone(recipe: Recipe) -> None:
    from adaptxfer.backbones.registry import model_type_of
    from adaptxfer.methods.support import method_backbone_problem

    model_type = model_type_of(recipe.backbone, fetch_config=True)
    problem = method_backbone_problem(recipe.method, model_type)
    if problem is not None:
        raise UnsupportedError(f"backbone {recipe.backbone!r}: {problem}")


def splits_read(recipe: Recipe) -> list[tuple[TaskSpec, str, str]]:
    """Every (task, language, split) a run of ``recipe`` reads (as
    :mod:`adaptxfer.experiment` does): each intermediate task's English train and dev
    splits, the target's training split (if it trains) and its evaluation splits in
    every target language."""
    from adaptxfer.tasks.kinds import get_kind
    from adaptxfer.tasks.registry import get_task
    from adaptxfer.tasks.units import unit_specs

    found: list[tuple[TaskSpec, str, str]] = []
    for unit in dict.fromkeys(recipe.intermediate.tasks):
        for task in unit_specs(unit):
            found += [(task, task.train_language, "train"), (task, task.train_language, "dev")]
    target = get_task(recipe.target.task)
    kind = get_kind(target.kind)
    if kind.trainable:
        found.append((target, target.train_language, "train"))
    for lang in recipe.target_languages():
        found += [(target, lang, split) for split in kind.eval_splits(recipe.eval)]
    return found


def check_local_data(recipe: Recipe) -> None:
    """Read and check every local file the run will read (see the module docs)."""
    from adaptxfer.tasks.loading import DATA_DIR_ENV, load_split, local_files

    data_dir = recipe.data_dir or os.environ.get(DATA_DIR_ENV)
    if data_dir is not None and not Path(data_dir).is_dir():
        where = "data_dir" if recipe.data_dir else f"${DATA_DIR_ENV}"
        raise DataError(
            f"{where} {data_dir}: no such folder; expected <data_dir>/<task>/<lang>/<split>.jsonl"
        )
    wanted = {(task.name, lang, split): task for task, lang, split in splits_read(recipe)}
    for (_, lang, split), task in wanted.items():
        files = local_files(task, lang, split, data_dir)
        if not files:
            continue
        stamps = tuple((str(f.resolve()), f.stat().st_size, f.stat().st_mtime_ns) for f in files)
        key = (task.name, lang, split, stamps)
        if key not in _checked:
            with skips.collecting() as noted:
                load_split(task, lang, split, data_dir=data_dir)
            _checked[key] = list(noted)
        for skipped in _checked[key]:
            skips.note(skipped)
