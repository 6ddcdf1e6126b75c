"""Task kinds: how a kind of task is tokenised, which head reads it, how it is scored.

A new kind is one module here plus one entry in :data:`KINDS`. The entry also says
whether the kind trains a head (or is read straight from the encoder), so that a recipe
is validated without importing the kinds (and torch).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from adaptxfer.errors import UnknownNameError

if TYPE_CHECKING:
    from adaptxfer.tasks.kinds.base import TaskKind


@dataclass(frozen=True)
class KindEntry:
    path: str  # "module:Class"
    trainable: bool = True  # False: scored straight from the encoder (retrieval, mining)


KINDS: dict[str, KindEntry] = {
    "classification": KindEntry("adaptxfer.tasks.kinds.classification:ClassificationKind"),
    "multiple_choice": KindEntry("adaptxfer.tasks.kinds.multiple_choice:MultipleChoiceKind"),
    "extractive_qa": KindEntry("adaptxfer.tasks.kinds.extractive_qa:ExtractiveQAKind"),
    "tagging": KindEntry("adaptxfer.tasks.kinds.tagging:TaggingKind"),
    "retrieval": KindEntry("adaptxfer.tasks.kinds.retrieval:RetrievalKind", trainable=False),
    "mining": KindEntry("adaptxfer.tasks.kinds.mining:MiningKind", trainable=False),
    "ranking": KindEntry("adaptxfer.tasks.kinds.ranking:RankingKind", trainable=False),
    "masked_lm": KindEntry("adaptxfer.tasks.kinds.masked_lm:MaskedLMKind"),
}

_instances: dict[str, TaskKind] = {}


def kind_entry(name: str) -> KindEntry:
    if name not in KINDS:
        raise UnknownNameError("task kind", name, list(KINDS))
    return KINDS[name]


def get_kind(name: str) -> TaskKind:
    entry = kind_entry(name)
    if name not in _instances:
        module, cls = entry.path.split(":")
        _instances[name] = getattr(importlib.import_module(module), cls)()
    return _instances[name]


__all__ = ["KINDS", "KindEntry", "get_kind", "kind_entry"]
