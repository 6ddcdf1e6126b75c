"""Step checkpoints (``adaptxfer.training.checkpoint``): a training killed at any moment
goes on from its newest checkpoint to exactly the weights of an uninterrupted one;
Ctrl-C and SIGTERM save the step first; damaged or foreign checkpoints are passed over."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from torch import nn

from adaptxfer import interrupts
from adaptxfer.training.checkpoint import TENSORS, Checkpointing
from adaptxfer.training.loop import LoopSettings, ParamGroup, TrainCallback, fit

HERE = Path(__file__).resolve().parent
WORKER = HERE / "training_worker.py"


def _worker(folder: Path, out: Path, *pause: str) -> list[str]:
    return [sys.executable, str(WORKER), str(folder), str(out), *pause]


def _env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "ADAPTXFER_PROGRESS": "0"}


def _wait_for(pattern: str, folder: Path, proc: subprocess.Popen, timeout: float = 120) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = sorted(folder.glob(pattern))
        if found:
            return found[0]
        if proc.poll() is not None:
            raise AssertionError(f"exited ({proc.returncode}) before {pattern} appeared")
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"no {pattern} in {folder} after {timeout} s")


def test_a_training_killed_by_sigkill_resumes_to_the_weights_of_an_uninterrupted_one(
    tmp_path: Path,
) -> None:
    reference = tmp_path / "reference.json"
    uninterrupted = subprocess.Popen(_worker(tmp_path / "ref-checkpoints", reference), env=_env())
    folder, out = tmp_path / "checkpoints", tmp_path / "resumed.json"
    killed = subprocess.Popen(_worker(folder, out, "0.1"), env=_env())
    _wait_for("step-*", folder, killed)
    killed.send_signal(signal.SIGKILL)
    assert killed.wait(timeout=60) == -signal.SIGKILL
    assert not out.exists()
    assert uninterrupted.wait(timeout=300) == 0

    resumed = subprocess.run(_worker(folder, out), env=_env(), capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "worker: resuming at step" in resumed.stdout
    ours, theirs = (json.loads(p.read_text()) for p in (out, reference))
    assert ours["weights"] == theirs["weights"]  # every float, bit for bit
    for key in ("steps", "examples", "loss_curve"):
        assert ours["report"][key] == theirs["report"][key]


# -- in-process: a tiny model, a shuffled stream ---------------------------------------
SETTINGS = LoopSettings(max_steps=8, warmup_ratio=0.25, max_grad_norm=1.0, grad_accum=2)


def _train(
    folder: Path, settings: LoopSettings = SETTINGS, callbacks=(), every: int | None = 3
) -> tuple[nn.Module, object]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.3), nn.Linear(8, 2))
    inputs = torch.randn(30, 4, generator=torch.Generator().manual_seed(1))
    rows = list(zip(inputs, (inputs[:, 0] > 0).long(), strict=True))
    loader = torch.utils.data.DataLoader(
        rows, batch_size=4, shuffle=True, drop_last=True, generator=torch.Generator().manual_seed(0)
    )

    def stream():
        while True:
            yield from ({"input_ids": x, "labels": y} for x, y in loader)

    report = fit(
        [ParamGroup(list(model.parameters()), 1e-2)],
        stream(),
        lambda b: nn.functional.cross_entropy(model(b["input_ids"]), b["labels"]),
        settings,
        device=torch.device("cpu"),
        modules=[model],
        callbacks=callbacks,
        checkpoints=Checkpointing(folder, every, "tiny"),
    )
    return model, report


def _same(a: nn.Module, b: nn.Module) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.parameters(), b.parameters(), strict=True))


class _SignalAt(TrainCallback):
    """Sends a real signal to this process during step ``step``'s callbacks."""

    def __init__(self, step: int, signum: int) -> None:
        self.step, self.signum = step, signum

    def on_step_end(self, state, event) -> None:
        if state.step == self.step:
            # the loop's handler must be in place: else SIGTERM would end pytest itself
            assert signal.getsignal(self.signum) is interrupts._handle
            os.kill(os.getpid(), self.signum)


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"]
)
def test_a_signal_saves_the_step_then_stops_and_the_rest_trains_as_if_never_stopped(
    tmp_path: Path, signum: int, code: int
) -> None:
    before = signal.getsignal(signum)
    with pytest.raises(interrupts.Interrupted) as stopped:
        _train(tmp_path / "stopped", callbacks=[_SignalAt(5, signum)], every=None)
    assert signal.getsignal(signum) is before  # handlers only around training
    assert stopped.value.exit_code == code
    saved = tmp_path / "stopped" / "step-00000005"
    assert stopped.value.saved == f"step 5/8 of tiny to {saved}"
    assert (saved / TENSORS).is_file()

    resumed, report = _train(tmp_path / "stopped", every=None)
    uninterrupted, expected = _train(tmp_path / "whole", every=None)
    assert _same(resumed, uninterrupted)
    assert report.losses == expected.losses and report.examples == expected.examples


def test_a_damaged_or_half_written_checkpoint_is_passed_over(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    folder = tmp_path / "checkpoints"
    fresh, _ = _train(tmp_path / "fresh")
    _train(folder)  # leaves its last checkpoint, step 8
    newest = folder / "step-00000008"
    assert sorted(p.name for p in folder.iterdir()) == [newest.name]
    with open(newest / TENSORS, "r+b") as handle:  # cut short, as by a full disk
        handle.truncate(100)
    half = folder / ".step-00000009.partial-x"  # a save cut by SIGKILL: no name, no record
    half.mkdir()
    (half / TENSORS).write_bytes(b"\0" * 10)
    capsys.readouterr()

    again, report = _train(folder)
    said = capsys.readouterr().out
    assert (
        f"tiny: ignoring damaged checkpoint {newest} (tensors.safetensors is not the file" in said
    )
    assert "resuming" not in said and "partial" not in said
    assert report.steps == 8 and _same(again, fresh)  # trained from the start


def test_a_checkpoint_of_another_schedule_is_not_used(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    folder = tmp_path / "checkpoints"
    _train(folder, LoopSettings(max_steps=6, warmup_ratio=0.25, max_grad_norm=1.0, grad_accum=2))
    capsys.readouterr()
    _, report = _train(folder)
    said = capsys.readouterr().out
    assert "tiny: ignoring checkpoint" in said and "made for 6 steps of 2 batches" in said
    assert report.steps == 8 and len(report.losses) == 1


def test_checkpoint_every_changes_neither_the_store_key_nor_the_run_fingerprint() -> None:
    """Nor does it make a grid's finished cell look run with other settings."""
    from adaptxfer.arms import intermediate_spec
    from adaptxfer.grid.expand import changed_settings
    from adaptxfer.recipes.loading import load_recipe
    from adaptxfer.run import fingerprint

    path = HERE.parent / "recipes/bible/para-en_to_para-x.yaml"
    plain = load_recipe(path)
    changed = load_recipe(
        path, ["train.checkpoint_every=7", "intermediate.train.checkpoint_every=null"]
    )
    assert changed.phase_train("intermediate").checkpoint_every is None
    assert changed.phase_train("target").checkpoint_every == 7
    chain = ("bible-para-en",)
    assert intermediate_spec(plain, chain, 0) == intermediate_spec(changed, chain, 0)
    assert fingerprint(plain) == fingerprint(changed)
    assert changed_settings(plain.model_dump(mode="json"), changed.model_dump(mode="json")) == []
    other = load_recipe(path, ["train.lr=0.002"])
    assert fingerprint(other) != fingerprint(plain)
