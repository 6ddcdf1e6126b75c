"""The recipe's ``composition`` block, built from the registry of compositions:

    composition:
      name: merge                       # one of the registered compositions
      merge: {combination_type: ties}   # a settings block per composition that has settings

Blocks of other compositions may be present (so that ``--set composition.name=fuse``
works on any recipe) and are ignored, as for methods.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, create_model

from adaptxfer.compose.registry import composition_classes, get_composition
from adaptxfer.strict_model import StrictModel

if TYPE_CHECKING:
    from adaptxfer.compose.composition import Composition


class _CompositionBlock(StrictModel):
    name: str

    def selected(self) -> Composition:
        """The named composition, with its settings block."""
        cls = get_composition(self.name)
        return cls(getattr(self, self.name) if cls.settings_model else None)


def _fields() -> dict[str, Any]:
    classes = composition_classes()
    names = tuple(classes)
    fields: dict[str, Any] = {"name": (Literal[names], "sequential")}  # type: ignore[valid-type]
    for name, cls in classes.items():
        if cls.settings_model is not None:
            fields[name] = (cls.settings_model, Field(default_factory=cls.settings_model))
    return fields


CompositionConfig = create_model(
    "CompositionConfig",
    __base__=_CompositionBlock,
    __module__=__name__,
    __doc__="How intermediate adapters meet the target adapter: "
    + "; ".join(f"``{n}``: {c.summary}" for n, c in composition_classes().items()),
    **_fields(),
)
