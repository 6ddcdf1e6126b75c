"""The grid: expansion and validation, intermediate adapters trained once and shared,
resuming after a kill without rerunning finished cells, and the Ray engine."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from adaptxfer.errors import RecipeError, UserError
from adaptxfer.grid import load_grid, run_grid
from adaptxfer.store import AdapterStore

ROOT = Path(__file__).resolve().parents[1]

# Tiny settings: a few steps on short inputs, a few examples per language.
BASE = """\
method: {name: lora, lora: {r: 4}}
intermediate: {tasks: [bible-para-en], train: {max_steps: 2}}
target: {task: bible-para-x, train: {max_steps: 2, max_train_examples: 16}}
composition: sequential
train: {batch_size: 4, max_length: 32, dev_examples: 8}
eval: {max_examples: 16, max_length: 32, batch_size: 16}
"""


def write_grid(tmp_path: Path, body: str) -> Path:
    (tmp_path / "base.yaml").write_text(BASE, encoding="utf-8")
    path = tmp_path / "grid.yaml"
    path.write_text("base: base.yaml\n" + body, encoding="utf-8")
    return path


TWO_BY_TWO = """\
intermediates:
  - {name: para-en-2, tasks: [bible-para-en]}
  - {name: para-en-4, tasks: [bible-para-en], train: {max_steps: 4}}
targets: [bible-para-x, bible-tatoeba]
languages: [de, fr]
seeds: [0, 1]
"""


def test_expansion_cells_labels_and_shared_adapters(tmp_path: Path) -> None:
    grid = load_grid(
        write_grid(tmp_path, TWO_BY_TWO + "compositions: [sequential, stack]\n"), tmp_path / "out"
    )
    # per target and seed: 1 baseline + 2 intermediates x 2 compositions
    assert len(grid.cells) == 2 * 2 * (1 + 2 * 2)
    baseline = [c for c in grid.cells if c.labels["intermediate"] == "baseline"]
    assert len(baseline) == 4
    assert all(not c.recipe.intermediate.tasks for c in baseline)
    inter = [c for c in grid.cells if c.labels["intermediate"] != "baseline"]
    assert all(c.recipe.baseline is False and len(c.recipe.seeds) == 1 for c in inter)
    assert {c.recipe.phase_train("intermediate").max_steps for c in inter} == {2, 4}
    assert {c.recipe.target_languages() == ["de", "fr"] for c in grid.cells} == {True}
    # 2 intermediate settings x 2 seeds, whatever the targets and compositions
    assert len(grid.intermediate_jobs()) == 4
    assert len({c.dir for c in grid.cells}) == len(grid.cells)


def test_orders_are_expanded(tmp_path: Path) -> None:
    body = "intermediates: [{tasks: [mnli, qqp], permute: true}]\n"
    body += "targets: [xnli]\nbaseline: false\n"
    grid = load_grid(write_grid(tmp_path, body), tmp_path / "out")
    assert [c.labels["intermediate"] for c in grid.cells] == ["mnli > qqp", "qqp > mnli"]
    # sequential: each order is a chain built on its prefix
    assert sorted(j.chain for j in grid.intermediate_jobs()) == [
        ("mnli",),
        ("mnli", "qqp"),
        ("qqp",),
        ("qqp", "mnli"),
    ]


def test_an_intermediate_entry_can_limit_its_compositions(tmp_path: Path) -> None:
    body = "intermediates: [mnli, {name: both, tasks: [mnli, qqp], compositions: [stack]}]\n"
    body += "targets: [xnli]\ncompositions: [sequential, stack]\nbaseline: false\n"
    grid = load_grid(write_grid(tmp_path, body), tmp_path / "out")
    assert [(c.labels["intermediate"], c.labels["composition"]) for c in grid.cells] == [
        ("mnli", "sequential"),
        ("mnli", "stack"),
        ("both", "stack"),
    ]
    with pytest.raises(RecipeError, match=r"'both' names compositions \['fuse'\]"):
        load_grid(write_grid(tmp_path, body.replace("[stack]", "[fuse]")), tmp_path / "out")


def test_set_overrides_reach_every_cell_and_the_grids_own_axes() -> None:
    """The issue's command: one seed, 5 intermediate steps, in every cell; recipe keys set
    on the command line win over the grid's per-entry settings."""
    sets = [
        "seeds=[0]",
        "intermediate.train.max_steps=5",
        "target.train.max_steps=3",
        "eval.max_examples=7",
        "backbone=xlm-roberta-base",
        "composition.merge.density=0.3",
    ]
    grid = load_grid(ROOT / "recipes/grids/bible-small.yaml", ROOT / "runs/unused", sets)
    assert len(grid.cells) == 8  # para-x: 1 + 2 x 2, tatoeba: 1 + 2 x 1; one seed
    assert {c.recipe.seeds == [0] for c in grid.cells} == {True}
    assert {c.recipe.backbone for c in grid.cells} == {"xlm-roberta-base"}
    assert {c.recipe.eval.max_examples for c in grid.cells} == {7}  # over the grid's `set`
    assert {c.recipe.composition.merge.density for c in grid.cells} == {0.3}
    inter = [c for c in grid.cells if c.recipe.intermediate.tasks]
    assert {c.recipe.phase_train("intermediate").max_steps for c in inter} == {5}
    assert {c.recipe.phase_train("target").max_steps for c in grid.cells} == {3}
    assert len(grid.intermediate_jobs()) == 1  # both budgets are now one adapter
    assert grid.overrides == tuple(sets)


