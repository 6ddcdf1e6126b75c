"""Short forms a recipe (or grid) may use where they read naturally, each in one place:
``intermediate: a`` or ``[a, b]``, ``target: t``, ``method: lora``, ``composition: stack``,
``log: tensorboard`` or ``[tensorboard, mlflow]``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from pydantic import BeforeValidator

Model = TypeVar("Model")


def tasks_short_form(value: Any) -> Any:
    """``a`` or ``[a, b]`` for ``{tasks: [...]}`` (intermediate blocks, grid entries);
    nothing for no tasks."""
    if value is None:
        return {"tasks": []}
    if isinstance(value, str):
        return {"tasks": [value]}
    if isinstance(value, list):
        return {"tasks": value}
    return value


def task_short_form(value: Any) -> Any:
    """``t`` for ``{task: t}`` (the target block, grid targets)."""
    return {"task": value} if isinstance(value, str) else value


def named_short_form(value: Any) -> Any:
    """``x`` for ``{name: x}`` (method and composition blocks)."""
    return {"name": value} if isinstance(value, str) else value


def logs_short_form(value: Any) -> Any:
    """``b`` or ``[b, c]`` for ``{to: [...]}`` (the log block's backends)."""
    return {"to": value} if isinstance(value, (str, list)) else value


SHORT_FORMS: dict[str, Callable[[Any], Any]] = {
    "intermediate": tasks_short_form,
    "target": task_short_form,
    "method": named_short_form,
    "composition": named_short_form,
    "log": logs_short_form,
}

# Field types that accept the short form: ``intermediate: Tasks[IntermediatePhase]``.
Tasks = Annotated[Model, BeforeValidator(tasks_short_form)]
Task = Annotated[Model, BeforeValidator(task_short_form)]
Named = Annotated[Model, BeforeValidator(named_short_form)]
Logs = Annotated[Model, BeforeValidator(logs_short_form)]
