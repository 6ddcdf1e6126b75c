"""``adaptxfer run`` stopped mid-training — SIGKILL, Ctrl-C, SIGTERM — then run again:
finished phases are reused, the phase that was training resumes from its checkpoint, and
the scores are those of a run that was never stopped. Real processes, a tiny random
XLM-R (``test_compose.make_tiny_backbone``) and tiny local task files, so each run takes
seconds after its imports."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from adaptxfer.tasks.registry import get_task
from task_fixtures import write_task_fixture
from test_checkpoint import _wait_for
from test_compose import make_tiny_backbone

ADAPTXFER = [sys.executable, "-m", "adaptxfer.cli"]


def _recipe(tmp_path: Path, *, intermediate_steps: int, target_steps: int, every: int) -> Path:
    data = tmp_path / "data"
    for task, lang, split in [
        ("qqp", "en", "train"),
        ("qqp", "en", "dev"),
        ("pawsx", "en", "train"),
        ("pawsx", "de", "test"),
    ]:
        write_task_fixture(get_task(task), lang, split, data)
    path = tmp_path / "recipe.yaml"
    path.write_text(
        f"""
backbone: {make_tiny_backbone()}
method: {{name: lora, lora: {{r: 4, alpha: 8, target_modules: [query, value]}}}}
intermediate: {{tasks: [qqp], train: {{max_steps: {intermediate_steps}}}}}
target: {{task: pawsx, train: {{max_steps: {target_steps}}}}}
composition: sequential
languages: [de]
train: {{lr: 0.003, batch_size: 4, max_length: 32, dev_examples: 6, checkpoint_every: {every}}}
eval: {{split: test, max_examples: 6}}
data_dir: {data}
""",
        encoding="utf-8",
    )
    return path


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "OMP_NUM_THREADS": "1",  # the same arithmetic in every process; fast on 2 cores
        "ADAPTXFER_PROGRESS": "0",
        "HF_DATASETS_CACHE": str(tmp_path / "hf-datasets"),
    }


def _start(recipe: Path, out: Path, tmp_path: Path, log: str) -> subprocess.Popen:
    with open(tmp_path / f"{log}.out", "w") as stdout, open(tmp_path / f"{log}.err", "w") as err:
        return subprocess.Popen(
            [*ADAPTXFER, "run", str(recipe), "-o", str(out)],
            cwd=tmp_path,
            env=_env(tmp_path),
            stdout=stdout,
            stderr=err,
        )


def _weights(run: Path) -> dict[str, str]:
    return {
        str(p.relative_to(run)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(run.rglob("*.safetensors"))
    }


def _scores(run: Path) -> list[tuple[str, dict]]:
    result = json.loads((run / "results.json").read_text(encoding="utf-8"))
    return [(o["arm"], o["scores"]["de"]["accuracy"]) for o in result["outcomes"]]


@pytest.mark.slow
def test_a_run_killed_mid_training_resumes_to_the_scores_of_an_uninterrupted_one(
    tmp_path: Path,
) -> None:
    """SIGKILL while the intermediate adapter trains (the baseline arm finished): the same
    command again reuses the baseline arm, resumes the intermediate training from its
    checkpoint, trains the sequential arm, and every weight file and score equals those
    of an uninterrupted run (run alongside)."""
    recipe = _recipe(tmp_path, intermediate_steps=300, target_steps=20, every=10)
    reference = _start(recipe, tmp_path / "reference", tmp_path, "reference")
    out = tmp_path / "run"
    killed = _start(recipe, out, tmp_path, "killed")
    _wait_for(".run.partial/store/.checkpoints/*/step-*", tmp_path, killed)
    killed.send_signal(signal.SIGKILL)
    assert killed.wait(timeout=60) == -signal.SIGKILL
    assert not out.exists() and (tmp_path / ".run.partial").is_dir()
    stale = tmp_path / ".run.partial-x1y2"  # an older version's killed build: cleaned
    stale.mkdir()

    again = _start(recipe, out, tmp_path, "again")
    assert again.wait(timeout=600) == 0, (tmp_path / "again.err").read_text()[-3000:]
    assert reference.wait(timeout=600) == 0, (tmp_path / "reference.err").read_text()[-3000:]
    said = (tmp_path / "again.out").read_text()
    assert "baseline (seed 0): finished by an earlier attempt, reused" in said
    assert re.search(r"qqp \(intermediate\): resuming at step \d+0/300 from ", said)
    events = (out / "store" / "events.jsonl").read_text().splitlines()
    assert [json.loads(e)["event"] for e in events] == ["trained"]  # trained once, in two parts

    assert _scores(out) == _scores(tmp_path / "reference")
    assert _weights(out) == _weights(tmp_path / "reference")
    assert len(_weights(out)) == 6  # the store entry's and both arms' adapters and heads
    assert (out / "run.log").read_text().count("# adaptxfer log") == 2  # both attempts
    assert not list(tmp_path.glob(".run.partial*"))
    assert not (out / "store" / ".checkpoints").exists()


def test_ctrl_c_and_sigterm_save_the_step_say_how_to_resume_and_exit_130_and_143(
    tmp_path: Path,
) -> None:
    """Two runs side by side, stopped while their baseline arm trains: one by Ctrl-C
    (SIGINT), one by SIGTERM."""
    recipe = _recipe(tmp_path, intermediate_steps=2, target_steps=100_000, every=1)
    stops = {"SIGINT": 130, "SIGTERM": 143}
    runs = {name: _start(recipe, tmp_path / name, tmp_path, name) for name in stops}
    for name, run in runs.items():
        _wait_for(f".{name}.partial/resume/checkpoints/baseline-seed0/step-*", tmp_path, run)
        run.send_signal(signal.Signals[name])
    for name, run in runs.items():
        assert run.wait(timeout=120) == stops[name], name
        err = (tmp_path / f"{name}.err").read_text()
        said = re.search(
            rf"adaptxfer run: stopped by {name}: saved step (\d+)/100000 of pawsx \(baseline\) "
            r"to (\S+); rerun the same command to resume",
            err,
        )
        assert said, err
        saved = Path(said.group(2))
        assert saved.name == f"step-{int(said.group(1)):08d}" and (saved / "state.json").is_file()
        assert "Traceback" not in err
        assert not (tmp_path / name).exists()  # nothing that looks like a run dir


@pytest.mark.slow
def test_a_grid_killed_while_an_adapter_trains_resumes_it_from_its_checkpoint(
    tmp_path: Path,
) -> None:
    """The grid's store keeps the checkpoints of the adapter being trained: the same grid
    command again trains it on from there (once in all) and runs the cell."""
    _recipe(tmp_path, intermediate_steps=300, target_steps=5, every=10)
    grid = tmp_path / "grid.yaml"
    grid.write_text(
        "base: recipe.yaml\nintermediates: [qqp]\ntargets: [pawsx]\nseeds: [0]\nbaseline: false\n",
        encoding="utf-8",
    )
    out = tmp_path / "grid"
    command = [*ADAPTXFER, "grid", str(grid), "-o", str(out)]
    killed = subprocess.Popen(command, cwd=tmp_path, env=_env(tmp_path))
    _wait_for("store/.checkpoints/*/step-*", out, killed)
    killed.send_signal(signal.SIGKILL)
    assert killed.wait(timeout=60) == -signal.SIGKILL

    again = subprocess.run(
        command, cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=600
    )
    assert again.returncode == 0, again.stderr[-3000:]
    assert re.search(r"qqp \(intermediate\): resuming at step \d+0/300 from ", again.stdout)
    assert "ran 1, skipped 0 finished, failed 0" in again.stdout
    events = (out / "store" / "events.jsonl").read_text().splitlines()
    assert [json.loads(e)["event"] for e in events] == ["trained"]
    assert len(list((out / "cells").rglob("results.json"))) == 1


def test_the_resume_hint_names_the_run_dir_when_the_command_did_not() -> None:
    """Without -o each run gets a new timestamped dir, so the same command would not
    resume: the message gives the -o to add."""
    from argparse import Namespace

    from adaptxfer.cli import interruption
    from adaptxfer.interrupts import Interrupted

    stopped = Interrupted(signal.SIGTERM, saved="step 3/9 of qqp (intermediate) to /w/step-3")
    stopped.run_dir = Path("runs/r-20261130")
    assert interruption(stopped, Namespace(command="run", output_dir=None)) == (
        "stopped by SIGTERM: saved step 3/9 of qqp (intermediate) to /w/step-3; "
        "rerun the same command with -o runs/r-20261130 to resume"
    )
    early = Interrupted(signal.SIGINT)
    assert interruption(early, Namespace(command="run", output_dir="d")) == (
        "stopped by SIGINT: nothing was saved"
    )
    assert interruption(early, Namespace(command="grid", output_dir="g")) == (
        "stopped by SIGINT; rerun the same command to resume"
    )
