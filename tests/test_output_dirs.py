"""``--output-dir`` never deletes or replaces what adaptxfer did not write, and a bad path
is refused (exit 2) before any work."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RECIPE = str(ROOT / "recipes/bible/para-en_to_para-x.yaml")
GRID = str(ROOT / "recipes/grids/bible-small.yaml")


def _adaptxfer(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ADAPTXFER_PROGRESS": "0"}
    return subprocess.run(
        [sys.executable, "-m", "adaptxfer.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _finished_run(path: Path, marker: str) -> None:
    (path / "artifacts").mkdir(parents=True)
    (path / "results.json").write_text(marker, encoding="utf-8")
    (path / "results.md").write_text(marker, encoding="utf-8")


def _snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_a_folder_of_earlier_runs_is_refused_and_left_intact(tmp_path: Path) -> None:
    myruns = tmp_path / "myruns"
    _finished_run(myruns / "run1", "one")
    _finished_run(myruns / "run2", "two")
    before = _snapshot(myruns)
    proc = _adaptxfer("run", RECIPE, "-o", str(myruns), cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "not an adaptxfer run" in proc.stderr and "run1" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert _snapshot(myruns) == before


def test_a_folder_of_own_files_is_refused(tmp_path: Path) -> None:
    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "draft.tex").write_text("precious", encoding="utf-8")
    proc = _adaptxfer("run", RECIPE, "-o", str(mine), "--overwrite", cwd=tmp_path)
    assert proc.returncode == 2
    assert "draft.tex" in proc.stderr
    assert (mine / "draft.tex").read_text(encoding="utf-8") == "precious"


def test_dot_is_checked_before_any_work(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep", encoding="utf-8")
    proc = _adaptxfer("run", RECIPE, "-o", ".", cwd=tmp_path)
    assert proc.returncode == 2
    assert "not an adaptxfer run" in proc.stderr and "notes.txt" in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_a_path_under_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a_file").write_text("x", encoding="utf-8")
    proc = _adaptxfer("run", RECIPE, "-o", "a_file/sub", cwd=tmp_path)
    assert proc.returncode == 2
    assert "lies under the file" in proc.stderr and "Traceback" not in proc.stderr
    proc = _adaptxfer("run", RECIPE, "-o", "a_file", cwd=tmp_path)
    assert proc.returncode == 2 and "is a file" in proc.stderr


def test_overwrite_replaces_only_a_pure_run_dir(tmp_path: Path) -> None:
    from adaptxfer.errors import UserError
    from adaptxfer.output_dirs import claim_run_dir

    run = tmp_path / "run"
    _finished_run(run, "old")
    with pytest.raises(UserError, match="already holds a finished run"):
        claim_run_dir(run, overwrite=False)
    assert claim_run_dir(run, overwrite=True) == run
    (run / "my-notes.md").write_text("mine", encoding="utf-8")
    with pytest.raises(UserError, match=r"my-notes\.md"):
        claim_run_dir(run, overwrite=True)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert claim_run_dir(empty, overwrite=False) == empty


def test_a_failed_runs_log_is_reusable_but_a_foreign_run_log_is_not(tmp_path: Path) -> None:
    from adaptxfer.errors import UserError
    from adaptxfer.output_dirs import claim_run_dir
    from adaptxfer.run_log import write_failed_log

    failed = tmp_path / "failed"
    write_failed_log(failed, "intermediate mnli (seed 0) failed: no data")
    assert claim_run_dir(failed, overwrite=False) == failed
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "run.log").write_text("my own notes\n", encoding="utf-8")
    with pytest.raises(UserError, match="not an adaptxfer run"):
        claim_run_dir(theirs, overwrite=False)


def test_grid_refuses_a_foreign_folder_but_resumes_its_own(tmp_path: Path) -> None:
    mine = tmp_path / "data"
    mine.mkdir()
    (mine / "corpus.txt").write_text("keep", encoding="utf-8")
    proc = _adaptxfer("grid", GRID, "-o", str(mine), cwd=tmp_path)
    assert proc.returncode == 2 and "not an adaptxfer grid" in proc.stderr
    assert sorted(p.name for p in mine.iterdir()) == ["corpus.txt"]

    from adaptxfer.output_dirs import claim_grid_dir

    earlier = tmp_path / "grid"
    earlier.mkdir()
    (earlier / "grid.json").write_text("{}", encoding="utf-8")
    (earlier / "cells").mkdir()
    assert claim_grid_dir(earlier) == earlier
