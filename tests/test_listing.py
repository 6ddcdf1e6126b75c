"""Listings: piped output is a plain table with whole names (greppable), ``--format json``
and ``csv`` parse, and on a terminal long cells wrap instead of being cut."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from adaptxfer.cli import EXIT_BAD_INPUT, EXIT_OK, main
from adaptxfer.listing import Listing, show
from adaptxfer.tasks.registry import all_tasks

ROOT = Path(__file__).resolve().parents[1]
GRID = ROOT / "recipes" / "grids" / "bible-small.yaml"


def test_piped_tasks_listing_has_every_name_whole(capsys: pytest.CaptureFixture) -> None:
    assert main(["tasks"]) == EXIT_OK
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].split() == [
        "task", "role", "kind", "category", "metric", "floor", "languages", "train_languages", "source",
    ]  # fmt: skip
    assert "…" not in captured.out
    tasks = all_tasks()
    assert [line.split()[0] for line in lines[1:]] == list(tasks)  # one line per task
    grep = [line for line in lines if "commonsenseqa" in line]  # `adaptxfer tasks | grep ...`
    assert grep and grep[0].split()[:2] == ["commonsenseqa", "intermediate"]
    assert tasks["commonsenseqa"].source_name in grep[0]
    widest = max(tasks.values(), key=lambda t: len(t.languages))
    assert ",".join(widest.languages) in captured.out  # every language, none elided
    assert captured.err.strip() == f"tasks ({len(tasks)})"  # the title stays off the pipe


def test_json_and_csv_listings_parse(capsys: pytest.CaptureFixture) -> None:
    tasks = all_tasks()
    assert main(["tasks", "--role", "target", "--format", "json"]) == EXIT_OK
    records = json.loads(capsys.readouterr().out)
    targets = [t for t in tasks.values() if t.role == "target"]
    assert [r["task"] for r in records] == [t.name for t in targets]
    assert records[0]["languages"] == list(targets[0].languages)  # lists stay lists

    assert main(["recipes", "--dir", str(ROOT / "recipes"), "--format", "csv"]) == EXIT_OK
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    xnli = next(r for r in rows if r["recipe"] == "mnli_to_xnli")
    assert xnli["intermediate"] == "mnli" and xnli["target"] == "xnli"
    assert Path(xnli["path"]).is_file()

    out = ["grid", str(GRID), "-o", "unused", "--dry-run", "--format", "json"]
    assert main(out) == EXIT_OK
    cells = json.loads(capsys.readouterr().out)
    assert len(cells) == 16 and {c["status"] for c in cells} == {"to_run"}
    assert set(cells[0]) == {"cell", "status", "run_dir"}
    assert main(["grid", str(GRID), "-o", "unused", "--format", "json"]) == EXIT_BAD_INPUT
    assert "use it with --dry-run" in capsys.readouterr().err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_table_wraps_long_cells_instead_of_cutting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    long_source = "google-research-datasets/xquad_r-with-a-very-long-configuration-name"
    listing = Listing("tasks", ["source"], [[long_source], ["short"]])
    screen = _Terminal()
    show(listing, "table", stream=screen)
    text = re.sub(r"\x1b\[[0-9;]*m", "", screen.getvalue())  # colours and bold
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= 40
    # the cell continues on the following lines: strip the borders and join them back
    inside = "".join(line.strip("│ ") for line in text.splitlines() if line.startswith("│"))
    assert long_source in inside and "short" in inside


def test_plain_table_right_aligns_numbers_and_marks_empty_cells() -> None:
    listing = Listing("t", ["cell", "seconds", "note"], [["a", 1.5, ""], ["bb", 120, None]],
                      right=frozenset({"seconds"}))  # fmt: skip
    out = io.StringIO()
    show(listing, "table", stream=out)
    assert out.getvalue().splitlines() == [
        "cell  seconds  note",
        "a         1.5  -",
        "bb        120  -",
    ]
