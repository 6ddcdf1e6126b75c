"""Task kinds: how a kind of task is tokenised, which head reads it, how it is scored.

A new kind is one module here plus one line in :data:`KIND_MODULES`.
"""

from __future__ import annotations

import importlib

from adaptxfer.errors import UnknownNameError
from adaptxfer.tasks.kinds.base import TaskKind

KIND_MODULES: dict[str, str] = {
    "classification": "adaptxfer.tasks.kinds.classification:ClassificationKind",
    "multiple_choice": "adaptxfer.tasks.kinds.multiple_choice:MultipleChoiceKind",
    "extractive_qa": "adaptxfer.tasks.kinds.extractive_qa:ExtractiveQAKind",
    "tagging": "adaptxfer.tasks.kinds.tagging:TaggingKind",
    "retrieval": "adaptxfer.tasks.kinds.retrieval:RetrievalKind",
    "mining": "adaptxfer.tasks.kinds.mining:MiningKind",
    "ranking": "adaptxfer.tasks.kinds.ranking:RankingKind",
    "masked_lm": "adaptxfer.tasks.kinds.masked_lm:MaskedLMKind",
}

_instances: dict[str, TaskKind] = {}


def get_kind(name: str) -> TaskKind:
    if name not in KIND_MODULES:
        raise UnknownNameError("task kind", name, list(KIND_MODULES))
    if name not in _instances:
        module, cls = KIND_MODULES[name].split(":")
        _instances[name] = getattr(importlib.import_module(module), cls)()
    return _instances[name]


__all__ = ["KIND_MODULES", "TaskKind", "get_kind"]
