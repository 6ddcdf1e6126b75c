"""``adaptxfer run`` end to end through the console script, on the real default backbone
and the offline Bible tasks: a tiny recipe by default, the README's main job when slow
tests run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ADAPTXFER = [sys.executable, "-m", "adaptxfer.cli"]


def _run(*args: str, cwd: Path, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ADAPTXFER_PROGRESS": "0"}
    return subprocess.run(
        [*ADAPTXFER, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_tiny_recipe_runs_both_arms_and_writes_the_run_dir(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = _run(
        "run",
        str(ROOT / "recipes/bible/para-en_to_para-x.yaml"),
        "--output-dir",
        str(out),
        "--set",
        "intermediate.train.max_steps=4",
        "--set",
        "target.train.max_steps=3",
        "--set",
        "train.batch_size=8",
        "--set",
        "train.max_length=48",
        "--set",
        "train.dev_examples=16",
        "--set",
        "eval.max_examples=24",
        "--set",
        "languages=[de,tl]",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert result["arms"] == ["baseline", "sequential"]
    assert result["languages"] == ["de", "tl"]
    for outcome in result["outcomes"]:
        for lang in ("de", "tl"):
            assert 0.0 <= outcome["scores"][lang]["accuracy"] <= 100.0
            assert outcome["scores"][lang]["examples"] == 24
    table = (out / "results.md").read_text(encoding="utf-8")
    assert "| de |" in table and "average" in table.lower()
    # Beside the scores, what a constant answer scores on the same (balanced) examples.
    assert "| majority |" in table and "| 50.0 |" in table
    assert all(o["scores"]["de"]["majority"] == 50.0 for o in result["outcomes"])
    # The printed table names every language and the delta (Δ) column.
    assert "tl" in proc.stdout and "Δ sequential − baseline" in proc.stdout
    # A finished run is never overwritten by accident.
    again = _run(
        "run", str(ROOT / "recipes/bible/para-en_to_para-x.yaml"), "-o", str(out), cwd=tmp_path
    )
    assert again.returncode == 2
    assert "already holds a finished run" in again.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "recipes/bible/no-such-recipe.yaml"], "no-such-recipe.yaml"),
        (
            ["run", "recipes/bible/para-en_to_para-x.yaml", "--set", "target.task=xnlii"],
            "unknown target task 'xnlii'",
        ),
        (
            ["run", "recipes/bible/para-en_to_para-x.yaml", "--set", "intermediate.tasks=[mnly]"],
            "unknown intermediate task 'mnly'",
        ),
        (
            ["run", "recipes/bible/para-en_to_para-x.yaml", "--set", "trian.lr=1"],
            "trian",
        ),
    ],
)
def test_bad_input_exits_2_and_names_the_problem(args: list[str], message: str) -> None:
    proc = _run(*args, cwd=ROOT, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_readme_main_job_beats_the_baseline(tmp_path: Path) -> None:
    out = tmp_path / "main"
    proc = _run(
        "run", str(ROOT / "recipes/bible/para-en_to_para-x.yaml"), "-o", str(out), cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads((out / "results.json").read_text(encoding="utf-8"))
    by_arm = {
        o["arm"]: sum(s["accuracy"] for s in o["scores"].values()) / len(o["scores"])
        for o in result["outcomes"]
    }
    assert by_arm["sequential"] > by_arm["baseline"], by_arm
