"""Which adapter method runs on which backbone architecture, checked before any download
or training.

The one rule today: the adapters library (bottleneck methods, MAD-X) supports the
architectures it ships a module for, plus those adaptxfer describes to it through a plugin
interface (:mod:`adaptxfer.methods.interfaces`: XLM-R XL and XXL). LoRA runs through
peft, which wraps any architecture.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from adaptxfer.methods.settings import MethodConfig


def adapters_library_supports(model_type: str) -> bool:
    """Whether the installed adapters library can wrap ``model_type``: built in (a module
    ``adapters/models/<type>``, found without importing the library) or through one of
    our plugin interfaces."""
    from adaptxfer.methods.interfaces import has_interface

    if has_interface(model_type):
        return True
    loaded = sys.modules.get("adapters")  # once imported, its __spec__ is None (lazy)
    if loaded is not None:
        roots = list(getattr(loaded, "__path__", []))
    else:
        spec = importlib.util.find_spec("adapters")
        roots = list(spec.submodule_search_locations or []) if spec else []
    if not roots:
        return True  # not installed: the import error will say so
    module = model_type.replace("-", "_")
    return any((Path(root) / "models" / module).is_dir() for root in roots)


def adapters_library_problem(model_type: str | None) -> str | None:
    """Why the adapters library cannot wrap a ``model_type`` backbone, else None."""
    if model_type is None or adapters_library_supports(model_type):
        return None
    return (
        f"the backbone's architecture {model_type!r} is not supported by the adapters "
        "library (bottleneck methods seq_bn, double_seq_bn, par_bn and MAD-X) nor "
        "described by adaptxfer.methods.interfaces; use method lora (peft), which supports it"
    )


def method_backbone_problem(method: MethodConfig, model_type: str | None) -> str | None:
    """Why ``method`` cannot run on a backbone of ``model_type`` (None if it can, or if
    the type is not known yet)."""
    from adaptxfer.methods import backend_library

    if backend_library(method) != "adapters":
        return None
    problem = adapters_library_problem(model_type)
    return f"method {method.name!r}: {problem}" if problem else None
