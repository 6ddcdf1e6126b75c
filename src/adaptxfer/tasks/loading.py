"""Load one (task, language, split) as a ``datasets.Dataset`` in the kind's canonical columns.

Three ways in, one result:
- built sources (offline Bible tasks) build the data themselves;
- a local data dir holds files in the Hub's own schema, laid out as
  ``<data_dir>/<task>/<lang>/<split>.jsonl`` (or ``.conllu`` for tagging sources);
- otherwise ``datasets.load_dataset`` reads the real Hub dataset.
The same field mapping turns Hub or local rows into canonical columns. A mapped Hub
field may name a nested value (``"choices.text"``) or gather several columns into a list
(``"answer0|answer1|answer2"``). Local-only sources (licensed data) and combined sources
(several Hub datasets behind one task) follow the same layout; see :mod:`.spec`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from adaptxfer.errors import DataError, MissingAssetError, UnknownNameError
from adaptxfer.tasks.local_files import LINE
from adaptxfer.tasks.spec import (
    SPLITS,
    BuiltSource,
    CombinedSource,
    HubSource,
    LocalSource,
    TaskSpec,
)
from adaptxfer.tasks.validation import Origin

DATA_DIR_ENV = "ADAPTXFER_DATA"
DATA_DIR_HINT = (
    f"set `data_dir: DIR` in the recipe (or --set data_dir=DIR), or the environment "
    f"variable {DATA_DIR_ENV}"
)


def local_split_path(
    task: TaskSpec,
    lang: str,
    split: str,
    data_dir: Path,
    *,
    part: str | None = None,
    source: HubSource | LocalSource | None = None,
) -> Path:
    """Where a local file for this split lives (whether or not it exists); ``part`` names
    one part of a combined source when several parts serve the split."""
    source = source if source is not None else task.source
    conllu = isinstance(source, HubSource | LocalSource) and source.local_format == "conllu"
    suffix = ".conllu" if conllu else ".jsonl"
    stem = f"{split}.{part}" if part else split
    return Path(data_dir) / task.name / lang / f"{stem}{suffix}"


def _check(task: TaskSpec, lang: str, split: str) -> None:
    if split not in SPLITS:
        raise UnknownNameError("split", split, SPLITS)
    allowed = set(task.languages) | {task.train_language}
    if lang not in allowed:
        raise UnknownNameError(f"language of task {task.name!r}", lang, sorted(allowed))


def load_split(
    task: TaskSpec,
    lang: str,
    split: str,
    *,
    data_dir: str | Path | None = None,
    seed: int = 0,
    max_examples: int | None = None,
) -> Any:
    """Return the split in canonical columns, sampled down to ``max_examples`` if given."""
    _check(task, lang, split)
    source = task.source
    data_dir = data_dir or os.environ.get(DATA_DIR_ENV)
    if isinstance(source, BuiltSource):
        extra = {"data_dir": data_dir} if source.takes_data_dir else {}
        return source.build(lang=lang, split=split, seed=seed, max_examples=max_examples, **extra)
    if isinstance(source, CombinedSource):
        parts = source.serving(lang, split)
        if not parts:
            raise MissingAssetError(
                f"task {task.name!r} has no {split!r} split for language {lang!r} "
                f"(its parts: {', '.join(source.parts)})"
            )
        named = len(parts) > 1
        pieces = [
            _load_source(task, part, lang, split, data_dir, part_name=name if named else None)
            for name, part in parts.items()
        ]
        data = _concatenate(pieces)
    else:
        data = _load_source(task, source, lang, split, data_dir, part_name=None)
    if max_examples is not None and len(data) > max_examples:
        data = data.shuffle(seed=seed).select(range(max_examples))
    return data


def _load_source(
    task: TaskSpec,
    source: HubSource | LocalSource,
    lang: str,
    split: str,
    data_dir: str | Path | None,
    part_name: str | None,
) -> Any:
    """One source (or one part of a combined source), read and made canonical."""
    path = local_path(task, source, lang, split, data_dir, part_name)
    if data_dir is not None and path.exists():
        raw = _read_local(source, path)
        origin = Origin(task.name, lang, split, str(path), local=True)
    elif isinstance(source, LocalSource):
        raw = _missing_local(task, source, lang, split, path, data_dir is not None)
    else:
        raw = _read_hub(task, source, lang, split, local_hint=path)
        hub = f"Hub dataset {source.path}" + (f" ({source.config})" if source.config else "")
        origin = Origin(task.name, lang, split, hub.format(lang=source.hub_lang(lang)), False)
    return to_canonical(task, source, raw, lang, origin)


def local_path(
    task: TaskSpec,
    source: HubSource | LocalSource,
    lang: str,
    split: str,
    data_dir: str | Path | None,
    part_name: str | None = None,
) -> Path:
    root = Path(data_dir) if data_dir is not None else Path("<data_dir>")
    return local_split_path(task, lang, split, root, part=part_name, source=source)


def local_files(task: TaskSpec, lang: str, split: str, data_dir: str | Path | None) -> list[Path]:
    """The local files :func:`load_split` would read for this split (none when it reads
    the Hub or builds the data itself); a local-only source's missing file is an error."""
    source = task.source
    if isinstance(source, BuiltSource):
        return []
    if isinstance(source, CombinedSource):
        parts = source.serving(lang, split)
        named = len(parts) > 1
        candidates = [
            (part, local_path(task, part, lang, split, data_dir, name if named else None))
            for name, part in parts.items()
        ]
    else:
        candidates = [(source, local_path(task, source, lang, split, data_dir))]
    found = []
    for part, path in candidates:
        if data_dir is not None and path.exists():
            found.append(path)
        elif isinstance(part, LocalSource):
            _missing_local(task, part, lang, split, path, data_dir is not None)
    return found


