"""Every composition adaptxfer knows, in the order recipes, tables and docs list them.

A new composition is one module in this package (a :class:`Composition` subclass) plus
one line here. The recipe's ``composition`` block (:mod:`adaptxfer.compose.settings`), the
support table in the README and the tests all read this registry.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING

from adaptxfer.errors import UnknownNameError

if TYPE_CHECKING:
    from adaptxfer.compose.composition import Composition

COMPOSITIONS: tuple[str, ...] = (
    "adaptxfer.compose.none:Baseline",
    "adaptxfer.compose.sequential:Sequential",
    "adaptxfer.compose.stack:Stack",
    "adaptxfer.compose.fuse:Fuse",
    "adaptxfer.compose.merge:Merge",
    "adaptxfer.compose.madx:Madx",
)


@cache
def composition_classes() -> dict[str, type[Composition]]:
    """Composition name -> class, in registry order."""
    classes = {}
    for path in COMPOSITIONS:
        module, name = path.split(":")
        cls = getattr(importlib.import_module(module), name)
        classes[cls.name] = cls
    return classes


def composition_names() -> list[str]:
    return list(composition_classes())


def get_composition(name: str) -> type[Composition]:
    classes = composition_classes()
    if name not in classes:
        raise UnknownNameError("composition", name, list(classes))
    return classes[name]