@pytest.mark.parametrize(
    ("override", "needles"),
    [
        ("intermediate.tasks=[mnli]", ["intermediate.tasks", "'intermediates' axis"]),
        ("target=xnli", ["--set target", "'targets' axis"]),
        ("composition=stack", ["--set composition", "'compositions' axis"]),
        ("set.train.max_steps=5", ["train.max_steps=5", "every cell"]),
        ("seeds=[0,0]", ["seeds", "distinct", "after --set seeds=[0,0]"]),
        ("trian.lr=1", ["trian", "unknown key", "after --set trian.lr=1"]),
    ],
)
def test_set_overrides_that_cannot_apply_are_errors(override: str, needles: list[str]) -> None:
    with pytest.raises(RecipeError) as info:
        load_grid(ROOT / "recipes/grids/bible-small.yaml", ROOT / "runs/unused", [override])
    for needle in needles:
        assert needle in str(info.value), f"{needle!r} not in {info.value}"


def test_grid_dry_run_from_the_cli_applies_set(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "adaptxfer.cli", "grid", "recipes/grids/bible-small.yaml"]
    command += ["--set", "seeds=[0]", "--set", "intermediate.train.max_steps=5", "--dry-run"]
    done = subprocess.run(
        [*command, "-o", str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "8 cells, 1 intermediate adapters" in done.stderr  # the title (piped output)
    rows = done.stdout.splitlines()[1:]
    assert len(rows) == 8 and all("seed0" in row and " to_run " in row for row in rows)


@pytest.mark.parametrize(
    ("body", "needles"),
    [
        (TWO_BY_TWO + "colour: red\n", ["grid.yaml:8", "colour", "unknown key", "intermediates"]),
        (
            TWO_BY_TWO.replace("targets: [", "targets: [{task: bible-bucc, lang: [de]}, "),
            ["targets.0.lang", "unknown key", "languages"],
        ),
        (TWO_BY_TWO.replace("seeds: [0, 1]", "seeds: [0, 0]"), ["seeds", "distinct"]),
        (TWO_BY_TWO + "compositions: [none]\n", ["compositions", "baseline"]),
        (TWO_BY_TWO.replace("bible-tatoeba", "xnli-typo"), ["cell", "xnli-typo", "bible-bucc"]),
        (TWO_BY_TWO.replace("[de, fr]", "[de, xx]"), ["cell", "languages", "xx"]),
        (TWO_BY_TWO + "compositions: [fuse]\n", ["bible-tatoeba", "fuse"]),
    ],
)
def test_bad_grids_name_file_and_key(tmp_path: Path, body: str, needles: list[str]) -> None:
    with pytest.raises(RecipeError) as info:
        load_grid(write_grid(tmp_path, body), tmp_path / "out")
    for needle in needles:
        assert needle in str(info.value), f"{needle!r} not in {info.value}"


def test_small_grid_trains_each_intermediate_once_and_resumes(tmp_path: Path) -> None:
    """Two targets share one intermediate adapter; a rerun skips every cell.
    (Baselines are left out to keep this default test short; the slow test has them.)"""
    body = "intermediates: [bible-para-en]\ntargets: [bible-tatoeba, bible-para-x]\n"
    body += "languages: [de, fr]\nseeds: [0]\nbaseline: false\n"
    out = tmp_path / "out"
    grid = load_grid(write_grid(tmp_path, body), out)
    first = run_grid(grid, out, log=lambda _: None)
    assert not first.failed, first.failed
    assert len(first.ran) == 2 and not first.skipped  # one cell per target
    store = AdapterStore(out / "store")
    assert len(store.trainings()) == 1
    results = sorted((out / "cells").rglob("results.json"))
    assert len(results) == 2
    data = json.loads(results[-1].read_text())
    assert data["labels"]["grid"] == "grid"
    mtimes = {p: p.stat().st_mtime_ns for p in results}

    again = run_grid(load_grid(grid.path, out), out, log=lambda _: None)
    assert again.ran == [] and len(again.skipped) == 2
    assert len(store.trainings()) == 1
    assert {p: p.stat().st_mtime_ns for p in results} == mtimes

    # A finished cell whose results.json is damaged is run again, with a notice.
    damaged = results[0]
    damaged.write_bytes(b"\xff\xfe{ not json")
    logs: list[str] = []
    third = run_grid(load_grid(grid.path, out), out, log=logs.append)
    cell = str(damaged.parent.relative_to(out / "cells"))
    assert third.ran == [cell] and len(third.skipped) == 1
    assert any(f"{cell}: damaged (results.json has" in line for line in logs), logs
    assert any(line.endswith("runs again") for line in logs), logs
    assert json.loads(damaged.read_text())["labels"]["cell"] == cell
    assert len(store.trainings()) == 1

    # Other settings on a finished grid dir: refused before anything runs.
    with pytest.raises(UserError, match="run with other settings") as info:
        run_grid(load_grid(grid.path, out, ["target.train.max_steps=3"]), out, log=print)
    assert "target.train.max_steps: 2 then, 3 now" in str(info.value)


def test_a_results_json_of_the_wrong_shape_is_not_a_finished_run(tmp_path: Path) -> None:
    from adaptxfer.results import FORMAT, load_finished_run

    run = tmp_path / "run"
    run.mkdir()
    (run / "results.json").write_text(json.dumps({"format": FORMAT, "outcomes": 3}))
    with pytest.raises(UserError, match=r"^damaged results file \(TypeError"):
        load_finished_run(run)
    (run / "results.json").write_bytes(b"\xff\xfe")
    with pytest.raises(UserError, match=r"^unreadable results file"):
        load_finished_run(run)


def test_failed_intermediate_is_reported_for_each_cell_that_needs_it(tmp_path: Path) -> None:
    """An intermediate whose data is missing fails once; both cells that need it are
    reported failed with that cause, neither leaves a results.json, the driver goes on."""
    (tmp_path / "no-data").mkdir()  # exists, but holds no mnli files (and no Hub offline)
    body = f"set: {{data_dir: {tmp_path / 'no-data'}}}\n"
    body += "intermediates: [mnli]\ntargets: [bible-tatoeba, bible-para-x]\n"
    body += "languages: [de]\nseeds: [0]\nbaseline: false\n"
    out = tmp_path / "out"
    outcome = run_grid(load_grid(write_grid(tmp_path, body), out), out, log=lambda _: None)
    assert outcome.ran == [] and len(outcome.failed) == 2
    for reason in outcome.failed.values():
        assert reason.startswith("intermediate mnli (seed 0) failed:"), reason
        assert "no-data" in reason and "mnli" in reason
    assert not list((out / "cells").rglob("results.json"))
    assert AdapterStore(out / "store").trainings() == []


@pytest.mark.slow
def test_two_by_two_grid_killed_and_resumed_from_the_cli(tmp_path: Path) -> None:
    """2 intermediates x 2 targets x 2 seeds: kill after the first finished cell, resume,
    and check that finished cells and trained adapters are not redone."""
    path = write_grid(tmp_path, TWO_BY_TWO)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "adaptxfer.cli", "grid", str(path), "-o", str(out)]
    env = {**os.environ, "TQDM_DISABLE": "1"}
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Kill once a cell with an intermediate adapter has finished (the first cell is a
    # baseline, which trains none), so adapters exist that a resume must not retrain.
    deadline = time.monotonic() + 900
    while not list(out.glob("cells/*/*/para-en-*/results.json")):
        assert proc.poll() is None, "the grid ended before an intermediate cell finished"
        assert time.monotonic() < deadline
        time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = {p: p.stat().st_mtime_ns for p in (out / "cells").rglob("results.json")}
    trained_before = AdapterStore(out / "store").trainings()
    assert 2 <= len(finished) < 12 and len(trained_before) >= 1

    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"skipped {len(finished)} finished" in done.stdout
    results = list((out / "cells").rglob("results.json"))
    assert len(results) == 2 * 2 * 3  # targets x seeds x (baseline + 2 intermediates)
    for p, mtime in finished.items():
        assert p.stat().st_mtime_ns == mtime, f"{p} was rerun"
    trainings = AdapterStore(out / "store").trainings()
    assert len(trainings) == 4  # 2 intermediate settings x 2 seeds, each trained once
    assert len({t["key"] for t in trainings}) == 4
    assert trainings[: len(trained_before)] == trained_before  # none redone after the kill
    report = out / "report"
    for name in ("report.md", "summary.csv", "scores.csv", "heatmap.png"):
        assert (report / name).stat().st_size > 0
    assert len(list(report.glob("bars_*.png"))) == 2
    text = (report / "report.md").read_text()
    assert "para-en-4 (sequential)" in text and "baseline" in text


@pytest.mark.slow
def test_ray_engine_on_a_local_instance(tmp_path: Path) -> None:
    """Baseline + one intermediate run; an intermediate without data (mnli) fails in the
    training phase and its cell is reported, not run."""
    ray = pytest.importorskip("ray")
    (tmp_path / "no-data").mkdir()  # exists, but holds no mnli files (and no Hub offline)
    body = f"set: {{data_dir: {tmp_path / 'no-data'}}}\n"
    body += "intermediates: [bible-para-en, mnli]\ntargets: [bible-tatoeba]\n"
    body += "languages: [de, fr]\nseeds: [0]\n"
    out = tmp_path / "out"
    grid = load_grid(write_grid(tmp_path, body), out)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        outcome = run_grid(grid, out, engine="ray", num_cpus=1, log=lambda _: None)
    finally:
        ray.shutdown()
    assert list(outcome.failed) == ["e5-small/bible-tatoeba/mnli__sequential__seed0"]
    assert next(iter(outcome.failed.values())).startswith("intermediate mnli (seed 0) failed:")
    assert len(outcome.ran) == 2
    assert len(AdapterStore(out / "store").trainings()) == 1
    assert len(list((out / "cells").rglob("results.json"))) == 2
    # each cell's run.log, written in its Ray worker, has the libraries' messages
    baseline = out / "cells" / "e5-small" / "bible-tatoeba" / "baseline__seed0"
    assert "INFO transformers.configuration_utils" in (baseline / "run.log").read_text()
    failed = out / "cells" / "e5-small" / "bible-tatoeba" / "mnli__sequential__seed0"
    assert "intermediate mnli (seed 0) failed" in (failed / "run.log").read_text()


def test_units_orders_and_mixtures_expand_into_their_own_adapters(tmp_path: Path) -> None:
    """English-first vs German-first orders (``permute``), and a multi-task mixture with
    its sampling; the German unit trains once and is shared by both orders' prefixes."""
    body = (
        "intermediates:\n"
        "  - {tasks: [bible-para-en, bible-para-x@de], permute: true}\n"
        "  - {tasks: [bible-para-en, pos-en], mode: multitask, mixture: {temperature: 2}}\n"
        "targets: [bible-para-x]\nlanguages: [fr]\nbaseline: false\n"
    )
    grid = load_grid(write_grid(tmp_path, body), tmp_path / "out")
    labels = [c.labels["intermediate"] for c in grid.cells]
    assert labels == [
        "bible-para-en > bible-para-x@de",
        "bible-para-x@de > bible-para-en",
        "bible-para-en+pos-en",
    ]
    assert sorted(j.chain for j in grid.intermediate_jobs()) == [
        ("bible-para-en",),
        ("bible-para-en", "bible-para-x@de"),
        ("bible-para-en+pos-en",),
        ("bible-para-x@de",),
        ("bible-para-x@de", "bible-para-en"),
    ]
    mixture = grid.cells[2].recipe.intermediate.mixture
    assert (mixture.temperature, mixture.cap) == (2.0, None)
    with pytest.raises(Exception, match="a multitask mixture has no order"):
        load_grid(
            write_grid(
                tmp_path,
                "intermediates: [{tasks: [pos-en, bible-para-en], mode: multitask, "
                "permute: true}]\ntargets: [bible-para-x]\n",
            ),
            tmp_path / "out2",
        )
