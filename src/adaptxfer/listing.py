"""Listings for people and for scripts: the one helper behind every command that lists
things (tasks, recipes, grid cells, a grid's status, ...).

``--format table`` (the default) is a rich table on a terminal, whose long cells wrap and
are never cut; when stdout is a pipe or a file it is a plain table instead — columns
padded with spaces, one row per line, nothing cut or wrapped — so ``grep`` and ``awk``
see whole names. ``--format json`` prints a list of objects keyed by column name (lists
stay lists); ``--format csv`` prints a header and one row per line.

A new listing is a :class:`Listing` and a call to :func:`show`; its command gets the flag
from :func:`add_format_option`.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, TextIO

Format = Literal["table", "json", "csv"]
FORMATS: tuple[Format, ...] = ("table", "json", "csv")
Value = str | int | float | bool | list[str] | None
EMPTY = "-"  # what an empty cell shows in a table (a blank would shift awk's columns)


@dataclass
class Listing:
    """A titled table: ``rows`` hold one value per column, in ``columns`` order.

    Column names double as JSON keys and CSV headers, so keep them short identifiers
    (``run_dir``, not ``run dir``). ``right`` names the columns to right-align (numbers).
    """

    title: str
    columns: list[str]
    rows: list[Sequence[Value]] = field(default_factory=list)
    right: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"{self.title}: a row has {len(row)} values for {self.columns}")

    def records(self) -> list[dict[str, Value]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def add_format_option(parser: argparse.ArgumentParser) -> None:
    """``--format table|json|csv`` on a command that prints a listing."""
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="table (rich on a terminal, plain and greppable when piped), json or csv",
    )


def show(listing: Listing, fmt: Format = "table", stream: TextIO | None = None) -> None:
    """Print ``listing`` in ``fmt`` to ``stream`` (default: stdout)."""
    stream = stream or sys.stdout
    if fmt == "json":
        stream.write(json.dumps(listing.records(), indent=2, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        stream.write(to_csv(listing))
    elif _is_terminal(stream):
        _rich_table(listing, stream)
    else:
        # The title goes to stderr: piped stdout holds the header and rows only.
        print(listing.title, file=sys.stderr)
        stream.write(plain_table(listing))


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def cell_text(value: Value, list_separator: str = ",") -> str:
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, list):
        return list_separator.join(map(str, value))
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def plain_table(listing: Listing) -> str:
    """Header and rows padded to the widest cell of each column, two spaces apart."""
    from rich.cells import cell_len  # display width: CJK and wide symbols count double

    cells = [[cell_text(v) for v in row] for row in listing.rows]
    widths = [
        max([cell_len(name), *(cell_len(row[i]) for row in cells)])
        for i, name in enumerate(listing.columns)
    ]

    def line(texts: list[str]) -> str:
        padded = []
        for name, text, width in zip(listing.columns, texts, widths, strict=True):
            pad = " " * (width - cell_len(text))
            padded.append(pad + text if name in listing.right else text + pad)
        return "  ".join(padded).rstrip()

    return "".join(line(texts) + "\n" for texts in [listing.columns, *cells])


def to_csv(listing: Listing) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(listing.columns)
    for row in listing.rows:
        writer.writerow(["" if v in (None, "", []) else cell_text(v, " ") for v in row])
    return buffer.getvalue()


def _rich_table(listing: Listing, stream: TextIO) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=listing.title, title_justify="left")
    for name in listing.columns:
        # fold: a cell too long for its column continues on the next line, never "…"
        justify = "right" if name in listing.right else "left"
        table.add_column(name, justify=justify, overflow="fold")
    for row in listing.rows:
        table.add_row(*(cell_text(v, " ") for v in row))
    Console(file=stream, highlight=False).print(table)
