"""Read a recipe file, apply ``--set key.sub=value`` overrides, validate.

Every problem becomes a :class:`RecipeError` that names the file, the key (and its line,
when it is in the file) and what was expected.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from adaptxfer.errors import RecipeError
from adaptxfer.recipes.schema import Recipe
from adaptxfer.recipes.short_forms import SHORT_FORMS
from adaptxfer.tasks.units import mixture_of
from adaptxfer.text_files import read_utf8


def read_yaml(path: Path) -> tuple[dict[str, Any], yaml.Node | None]:
    """The document as plain data plus its node tree (for line numbers)."""
    if not path.exists():
        raise RecipeError(f"{path}: recipe file not found")
    if path.is_dir():
        raise RecipeError(f"{path}: is a directory, expected a recipe .yaml file")
    text = read_utf8(path, RecipeError)
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        raise RecipeError(f"{path}{where}: not valid YAML: {problem}") from err
    if data is None:
        raise RecipeError(f"{path}: the recipe is empty")
    if not isinstance(data, dict):
        raise RecipeError(f"{path}: a recipe is a mapping of keys, got {type(data).__name__}")
    return data, node


def parse_override(text: str) -> tuple[list[str], Any]:
    if "=" not in text:
        raise RecipeError(f"--set {text!r}: expected KEY=VALUE, e.g. train.max_steps=50")
    key, raw = text.split("=", 1)
    parts = [p for p in key.strip().split(".") if p]
    if not parts:
        raise RecipeError(f"--set {text!r}: empty key")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError as err:
        raise RecipeError(f"--set {text!r}: value is not valid YAML") from err
    return parts, value


def apply_override(data: dict[str, Any], parts: list[str], value: Any) -> None:
    node = data
    for depth, part in enumerate(parts[:-1]):
        if part in SHORT_FORMS and depth == 0 and part in node:
            node[part] = SHORT_FORMS[part](node[part])
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        if not isinstance(child, dict):
            raise RecipeError(
                f"--set {'.'.join(parts)}: {'.'.join(parts[: depth + 1])} is a value, not a section"
            )
        node = child
    node[parts[-1]] = value


def load_recipe(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Recipe:
    """Read, override (``--set``) and validate a recipe file; errors name file, key, line."""
    path = Path(path)
    data, node = read_yaml(path)
    for text in overrides:
        parts, value = parse_override(text)
        apply_override(data, parts, value)
    try:
        recipe = Recipe.model_validate(data)
    except ValidationError as err:
        raise RecipeError(format_validation_error(path, err, node, overrides)) from None
    problems = recipe.problems()
    if problems:
        lines = []
        for loc, message in problems:
            parts = [str(p) for p in loc]
            line = _line_of(node, parts)
            lines.append(f"{path}{f':{line}' if line else ''}: {'.'.join(parts)}: {message}")
        if overrides:
            lines.append(f"(after --set {' '.join(overrides)})")
        raise RecipeError("\n".join(lines))
    if recipe.name is None:
        recipe = recipe.model_copy(update={"name": path.stem})
    return recipe


def format_validation_error(
    path: Path,
    err: ValidationError,
    node: yaml.Node | None,
    overrides: Any,
    model: Any = Recipe,
) -> str:
    """One line per problem: file, line, dotted key, what was expected. ``model`` is the
    pydantic model validated (for listing the allowed keys of unknown ones)."""
    lines = []
    for problem in err.errors():
        loc = [str(p) for p in problem["loc"]]
        key = ".".join(loc) if loc else "(top level)"
        line = _line_of(node, loc)
        where = f"{path}:{line}" if line else str(path)
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            message = f"unknown key {loc[-1]!r}" + _allowed(model, loc)
        elif problem["type"] == "missing":
            message = "required key is missing"
        elif problem["type"] in ("literal_error", "enum"):
            message = f"got {problem.get('input')!r}; {message}"
        elif "input" in problem and not isinstance(problem["input"], dict):
            message = f"got {problem['input']!r}; {message}"
        if loc:
            lines.append(f"{where}: {key}: {message}")
        else:
            lines.append(f"{where}: {message}")
    if overrides:
        lines.append(f"(after --set {' '.join(overrides)})")
    return "\n".join(lines)


def _allowed(model: Any, loc: list[str]) -> str:
    """List the keys allowed where an unknown key was found."""
    for part in loc[:-1]:
        if part.isdigit():  # an item of a list of models: same model
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return ""
        model = _model_in(field.annotation)
        if model is None:
            return ""
    return f"; expected one of: {', '.join(model.model_fields)}"


def _model_in(annotation: Any) -> Any:
    """The pydantic model inside an annotation (``X``, ``list[X]``, ``X | None``)."""
    if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _line_of(node: yaml.Node | None, loc: list[str]) -> int | None:
    """1-based line of the deepest key of ``loc`` present in the YAML node tree."""
    line = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == part), None)
            key = next((k for k, v in node.value if k.value == part), None)
            if match is None:
                break
            line, node = key.start_mark.line + 1, match
        elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
            node = node.value[int(part)]
            line = node.start_mark.line + 1
        else:
            break
    return line


@dataclass(frozen=True)
class RecipeEntry:
    """What ``adaptxfer recipes`` lists about a recipe file (read without validating)."""

    name: str
    group: str  # the folder under recipes/: bible, xtreme, xtreme-r, ...
    intermediates: tuple[str, ...]
    target: str
    path: Path


GRIDS_FOLDER = "grids"
NOT_RECIPES = (GRIDS_FOLDER, "studies")  # folders of grid and study files


def list_recipes(root: Path) -> list[RecipeEntry]:
    """Every recipe under ``root`` (grid and study files, in ``root/grids`` and
    ``root/studies``, are not recipes)."""
    root = Path(root)
    if not root.is_dir():
        raise RecipeError(f"{root}: recipes folder not found")
    out = []
    for path in sorted(root.rglob("*.yaml")):
        rel = path.relative_to(root)
        if rel.parts[0] in NOT_RECIPES:
            continue
        try:  # a plain parse is enough here (read_yaml also builds the node tree)
            data = yaml.safe_load(read_utf8(path, RecipeError))
        except yaml.YAMLError:
            data = None
        if not isinstance(data, dict):
            data, _ = read_yaml(path)  # raises the precise error
        inter = SHORT_FORMS["intermediate"](data.get("intermediate")) or {}
        tasks = tuple(inter.get("tasks") or ())
        if inter.get("mode") == "multitask" and len(tasks) > 1:
            tasks = (mixture_of(list(tasks)),)  # one multi-task unit
        target = SHORT_FORMS["target"](data.get("target")) or {}
        out.append(
            RecipeEntry(
                name=path.stem,
                group=rel.parts[0] if len(rel.parts) > 1 else "",
                intermediates=tasks,
                target=str((target or {}).get("task", "?")),
                path=path,
            )
        )
    return out
