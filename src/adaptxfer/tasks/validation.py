"""Check every row of a split against its task before anything trains on it.

Each kind says what a row must hold (:meth:`TaskKind.row_problem`, in canonical
columns: text that is present and not empty, a label in the task's label set, a QA
answer found at its offset in the context, ...). :func:`check_rows` applies it to every
row and then:

- in a local file, any problem is an error naming the file, line and field (the Hub
  schema's name for it) and what was expected;
- in a published Hub dataset (which the user cannot fix), rows with problems are left
  out and counted (:mod:`adaptxfer.tasks.skips`);
- rows carrying a "no gold label" marker (``-1``) are left out and counted everywhere,
  as the Hub's own convention has it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from adaptxfer.errors import DataError
from adaptxfer.tasks import skips
from adaptxfer.tasks.local_files import LINE

if TYPE_CHECKING:
    from adaptxfer.tasks.spec import TaskSpec

NO_GOLD = (-1, "-1")  # the Hub's "no gold label" marker (SNLI, GLUE test splits)


@dataclass(frozen=True)
class Origin:
    """Where a split's rows come from, to name them in errors and skip notes."""

    task: str
    lang: str
    split: str
    source: str  # a file path, or "Hub dataset X"
    local: bool

    def row(self, index: int, lines: Sequence[int] | None) -> str:
        if lines is not None:
            return f"{self.source}:{lines[index]}"
        return f"{self.source} (row {index + 1}{'' if self.local else ' after conversion'})"


@dataclass(frozen=True)
class Problem:
    """What is wrong with one row: ``column`` (canonical), ``message`` (what was found and
    expected), ``reason`` (a short phrase to count skips by); ``convention`` marks rows
    that are skipped everywhere (no gold label) rather than being errors."""

    column: str
    message: str
    reason: str
    convention: bool = False


RowCheck = Callable[[Mapping[str, Any]], "Problem | None"]


def check_rows(
    data: Any, check: RowCheck, origin: Origin, fields: Mapping[str, str] | None = None
) -> Any:
    """``data`` without the rows that are skipped; a DataError for the first row with a
    problem in a local file. ``fields`` maps canonical columns to the file's names."""
    names = [c for c in data.column_names if c != LINE]
    columns = {name: data[name] for name in names}
    lines = data[LINE] if LINE in data.column_names else None
    total = len(data)
    skipped: Counter[str] = Counter()
    keep: list[int] = []
    errors: list[tuple[int, Problem]] = []
    for index in range(total):
        problem = check({name: values[index] for name, values in columns.items()})
        if problem is None:
            keep.append(index)
        elif problem.convention or not origin.local:
            skipped[problem.reason] += 1
        else:
            errors.append((index, problem))
    if errors:
        index, problem = errors[0]
        shown = (fields or {}).get(problem.column, problem.column)
        alias = f" ({problem.column})" if shown != problem.column else ""
        more = f" [{len(errors)} rows have problems; the first is shown]" if len(errors) > 1 else ""
        raise DataError(
            f"{origin.row(index, lines)}: field {shown!r}{alias}: {problem.message}; task "
            f"{origin.task!r} ({origin.lang}, {origin.split}){more}"
        )
    for reason, count in sorted(skipped.items()):
        skips.note(
            skips.Skipped(
                origin.task, origin.lang, origin.split, reason, count, total, origin.source
            )
        )
    return data.select(keep) if len(keep) < total else data


# -- checks of single values, shared by the kinds ------------------------------------------
def shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def found(value: Any) -> str:
    return "is missing or null" if value is None else f"got {shown(value)}"


def id_problem(row: Mapping[str, Any], column: str = "id") -> Problem | None:
    value = row.get(column)
    if value is None or value == "":
        return Problem(column, f"{found(value)}; expected an id", "missing id")
    return None


def one_of_problem(row: Mapping[str, Any], column: str, allowed: Sequence[str]) -> Problem | None:
    value = row.get(column)
    if value in allowed:
        return None
    expected = " or ".join(repr(a) for a in allowed)
    return Problem(column, f"{found(value)}; expected {expected}", f"unknown {column}")


def texts_problem(
    row: Mapping[str, Any], column: str, *, item: str, minimum: int = 1
) -> Problem | None:
    """A list of at least ``minimum`` non-empty texts (a question's choices, a sentence's
    words)."""
    values = row.get(column)
    if not isinstance(values, list) or len(values) < minimum:
        expected = f"expected a list of {minimum} or more {item}s"
        return Problem(column, f"{found(values)}; {expected}", f"too few {item}s")
    for position, value in enumerate(values, 1):
        if not isinstance(value, str) or not value.strip():
            message = f"{item} {position} is {shown(value)}; expected non-empty text"
            return Problem(column, message, f"empty {item}")
    return None


def text_problem(row: Mapping[str, Any], column: str, *, empty_ok: bool = False) -> Problem | None:
    value = row.get(column)
    if value is None:
        return Problem(column, "is missing or null; expected text", "missing text")
    if not isinstance(value, str):
        return Problem(column, f"got {shown(value)}; expected text", "text of the wrong type")
    if not empty_ok and not value.strip():
        return Problem(column, f"is empty ({shown(value)}); expected text", "empty text")
    return None


def label_problem(value: Any, column: str, names: Sequence[str], count: int) -> Problem | None:
    """A label given as an index ``0..count-1`` or as one of ``names``; ``-1`` is the
    Hub's "no gold label" (skipped)."""
    expected = f"an index 0..{count - 1}" + (
        f" or one of {', '.join(map(str, names[:12]))}{' ...' if len(names) > 12 else ''}"
        if names
        else ""
    )
    if value is None:
        return Problem(column, f"is missing or null; expected {expected}", "missing label")
    if value in NO_GOLD and not isinstance(value, bool):
        return Problem(column, "no gold label (-1)", "no gold label (-1)", convention=True)
    if isinstance(value, str) and value in names:
        return None
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and float(value).is_integer() and 0 <= value < count:
        return None
    return Problem(
        column, f"got {shown(value)}; expected {expected}", "label outside the label set"
    )


def task_labels(task: TaskSpec) -> tuple[list[str], int]:
    names = [str(name) for name in task.label_names]
    return names, len(names)
