"""Training: the one loop fits what it is given and reports every step to its callbacks;
on the real default backbone, the intermediate phase on a slice of ``bible-para-en``
reaches dev accuracy far above chance (50 %)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from adaptxfer.artifacts import Manifest
from adaptxfer.experiment import intermediate_artifact
from adaptxfer.recipes.schema import Recipe
from adaptxfer.store import AdapterStore
from adaptxfer.training.loop import (
    LoopSettings,
    ParamGroup,
    StepEvent,
    TrainCallback,
    TrainState,
    fit,
)
from adaptxfer.training.precision import resolve_precision


def test_intermediate_lora_learns_english_paraphrase(tmp_path: Path) -> None:
    recipe = Recipe.model_validate(
        {
            "intermediate": {"tasks": ["bible-para-en"], "train": {"max_steps": 70}},
            "target": "bible-para-x",
            "method": {"name": "lora", "lora": {"r": 8, "target_modules": ["query", "value"]}},
            "train": {"lr": 1e-3, "batch_size": 16, "max_length": 96, "dev_examples": 200},
        }
    )
    store = AdapterStore(tmp_path / "store")
    artifact = intermediate_artifact(recipe, ("bible-para-en",), 0, store)
    dev = Manifest.read(artifact).metrics["dev"]
    assert dev["examples"] == 200
    assert dev["accuracy"] >= 75.0, dev
    # ``precision: auto`` trained in bf16 on CPUs with AVX512-BF16/AMX, else in fp32
    train = Manifest.read(artifact).metrics["train"]
    assert train["precision"] == resolve_precision("auto", torch.device("cpu"))
    assert train["kernels"] == "adaptxfer-cpu"  # kernels: auto, on the CPU
    assert train["loss_curve"][-1] < train["loss_curve"][0]
    # A second request for the same adapter reuses it: trained exactly once.
    assert intermediate_artifact(recipe, ("bible-para-en",), 0, store) == artifact
    assert len(store.trainings()) == 1


# -- the loop itself, on a model small enough to check exactly --------------------------------
class Recorder(TrainCallback):
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.events: list[StepEvent] = []

    def on_train_start(self, state: TrainState) -> None:
        self.calls.append(f"start at {state.step}")

    def on_step_end(self, state: TrainState, event: StepEvent) -> None:
        self.events.append(event)

    def on_train_end(self, state: TrainState) -> None:
        self.calls.append(f"end at {state.step}")


def regression_batches(batch_size: int):
    """y = 3x - 1 on fresh random x, forever (``input_ids`` carries x: the loop counts rows)."""
    generator = torch.Generator().manual_seed(0)
    while True:
        x = torch.randn(batch_size, 1, generator=generator)
        yield {"input_ids": x, "labels": 3 * x - 1}


def test_the_loop_fits_a_line_and_reports_every_step_to_callbacks() -> None:
    torch.manual_seed(0)
    model = torch.nn.Linear(1, 1)
    recorder = Recorder()
    settings = LoopSettings(max_steps=100, warmup_ratio=0.1, max_grad_norm=100.0, grad_accum=2)
    report = fit(
        [ParamGroup(list(model.parameters()), 0.2)],
        regression_batches(4),
        lambda batch: torch.nn.functional.mse_loss(model(batch["input_ids"]), batch["labels"]),
        settings,
        device=torch.device("cpu"),
        modules=[model],
        callbacks=[recorder],
    )
    assert (report.steps, report.examples, report.trainable_parameters) == (100, 100 * 2 * 4, 2)
    assert len(report.losses) == 10 and report.losses[-1] < report.losses[0] / 1000
    assert model.weight.item() == pytest.approx(3.0, abs=0.02)
    assert model.bias.item() == pytest.approx(-1.0, abs=0.02)
    assert not model.training  # left in eval mode
    assert recorder.calls == ["start at 0", "end at 100"]
    assert [e.step for e in recorder.events] == list(range(1, 101))
    assert recorder.events[-1].examples == report.examples
    # linear warm-up over 10 steps, then linear decay to 0
    lrs = [e.lrs[0] for e in recorder.events]
    assert lrs[0] == pytest.approx(0.2 / 10) and lrs[9] == pytest.approx(0.2)
    assert lrs[54] == pytest.approx(0.2 * (100 - 55) / 90) and lrs[-1] == 0.0


def test_the_loop_refuses_to_train_nothing() -> None:
    with pytest.raises(RuntimeError, match="nothing to train"):
        fit(
            [ParamGroup([], 0.1)],
            regression_batches(2),
            lambda batch: batch["labels"].sum(),
            LoopSettings(max_steps=1, warmup_ratio=0.0, max_grad_norm=1.0),
            device=torch.device("cpu"),
            modules=[],
        )
