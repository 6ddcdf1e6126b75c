"""Experiment tracking (``log: {to: [...]}``): a tiny real run logged to every backend
installed, read back with each library's own reader (TensorBoard's EventAccumulator,
MLflow's client) or file format (W&B's offline transaction log) and compared with the
run's results.json; the ``log`` block's validation; a missing library; grid grouping."""

from __future__ import annotations

import json
import struct
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adaptxfer.cli import main
from adaptxfer.errors import RecipeError
from adaptxfer.recipes.loading import load_recipe
from adaptxfer.tracking.hyperparameters import flatten
from adaptxfer.tracking.registry import BACKENDS
from test_grid import write_grid

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "recipes/bible/para-en_to_para-x.yaml"
TINY = [
    "intermediate.train.max_steps=4", "target.train.max_steps=3", "train.batch_size=8",
    "train.max_length=48", "train.dev_examples=16", "eval.max_examples=16",
    "languages=[de,tl]", "baseline=false",
]  # fmt: skip
LR = 0.001  # the recipe's train.lr


def _installed(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


@pytest.fixture(scope="module")
def tracked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One tiny run (intermediate + target, one arm, two languages) logged to TensorBoard
    and, where installed, to W&B (offline) and MLflow (its local store)."""
    backends = ["tensorboard"] + [b for b in ("wandb", "mlflow") if _installed(b)]
    out = tmp_path_factory.mktemp("tracked") / "run"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("WANDB_MODE", "offline")
        env.setenv("ADAPTXFER_PROGRESS", "0")
        env.delenv("MLFLOW_TRACKING_URI", raising=False)
        sets = [*TINY, f"log.to=[{','.join(backends)}]"]
        code = main(["run", str(RECIPE), "-o", str(out), *(a for s in sets for a in ("--set", s))])
    assert code == 0
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    (outcome,) = results["outcomes"]
    yield {"out": out, "outcome": outcome, "backends": backends}


def _intermediate(outcome: dict[str, Any]) -> dict[str, Any]:
    (metrics,) = outcome["intermediates"].values()
    return metrics


def test_tensorboard_events_hold_curves_scores_and_recipe(tracked: dict[str, Any]) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import plugin_data_pb2

    outcome = tracked["outcome"]
    logdir = tracked["out"] / "tracking" / "tensorboard" / "sequential-seed0"
    events = EventAccumulator(str(logdir))
    events.Reload()

    def curve(tag: str) -> list[tuple[int, float]]:
        return [(e.step, e.value) for e in events.Scalars(tag)]

    # Loss curves: every optimiser step; results.json keeps their mean (one point per 10).
    loss = curve("target/loss")
    assert [step for step, _ in loss] == [1, 2, 3]
    assert sum(v for _, v in loss) / 3 == pytest.approx(outcome["train"]["loss_curve"][0], abs=1e-4)
    inter = curve("intermediate/bible-para-en/loss")
    assert [step for step, _ in inter] == [1, 2, 3, 4]
    assert sum(v for _, v in inter) / 4 == pytest.approx(
        _intermediate(outcome)["train"]["loss_curve"][0], abs=1e-4
    )
    # The learning rate after each step: linear decay, no warm-up steps at this budget.
    assert [v for _, v in curve("target/lr")] == pytest.approx([LR * 2 / 3, LR / 3, 0.0])
    throughput = curve("target/examples_per_second")
    assert len(throughput) == 3 and all(v > 0 for _, v in throughput)
    # Per-language scores and their average, at the target's last step, as in results.json.
    for lang in ("de", "tl"):
        assert curve(f"test/{lang}/accuracy") == [
            (3, pytest.approx(outcome["scores"][lang]["accuracy"]))
        ]
    average = (outcome["scores"]["de"]["accuracy"] + outcome["scores"]["tl"]["accuracy"]) / 2
    assert curve("test/avg/accuracy") == [(3, pytest.approx(average))]
    dev = _intermediate(outcome)["dev"]["accuracy"]
    assert curve("intermediate/bible-para-en/dev/en/accuracy") == [(4, pytest.approx(dev))]
    assert "test/de/examples" not in events.Tags()["scalars"]
    # The recipe as hyperparameters, with the headline scores beside them.
    content = events.PluginTagToContent("hparams")
    start = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"])
    hparams = start.session_start_info.hparams
    assert hparams["train.lr"].number_value == pytest.approx(LR)
    assert hparams["target.train.max_steps"].number_value == 3
    assert hparams["arm"].string_value == "sequential"
    assert hparams["method.name"].string_value == "lora"
    assert "method.seq_bn.reduction_factor" not in hparams  # an unused method's block
    experiment = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/experiment"])
    metrics = {m.name.tag for m in experiment.experiment.metric_infos}
    assert metrics == {"test/de/accuracy", "test/tl/accuracy", "test/avg/accuracy"}


def test_mlflow_store_holds_the_run(tracked: dict[str, Any]) -> None:
    if "mlflow" not in tracked["backends"]:
        pytest.skip("mlflow is not installed (pip install 'adaptxfer[mlflow]')")
    from mlflow.tracking import MlflowClient

    outcome = tracked["outcome"]
    client = MlflowClient(f"sqlite:///{tracked['out'] / 'tracking/mlflow/mlflow.db'}")
    experiment = client.get_experiment_by_name("adaptxfer")  # log.project, for a single run
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.run_name == "run/sequential-seed0" and run.info.status == "FINISHED"
    assert run.data.params["train.lr"] == str(LR) and run.data.params["arm"] == "sequential"
    history = client.get_metric_history(run.info.run_id, "target/loss")
    assert sorted(m.step for m in history) == [1, 2, 3]
    mean = sum(m.value for m in history) / 3
    assert mean == pytest.approx(outcome["train"]["loss_curve"][0], abs=1e-4)
    for lang in ("de", "tl"):
        assert run.data.metrics[f"test/{lang}/accuracy"] == outcome["scores"][lang]["accuracy"]
    assert "target/lr" in run.data.metrics and "target/examples_per_second" in run.data.metrics


def test_wandb_offline_run_holds_the_run(tracked: dict[str, Any]) -> None:
    if "wandb" not in tracked["backends"]:
        pytest.skip("wandb is not installed (pip install 'adaptxfer[wandb]')")
    outcome = tracked["outcome"]
    (path,) = (tracked["out"] / "tracking" / "wandb").glob("offline-run-*/run-*.wandb")
    records = wandb_records(path)
    (run,) = [r.run for r in records if r.WhichOneof("record_type") == "run"]
    assert run.run_group == "run" and run.display_name == "run/sequential-seed0"
    assert run.job_type == "sequential" and run.project == "adaptxfer"
    config = {
        item.key or ".".join(item.nested_key): json.loads(item.value_json)
        for item in run.config.update
    }
    assert config["train.lr"] == LR and config["seed"] == 0
    rows = [
        {
            item.key or ".".join(item.nested_key): json.loads(item.value_json)
            for item in r.history.item
        }
        for r in records
        if r.WhichOneof("record_type") == "history"
    ]
    losses = [(row["target/step"], row["target/loss"]) for row in rows if "target/loss" in row]
    assert [step for step, _ in losses] == [1, 2, 3]
    mean = sum(v for _, v in losses) / 3
    assert mean == pytest.approx(outcome["train"]["loss_curve"][0], abs=1e-4)
    (scores,) = [row for row in rows if "test/de/accuracy" in row]
    assert scores["test/de/accuracy"] == outcome["scores"]["de"]["accuracy"]
    (exit_record,) = [r.exit for r in records if r.WhichOneof("record_type") == "exit"]
    assert exit_record.exit_code == 0


def wandb_records(path: Path) -> list[Any]:
    """The records of a W&B transaction log (``run-*.wandb``): a 7-byte header (``:W&B``,
    magic, version), then 32 KiB blocks of chunks (crc32c, length, type: full, first,
    middle, last), each record a ``wandb_internal_pb2.Record``."""
    from wandb.proto import wandb_internal_pb2

    data, block = path.read_bytes(), 32768
    assert data[:4] == b":W&B"
    records, pending, pos = [], b"", 7
    while pos + 7 <= len(data):
        if block - pos % block < 7:  # a block's tail too short for a header is padding
            pos += block - pos % block
            continue
        _, length, kind = struct.unpack("<IHB", data[pos : pos + 7])
        pending += data[pos + 7 : pos + 7 + length]
        pos += 7 + length
        if kind in (1, 4):  # full, or the last chunk of a record
            records.append(wandb_internal_pb2.Record.FromString(pending))
            pending = b""
    return records


# -- the log block ----------------------------------------------------------------------
def test_log_block_is_off_by_default_and_takes_short_forms() -> None:
    assert load_recipe(RECIPE).log.to == []
    recipe = load_recipe(RECIPE, ["log.to=tensorboard", "log.dir=logs"])
    assert recipe.log.to == ["tensorboard"]
    assert recipe.log.dir == str(Path("logs").resolve())  # resolved where it is read
    assert load_recipe(RECIPE, ["log=[mlflow, wandb, mlflow]"]).log.to == ["mlflow", "wandb"]


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("log.to=[tensorboard,comet]", ["log.to.1", "comet", *BACKENDS]),
        ("log.backend=tensorboard", ["log.backend", "unknown key", "to", "dir", "project"]),
        ("log.project=", ["log.project"]),
    ],
)
def test_a_bad_log_block_names_the_key(override: str, expected: list[str]) -> None:
    with pytest.raises(RecipeError) as err:
        load_recipe(RECIPE, [override])
    for text in expected:
        assert text in str(err.value)


def test_missing_library_stops_the_run_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "wandb", None)  # as if not installed: import fails
    out = tmp_path / "run"
    code = main(["run", str(RECIPE), "-o", str(out), "--set", "log.to=[tensorboard,wandb]"])
    assert code == 2
    err = capsys.readouterr().err
    assert "log.to: wandb" in err and "pip install 'adaptxfer[wandb]'" in err
    assert not out.exists()
    grid = ROOT / "recipes/grids/bible-small.yaml"
    code = main(["grid", str(grid), "-o", str(tmp_path / "grid"), "--set", "log.to=wandb"])
    assert code == 2 and "adaptxfer[wandb]" in capsys.readouterr().err
    assert not (tmp_path / "grid").exists()


def test_a_failed_run_leaves_no_tracking_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """The default log dir is built inside the run dir, so it goes when the run fails:
    here MLflow's store cannot be opened after TensorBoard's writer has started."""
    pytest.importorskip("mlflow", reason="pip install 'adaptxfer[mlflow]'")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "nosuchscheme://nowhere")
    out = tmp_path / "run"
    code = main(["run", str(RECIPE), "-o", str(out), "--set", "log.to=[tensorboard,mlflow]"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "log.to: mlflow cannot log to MLFLOW_TRACKING_URI nosuchscheme://nowhere" in err
    assert sorted(p.name for p in out.iterdir()) == ["run.log"]
    assert not list(tmp_path.glob(".run.partial-*"))


# -- grids and hyperparameters ------------------------------------------------------------
def test_grid_cells_are_grouped_by_the_grid_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two cells of grid ``g`` logged into a shared ``log.dir``: one TensorBoard folder,
    W&B group and MLflow experiment named ``g``; a cell that fails is marked failed."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from adaptxfer.tracking.tracker import RunTracking, Scoring

    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    backends = ["tensorboard"] + [b for b in ("wandb", "mlflow") if _installed(b)]
    recipe = load_recipe(RECIPE, [f"log.to=[{','.join(backends)}]", f"log.dir={tmp_path / 'logs'}"])
    cells = {"e5-small/bible-para-x/baseline__seed0": 61.0, "e5-small/bible-para-x/x__seed0": None}
    for cell, score in cells.items():
        tracking = RunTracking(
            recipe.log,
            tmp_path / "build",  # unused: the logs go to log.dir
            tmp_path / "cells" / cell,
            recipe.model_dump(mode="json"),
            Scoring("test", "accuracy"),
            {"grid": "g", "cell": cell},
        )
        try:
            with tracking.arm("baseline", 0) as tracker:
                tracker.log("target", {"loss": 0.5}, 1)
                if score is None:
                    raise RuntimeError("this cell fails")
                tracker.log_outcome({"scores": {"de": {"accuracy": score}}, "train": {"steps": 1}})
        except RuntimeError:
            pass
    board = tmp_path / "logs" / "tensorboard" / "g" / "e5-small" / "bible-para-x"
    assert sorted(p.name for p in board.iterdir()) == ["baseline__seed0", "x__seed0"]
    events = EventAccumulator(str(board / "baseline__seed0" / "baseline-seed0"))
    events.Reload()
    assert [(e.step, e.value) for e in events.Scalars("test/de/accuracy")] == [(1, 61.0)]
    if "mlflow" in backends:
        from mlflow.tracking import MlflowClient

        client = MlflowClient(f"sqlite:///{tmp_path / 'logs' / 'mlflow' / 'mlflow.db'}")
        runs = client.search_runs([client.get_experiment_by_name("g").experiment_id])
        status = {r.info.run_name: r.info.status for r in runs}
        assert status == {
            "e5-small/bible-para-x/baseline__seed0/baseline-seed0": "FINISHED",
            "e5-small/bible-para-x/x__seed0/baseline-seed0": "FAILED",
        }
    if "wandb" in backends:
        logs = sorted((tmp_path / "logs" / "wandb").glob("offline-run-*/run-*.wandb"))
        groups = [
            r.run.run_group
            for path in logs
            for r in wandb_records(path)
            if r.WhichOneof("record_type") == "run"
        ]
        assert groups == ["g", "g"]


@pytest.mark.slow
def test_a_tracked_grid_logs_its_intermediates_and_cells(tmp_path: Path) -> None:
    """The grid trains its intermediate adapter before the cell: that training is the
    grid's tracked run ``intermediates/...``; the cell's run has the target's curves and
    scores, and the intermediate's dev score."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from adaptxfer.grid import load_grid, run_grid

    body = "intermediates: [bible-para-en]\ntargets: [bible-para-x]\nlanguages: [de]\n"
    body += "baseline: false\nset: {log.to: [tensorboard], eval.max_examples: 8}\n"
    grid_file = write_grid(tmp_path, body)  # the tiny base recipe the grid tests share
    out = tmp_path / "out"
    outcome = run_grid(load_grid(grid_file, out), out, log=lambda _: None)
    assert not outcome.failed, outcome.failed

    def scalars(logdir: Path) -> dict[str, list[tuple[int, float]]]:
        events = EventAccumulator(str(logdir))
        events.Reload()
        return {
            tag: [(e.step, e.value) for e in events.Scalars(tag)]
            for tag in events.Tags()["scalars"]
        }

    (inter_dir,) = (out / "tracking" / "tensorboard" / "intermediates").iterdir()
    assert inter_dir.name.startswith("bible-para-en-") and inter_dir.name.endswith("-seed0")
    inter = scalars(inter_dir)
    assert [step for step, _ in inter["intermediate/bible-para-en/loss"]] == [1, 2]
    (cell,) = (out / "cells").rglob("results.json")
    (result,) = json.loads(cell.read_text(encoding="utf-8"))["outcomes"]
    dev = _intermediate(result)["dev"]["accuracy"]
    assert inter["intermediate/bible-para-en/dev/en/accuracy"] == [(2, pytest.approx(dev))]
    logged = scalars(cell.parent / "tracking" / "tensorboard" / "sequential-seed0")
    assert [step for step, _ in logged["target/loss"]] == [1, 2]
    assert logged["test/de/accuracy"] == [(2, pytest.approx(result["scores"]["de"]["accuracy"]))]
    assert logged["intermediate/bible-para-en/dev/en/accuracy"] == [(2, pytest.approx(dev))]
    assert "intermediate/bible-para-en/loss" not in logged  # trained by the grid, before


def test_recipe_flattens_to_hyperparameters() -> None:
    params = flatten(load_recipe(RECIPE).model_dump(mode="json"))
    assert params["method.lora.r"] == 8 and params["composition.name"] == "sequential"
    assert params["intermediate.tasks"] == '["bible-para-en"]'
    assert params["train.head_lr"] == "null"
    assert not any(key.startswith(("log.", "description", "composition.merge")) for key in params)
    assert all(isinstance(v, (bool, int, float, str)) for v in params.values())


def test_tracking_logs_are_not_part_of_the_run_record(tracked: dict[str, Any]) -> None:
    """Reading or syncing the logs (``wandb sync``, ``mlflow ui``) may touch them: the run
    dir stays finished, and a grid resumed with another ``log`` block reruns nothing."""
    from adaptxfer.grid.expand import changed_settings
    from adaptxfer.results import load_finished_run

    out = tracked["out"]
    record = json.loads((out / "integrity.json").read_text(encoding="utf-8"))
    assert record["files"] and not any(name.startswith("tracking/") for name in record["files"])
    for path in (out / "tracking").rglob("*"):
        if path.is_file() and not path.is_symlink():
            with open(path, "ab") as handle:
                handle.write(b"\0")
    assert load_finished_run(out).outcomes == [tracked["outcome"]]
    done = load_recipe(RECIPE).model_dump(mode="json")
    now = load_recipe(RECIPE, ["log.to=[tensorboard]"]).model_dump(mode="json")
    assert changed_settings(done, now) == []