def _missing_local(
    task: TaskSpec, source: LocalSource, lang: str, split: str, path: Path, has_dir: bool
) -> Any:
    if split not in source.splits:
        raise MissingAssetError(
            f"task {task.name!r} has no {split!r} split (it has: {', '.join(source.splits)})"
        )
    how = "" if has_dir else f" ({DATA_DIR_HINT})"
    raise MissingAssetError(
        f"task {task.name!r} ({lang}, {split}) needs a local file at {path}{how}; "
        f"it is not on the Hub. {source.how_to_obtain}"
    )


def _concatenate(pieces: list[Any]) -> Any:
    import datasets

    first = pieces[0]
    aligned = [first] + [
        p.cast(first.features) if p.features != first.features else p for p in pieces[1:]
    ]
    return datasets.concatenate_datasets(aligned) if len(aligned) > 1 else first


def _read_local(source: HubSource | LocalSource, path: Path) -> Any:
    if source.local_format == "conllu":
        from adaptxfer.tasks.conllu import read_conllu

        return read_conllu(path)
    from adaptxfer.tasks.local_files import read_jsonl

    return read_jsonl(path)


def _read_hub(
    task: TaskSpec, source: HubSource, lang: str, split: str, local_hint: Path | None
) -> Any:
    import datasets

    hub_lang = source.hub_lang(lang)
    config = source.config.format(lang=hub_lang) if source.config else None
    if not source.serves(lang, split):
        raise MissingAssetError(
            f"task {task.name!r} has no {split!r} split on the Hub "
            f"(it has: {', '.join(source.splits)})"
        )
    hub_split = source.splits[split].format(lang=hub_lang)
    try:
        return datasets.load_dataset(source.path, config, split=hub_split)
    except Exception as err:  # the Hub raises many types: offline, gated, missing config
        where = local_hint or Path("<data_dir>") / task.name / lang / f"{split}.jsonl"
        obtain = f" {source.how_to_obtain}" if source.how_to_obtain else ""
        raise MissingAssetError(
            f"cannot load task {task.name!r} ({lang}, {split}) from the Hub dataset "
            f"{source.path!r}{f' config {config!r}' if config else ''}: "
            f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}. "
            f"Offline, put the split in the Hub's schema at {where} and "
            f"{DATA_DIR_HINT}.{obtain}"
        ) from err


