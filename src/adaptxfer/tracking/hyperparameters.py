"""A recipe as flat hyperparameters (``train.lr: 0.001``), the form every tracking backend
compares runs by."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from adaptxfer.tracking.sink import Scalar

# Not hyperparameters: where the run logs, and prose.
_LEFT_OUT = ("log", "description")


def flatten(recipe: Mapping[str, Any], prefix: str = "") -> dict[str, Scalar]:
    """Dotted keys to scalars; lists and None as JSON text. Of a block that names one of
    several alternatives (``method: {name: lora, lora: {...}, seq_bn: {...}}``), only the
    named alternative's settings are kept."""
    out: dict[str, Scalar] = {}
    chosen = recipe.get("name") if prefix else None
    for key, value in recipe.items():
        if not prefix and key in _LEFT_OUT:
            continue
        if isinstance(value, Mapping):
            if isinstance(chosen, str) and key != chosen:
                continue  # an unused alternative's settings block
            out.update(flatten(value, f"{prefix}{key}."))
        elif isinstance(value, (bool, int, float, str)):
            out[f"{prefix}{key}"] = value
        else:
            out[f"{prefix}{key}"] = json.dumps(value)
    return out
