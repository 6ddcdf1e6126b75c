"""Package attributes imported on first use (PEP 562), so that importing a package stays
light until a name that needs torch, seqeval or the adapter libraries is touched."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def lazy_getattr(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package`` that imports ``name`` from the module
    ``where[name]`` on first access."""
    import importlib

    def __getattr__(name: str) -> Any:
        if name in where:
            return getattr(importlib.import_module(where[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