def to_canonical(
    task: TaskSpec,
    source: HubSource | LocalSource,
    raw: Any,
    lang: str,
    origin: Origin | None = None,
) -> Any:
    """Filter, reshape, rename, check and convert Hub-schema rows into the kind's
    canonical columns; problems name ``origin`` (the file and line, or the Hub dataset)."""
    from adaptxfer.tasks.kinds import get_kind

    origin = origin or Origin(task.name, lang, "?", "data", local=True)
    data = raw
    for column, wanted in source.filters.items():
        value = wanted.format(lang=source.hub_lang(lang)) if isinstance(wanted, str) else wanted
        if column not in data.column_names:
            raise DataError(f"{origin.source}: no field {column!r} (task {task.name!r} reads it)")
        data = data.filter(lambda row, c=column, v=value: _matches(row[c], v))
    if source.prepare is not None:
        data = _prepared(task, source, data, lang, origin)
    needed = sorted({c for hub in source.fields.values() for c in _hub_columns(hub)})
    missing = [c for c in needed if c not in data.column_names]
    if missing:
        raise DataError(
            f"{origin.source}: task {task.name!r} ({origin.lang}, {origin.split}): no "
            f"field(s) {missing} in any row; expected the Hub schema with {needed} (found "
            f"{sorted(c for c in data.column_names if c != LINE)})"
        )
    data, fields = _resolve_compound_fields(data, source.fields)
    kind = get_kind(task.kind)
    data = kind.canonicalize(task, data, fields, origin, names=source.fields)
    return data.remove_columns(LINE) if LINE in data.column_names else data


def _prepared(
    task: TaskSpec, source: HubSource | LocalSource, data: Any, lang: str, origin: Origin
) -> Any:
    """``source.prepare`` (a reshaping of Hub rows), keeping source lines where it keeps
    one row per input row, and naming the file when the rows do not fit it."""
    lines = data[LINE] if LINE in data.column_names else None
    if lines is not None:
        data = data.remove_columns(LINE)
    try:
        prepared = source.prepare(data, lang)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as err:
        raise DataError(
            f"{origin.source}: rows do not fit the Hub schema task {task.name!r} reads "
            f"({getattr(source.prepare, '__name__', 'prepare')}: {type(err).__name__}: {err})"
        ) from None
    if lines is not None and LINE not in prepared.column_names and len(prepared) == len(lines):
        prepared = prepared.add_column(LINE, lines)
    return prepared


def _hub_columns(hub: str) -> list[str]:
    """The top-level Hub columns a field mapping reads (``"a.b"`` -> a; ``"a|b"`` -> a, b)."""
    return [part.split(".", 1)[0] for part in hub.split("|")]


def _resolve_compound_fields(data: Any, fields: Any) -> tuple[Any, dict[str, str]]:
    """Materialise nested (``a.b``) and gathered (``a|b|c``) fields as canonical columns."""
    compound = {canon: hub for canon, hub in fields.items() if "." in hub or "|" in hub}
    if not compound:
        return data, dict(fields)

    def pick(row: dict[str, Any], hub: str) -> Any:
        column, _, key = hub.partition(".")
        value = row[column]
        if not key:
            return value
        return value.get(key) if isinstance(value, dict) else None  # checked with the row

    def gather(row: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for canon, hub in compound.items():
            parts = hub.split("|")
            out[f"__{canon}"] = (
                [pick(row, p) for p in parts] if len(parts) > 1 else pick(row, parts[0])
            )
        return out

    data = data.map(gather)
    clashes = [canon for canon in compound if canon in data.column_names]
    if clashes:
        data = data.remove_columns(clashes)
    data = data.rename_columns({f"__{canon}": canon for canon in compound})
    return data, {canon: (canon if canon in compound else hub) for canon, hub in fields.items()}


def _matches(value: Any, wanted: Any) -> bool:
    if isinstance(wanted, str) and wanted.endswith("*"):
        return str(value).startswith(wanted[:-1])
    return value == wanted
