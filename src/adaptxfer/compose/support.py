"""Which method each composition works with: the table the README shows, computed from
each composition's own rules (:meth:`Composition.problem`)."""

from __future__ import annotations

from adaptxfer.compose.registry import composition_classes
from adaptxfer.methods.settings import BOTTLENECKS, METHOD_NAMES, MethodConfig

# A recipe with two intermediate tasks and a trained target: every composition can use it.
_TASKS = ("first", "second")
DORA = MethodConfig.model_validate({"name": "lora", "lora": {"use_dora": True}})


def supported_methods(name: str) -> list[str]:
    """Methods (``lora+dora`` for LoRA with DoRA) that composition ``name`` works with."""
    composition = composition_classes()[name]()
    n_adapters = len(composition.chains(_TASKS))
    variants = {m: MethodConfig(name=m) for m in METHOD_NAMES} | {"lora+dora": DORA}
    return [
        label
        for label, method in variants.items()
        if composition.problem(method, n_adapters, target_trainable=True) is None
    ]


def methods_cell(methods: list[str]) -> str:
    """``all``, ``all but DoRA``, ``LoRA``, ``bottleneck`` or the list."""
    plain = [m for m in methods if m in METHOD_NAMES]
    if plain == list(METHOD_NAMES):
        return "all" if "lora+dora" in methods else "all but DoRA"
    if plain == ["lora"]:
        return "LoRA"
    if plain == list(BOTTLENECKS):
        return "bottleneck"
    return ", ".join(methods)


def support_table_markdown() -> str:
    """The README's composition table (a test keeps the README in step with it)."""
    lines = [
        "| composition | what trains on the target | methods |",
        "|---|---|---|",
    ]
    for name, cls in composition_classes().items():
        lines.append(f"| `{name}` | {cls.summary} | {methods_cell(supported_methods(name))} |")
    return "\n".join(lines)
