"""What adaptxfer accepts from a Hub repo, checked before anything is loaded.

Only JSON, safetensors, YAML and markdown files are downloaded (nothing is unpickled and
no code from a repo runs); their names are plain relative paths, their sizes bounded,
every safetensors file has a readable header, and ``artifact.json`` validates like a
recipe: unknown keys, wrong types, unknown tasks or methods and paths that leave the
folder are errors naming the repo, file and key.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from adaptxfer.artifacts import FORMAT, MANIFEST, Manifest
from adaptxfer.errors import HubError

DOWNLOAD_PATTERNS = ["*.json", "*.safetensors", "*.yaml", "*.md"]
WEIGHT_SUFFIX = ".safetensors"
MAX_TEXT_BYTES = 16 * 2**20  # configs, manifests, recipes, results, the card
MAX_WEIGHTS_BYTES = 16 * 2**30  # one safetensors file (a bottleneck adapter on XLM-R XXL is ~1 GB)
_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
# The files each library writes for one adapter (peft's CONFIG_NAME and
# SAFETENSORS_WEIGHTS_NAME; adapters' CONFIG_NAME and SAFE_WEIGHTS_NAME).
ADAPTER_FILES = {
    "peft": ("adapter_config.json", "adapter_model.safetensors"),
    "adapters": ("adapter_config.json", "adapter.safetensors"),
}


def file_problem(relative: str, size: int) -> str | None:
    """Why a repo file may not be read (None when it may): its name, type or size."""
    path = PurePosixPath(relative)
    if path.is_absolute() or not path.parts or any(not _PART.match(p) for p in path.parts):
        return "not a plain relative file name (letters, digits, '_', '-', '.'; no '..')"
    if f"*{path.suffix}" not in DOWNLOAD_PATTERNS:
        return (
            f"type {path.suffix or '(none)'} is not read (only JSON, safetensors, YAML, markdown)"
        )
    limit = MAX_WEIGHTS_BYTES if path.suffix == WEIGHT_SUFFIX else MAX_TEXT_BYTES
    if size > limit:
        return f"{size:,} bytes is over the {limit:,}-byte limit for {path.suffix} files"
    return None


def check_files(where: str, sizes: dict[str, int]) -> None:
    """Raise naming every refused file of ``sizes`` (relative path -> bytes)."""
    problems = [
        f"{where}/{name}: {problem}"
        for name, size in sorted(sizes.items())
        if (problem := file_problem(name, size)) is not None
    ]
    if problems:
        raise HubError("refusing to read this repo:\n" + "\n".join(problems))


def folder_sizes(folder: Path) -> dict[str, int]:
    """Every file under ``folder`` (following the Hub cache's symlinks) with its size."""
    return {
        path.relative_to(folder).as_posix(): path.stat().st_size
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


# -- artifact.json, validated like a recipe ------------------------------------------------
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _relative_folder(path: str) -> str:
    parts = PurePosixPath(path).parts
    if path != "." and (not parts or any(not _PART.match(p) for p in parts)):
        raise ValueError(f"{path!r} is not a folder inside the repo ('.' or a/b, no '..')")
    return path


class AdapterEntrySchema(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
    method: dict[str, Any]
    path: str
    role: Literal["task", "language"] = "task"

    _path = field_validator("path")(lambda cls, v: _relative_folder(v))

    @field_validator("method")
    @classmethod
    def _known_method(cls, method: dict[str, Any]) -> dict[str, Any]:
        from adaptxfer.methods.settings import MethodConfig

        if method.get("name") == "language":
            if set(method) != {"name", "lang"} or not isinstance(method["lang"], str):
                raise ValueError("a language adapter's method is {name: language, lang: CODE}")
            return method
        MethodConfig.model_validate(method)  # raises with the offending key
        return method


class CompositionSchema(_Strict):
    name: str
    active: list[str]
    trainable: list[str]
    fused: list[str] | None = None
    temperature: float | None = None
    language: str | None = None
    languages: dict[str, str] | None = None


class HeadSchema(_Strict):
    type: str
    hidden_size: int = Field(ge=1, le=65536)
    num_labels: int | None = Field(None, ge=1, le=100_000)
    pooling: Literal["cls", "mean"] | None = None
    dropout: float | None = Field(None, ge=0, lt=1)

    @field_validator("type")
    @classmethod
    def _known_head(cls, value: str) -> str:
        from adaptxfer.tasks.heads import HEADS

        if value not in HEADS:
            raise ValueError(f"unknown head type {value!r}; expected one of: {', '.join(HEADS)}")
        return value


class ManifestSchema(_Strict):
    backbone: str = Field(min_length=1)
    quantization: Literal["none", "int8", "nf4"]
    task: str
    kind: str
    library: Literal["peft", "adapters"]
    adapters: list[AdapterEntrySchema] = Field(min_length=1)
    composition: CompositionSchema
    head: HeadSchema | None
    metrics: dict[str, Any] = Field(default_factory=dict)
    provenance: dict[str, Any] = Field(default_factory=dict)
    format: str
    adaptxfer_version: str

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value != FORMAT:
            raise ValueError(f"format {value!r} is not {FORMAT!r} (made by another adaptxfer?)")
        return value

    @field_validator("task")
    @classmethod
    def _known_task(cls, value: str) -> str:
        from adaptxfer.tasks.registry import all_tasks

        if value not in all_tasks():
            raise ValueError(f"task {value!r} is unknown to this adaptxfer (see `adaptxfer tasks`)")
        return value


def check_manifest(folder: Path, where: str) -> Manifest:
    """Validate ``folder/artifact.json`` (schema, then the files it names) and read it."""
    import json

    from adaptxfer.recipes.loading import format_validation_error

    path = folder / MANIFEST
    if not path.is_file():
        raise HubError(f"{where}: not an adaptxfer artifact (no {MANIFEST} in the repo)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise HubError(f"{where}/{MANIFEST}: not valid JSON ({err})") from None
    if not isinstance(data, dict):
        raise HubError(f"{where}/{MANIFEST}: expected a JSON object, got {type(data).__name__}")
    try:
        schema = ManifestSchema.model_validate(data)
    except ValidationError as err:
        message = format_validation_error(
            Path(f"{where}/{MANIFEST}"), err, None, (), ManifestSchema
        )
        raise HubError(message) from None
    missing = [
        f"{entry.path}/{name} (adapter {entry.name!r})"
        for entry in schema.adapters
        for name in ADAPTER_FILES["adapters" if entry.role == "language" else schema.library]
        if not (folder / entry.path / name).is_file()
    ]
    if schema.head is not None and not (folder / "head.safetensors").is_file():
        missing.append("head.safetensors (the manifest declares a head)")
    if missing:
        raise HubError(f"{where}: {MANIFEST} names files the repo lacks: {'; '.join(missing)}")
    return Manifest.read(folder)


def check_weights(folder: Path, where: str) -> None:
    """Open every safetensors header (no tensor is read): a truncated or malformed file is
    refused before torch sees it."""
    from safetensors import safe_open

    for path in sorted(folder.rglob("*" + WEIGHT_SUFFIX)):
        try:
            with safe_open(str(path), framework="pt") as handle:
                handle.keys()
        except Exception as err:  # safetensors raises its own error types
            name = path.relative_to(folder).as_posix()
            raise HubError(f"{where}/{name}: not a valid safetensors file ({err})") from None


def check_folder(folder: Path, where: str) -> Manifest:
    """Everything above, for a downloaded (or exported) folder: names and sizes, the
    manifest, the weights' headers. Returns the manifest."""
    check_files(where, folder_sizes(folder))
    manifest = check_manifest(folder, where)
    check_weights(folder, where)
    return manifest
