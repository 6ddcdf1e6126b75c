"""Atomic writes: a failed build never leaves a folder that looks finished and never loses
the earlier result; finished outputs get the same permissions as any other file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from adaptxfer.cache import atomic_dir, atomic_write_text


def test_failed_build_leaves_nothing_and_keeps_the_earlier_result(tmp_path: Path) -> None:
    final = tmp_path / "run"
    with atomic_dir(final) as tmp:
        (tmp / "results.json").write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_dir(final) as tmp:
        (tmp / "results.json").write_text("half", encoding="utf-8")
        raise RuntimeError("killed mid-way")
    assert (final / "results.json").read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_a_successful_rebuild_replaces_the_folder(tmp_path: Path) -> None:
    final = tmp_path / "run"
    for text in ("one", "two"):
        with atomic_dir(final) as tmp:
            (tmp / "value").write_text(text, encoding="utf-8")
    assert (final / "value").read_text(encoding="utf-8") == "two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_outputs_follow_the_umask_not_tempfiles_private_modes(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        with atomic_dir(tmp_path / "run") as tmp:
            pass
        atomic_write_text(tmp_path / "report.md", "# report\n")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "run").stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "report.md").stat().st_mode) == 0o644
    assert not tmp.exists()
