"""The task registry: every task adaptxfer knows, looked up by name.

Catalog modules (``tasks/catalog/*.py``) call :func:`register` at import time; the
registry imports them on first use so that ``import adaptxfer.tasks`` stays cheap.
"""

from __future__ import annotations

import importlib

from adaptxfer.errors import UnknownNameError
from adaptxfer.tasks.spec import TaskSpec

CATALOGS: tuple[str, ...] = (
    "adaptxfer.tasks.catalog.bible",
    "adaptxfer.tasks.catalog.intermediate",
    "adaptxfer.tasks.catalog.packaged",
    "adaptxfer.tasks.catalog.reasoning",
    "adaptxfer.tasks.catalog.xtreme",
)

_TASKS: dict[str, TaskSpec] = {}
_loaded = False


def register(spec: TaskSpec) -> TaskSpec:
    """Add a task; a second task with the same name is a programming error."""
    if spec.name in _TASKS and _TASKS[spec.name] != spec:
        raise ValueError(f"task {spec.name!r} registered twice")
    _TASKS[spec.name] = spec
    return spec


def _load_catalogs() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in CATALOGS:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as err:
            if err.name != module:  # a real import error inside the catalog
                raise


def all_tasks() -> dict[str, TaskSpec]:
    _load_catalogs()
    return dict(sorted(_TASKS.items()))


def get_task(name: str) -> TaskSpec:
    tasks = all_tasks()
    if name not in tasks:
        raise UnknownNameError("task", name, list(tasks))
    return tasks[name]
