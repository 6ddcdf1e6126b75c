"""Read a local split file (JSON lines) into a ``datasets.Dataset``, naming the file and
line of every problem: bad UTF-8, a line that is not a JSON object (e.g. truncated), an
empty file, or a field whose values do not share one type across rows.

Each row keeps the line it came from in the column :data:`LINE`, so that later checks of
the task's fields (:mod:`adaptxfer.tasks.validation`) can name it too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from adaptxfer.errors import DataError
from adaptxfer.text_files import decode_utf8

LINE = "__line__"
_JSON_TYPES = {
    bool: "true/false",
    int: "a number",
    float: "a number",
    str: "text",
    list: "a list",
    dict: "an object",
}


def read_jsonl(path: Path) -> Any:
    """One JSON object per line (blank lines are ignored)."""
    import datasets

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise DataError(f"{path}: cannot read the file ({err.strerror or err})") from None
    text = decode_utf8(data, str(path), DataError)
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataError(
                f"{path}:{number}: not a JSON object ({err.msg} at column {err.colno}); "
                "expected one JSON object per line (a truncated or unfinished line?)"
            ) from None
        if not isinstance(row, dict):
            raise DataError(
                f"{path}:{number}: expected a JSON object ({{...}}) per line, got "
                f"{_JSON_TYPES.get(type(row), 'null')}"
            )
        rows.append(row)
        lines.append(number)
    if not rows:
        raise DataError(
            f"{path}: the file is empty; expected one JSON object per line in the Hub "
            "dataset's schema"
        )
    keys = list(dict.fromkeys(key for row in rows for key in row))
    columns = {key: [row.get(key) for row in rows] for key in keys}
    for key, values in columns.items():
        _check_one_type(path, key, values, lines)
    columns[LINE] = lines
    return datasets.Dataset.from_dict(columns)


def _check_one_type(path: Path, key: str, values: list[Any], lines: list[int]) -> None:
    """A column must be one Arrow type: find the first row that breaks it (the shortest
    prefix Arrow cannot type, by bisection) and name its line."""
    import pyarrow as pa

    def fits(count: int) -> bool:
        try:
            pa.array(values[:count])
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
            return False
        return True

    if fits(len(values)):
        return
    low, high = 1, len(values)  # fits(low) is True (one value), fits(high) is False
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if fits(middle) else (low, middle)
    bad = high - 1
    first = next((i for i, v in enumerate(values[:bad]) if v is not None), 0)
    raise DataError(
        f"{path}:{lines[bad]}: field {key!r}: {_shown(values[bad])} does not match the "
        f"earlier rows' values (line {lines[first]}: {_shown(values[first])}); every row "
        "must give a field the same type"
    )


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    text = text if len(text) <= 60 else text[:57] + "..."
    return f"{text} ({_JSON_TYPES.get(type(value), 'null')})"
