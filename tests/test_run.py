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
    # Other libraries' messages are in run.log, not on the console: datasets' Map bars,
    # and bitsandbytes' import-time notice where this CPU triggers it.
    console = proc.stdout + proc.stderr
    log = (out / "run.log").read_text(encoding="utf-8")
    assert "Map" not in console and "Map: 100%" in log
    assert "kernels-community" not in console and "bitsandbytes" not in console
    if _bitsandbytes_warns_on_import():
        assert "WARNING bitsandbytes" in log and "kernels-community" in log
    assert "transformers.configuration_utils" in log  # full detail from transformers
    # A finished run is never overwritten by accident.
    again = _run(
        "run", str(ROOT / "recipes/bible/para-en_to_para-x.yaml"), "-o", str(out), cwd=tmp_path
    )
    assert again.returncode == 2
    assert "already holds a finished run" in again.stderr


def _bitsandbytes_warns_on_import() -> bool:
    """bitsandbytes 0.50 logs "Failed to load CPU gemm_4bit_forward from kernels-community"
    on CPUs with AVX512-BF16 when the `kernels` package is absent."""
    import importlib.util

    from bitsandbytes.functional import has_avx512bf16

    return bool(has_avx512bf16()) and importlib.util.find_spec("kernels") is None


def test_failed_run_keeps_its_log_alone_in_the_run_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """An intermediate with no data fails after the run started: the run dir holds only
    run.log (nothing that looks finished), with the failure; the next run may reuse it."""
    from adaptxfer.cli import main
    from adaptxfer.output_dirs import claim_run_dir

    out = tmp_path / "run"
    (tmp_path / "no-data").mkdir()  # exists (the preflight check passes) but holds no mnli
    code = main(
        [
            "run", str(ROOT / "recipes/bible/para-en_to_para-x.yaml"), "-o", str(out),
            "--set", "intermediate.tasks=[mnli]", "--set", "baseline=false",
            "--set", f"data_dir={tmp_path / 'no-data'}",
        ]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 2, captured.err
    assert "mnli" in captured.err and "no-data" in captured.err
    assert sorted(p.name for p in out.iterdir()) == ["run.log"]
    log = (out / "run.log").read_text(encoding="utf-8")
    assert log.startswith("# adaptxfer log") and "ERROR adaptxfer: failed:" in log
    assert "no-data" in log and "Traceback" in log  # full detail, in the log only
    assert "Traceback" not in captured.err
    assert not list(tmp_path.glob(".run.partial-*"))
    assert claim_run_dir(out, overwrite=False) == out  # a failed run's dir is reusable


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
        (
            ["run", "recipes/bible/para-en_to_bucc.yaml", "--set", "eval.bucc_threshold=best"],
            "eval.bucc_threshold",
        ),
        (
            [
                "run", "recipes/bible/para-en_to_tatoeba.yaml",
                "--set", "eval.retrieval_preset=xtreme", "--set", "eval.layer=-1",
            ],
            "retrieval_preset 'xtreme' sets the layer and pooling itself; remove layer",
        ),
    ],
)  # fmt: skip
def test_bad_input_exits_2_and_names_the_problem(args: list[str], message: str) -> None:
    proc = _run(*args, cwd=ROOT, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_results_say_which_value_is_the_headline_and_which_protocol_made_it() -> None:
    from adaptxfer.recipes.loading import load_recipe
    from adaptxfer.results import RunResult
    from adaptxfer.run import scoring_of
    from adaptxfer.tasks.registry import get_task

    recipe = load_recipe(
        ROOT / "recipes/bible/para-en_to_bucc.yaml", ["eval.bucc_threshold=oracle"]
    )
    scoring = scoring_of(get_task("bible-bucc"), recipe)
    assert scoring["metric"] == "bucc" and scoring["task_score"] == "f1"
    assert "tuned on the evaluated split's own gold" in str(scoring["protocol"])
    recipe = load_recipe(ROOT / "recipes/bible/para-en_to_tatoeba.yaml")
    scoring = scoring_of(get_task("bible-tatoeba"), recipe)
    scores = {"accuracy": 90.0, "accuracy_xx_en": 70.0, "accuracy_both": 80.0, "examples": 5.0}
    result = RunResult(
        name="t", recipe={}, target="bible-tatoeba", metric="accuracy", languages=["de", "fr"],
        arms=["baseline"], scoring=scoring,
        outcomes=[{"arm": "baseline", "seed": 0, "scores": {"de": scores, "fr": scores}}],
    )  # fmt: skip
    text = result.markdown()
    assert "Headline: accuracy@1 with English sentences as queries (XTREME's direction)" in text
    assert "Protocol: sentence vectors: mean pooling of the middle layer, up to 128 tokens." in text
    assert "- baseline: accuracy_xx_en 70.0, accuracy_both 80.0" in text


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
