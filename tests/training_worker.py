"""A small training through the one loop, in its own process, for the kill tests of
``test_checkpoint.py``: ``python training_worker.py CHECKPOINTS OUT [PAUSE]``.

It draws from every generator a checkpoint restores — dropout (torch), a shuffled
loader whose epochs end mid-step (grad_accum 2), numpy and Python noise in the loss —
and writes the final weights and loss curve to ``OUT``. ``PAUSE`` seconds per step
leave a test time to kill it mid-training.
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from adaptxfer.seeding import seed_everything, seeded
from adaptxfer.training.checkpoint import Checkpointing
from adaptxfer.training.loop import LoopSettings, ParamGroup, TrainCallback, fit

SETTINGS = LoopSettings(max_steps=30, warmup_ratio=0.1, max_grad_norm=1.0, grad_accum=2)


class Pause(TrainCallback):
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def on_step_end(self, state, event) -> None:
        time.sleep(self.seconds)


def batches():
    inputs = torch.randn(44, 6, generator=torch.Generator().manual_seed(1))
    rows = list(zip(inputs, (inputs.sum(1) > 0).long(), strict=True))
    loader = torch.utils.data.DataLoader(
        rows, batch_size=8, shuffle=True, drop_last=True, generator=torch.Generator().manual_seed(0)
    )
    while True:
        yield from ({"input_ids": x, "labels": y} for x, y in loader)


def main(folder: str, out: str, pause: float = 0.0) -> None:
    seed_everything(0)
    np.random.seed(0)
    with seeded(0, "model"):
        model = nn.Sequential(nn.Linear(6, 16), nn.Dropout(0.2), nn.ReLU(), nn.Linear(16, 2))

    def loss_of(batch):
        noise = torch.from_numpy(np.random.normal(0, 0.05, batch["input_ids"].shape)).float()
        logits = model(batch["input_ids"] + noise + random.gauss(0, 0.05))
        return nn.functional.cross_entropy(logits, batch["labels"])

    report = fit(
        [
            ParamGroup(list(model[0].parameters()), 1e-2),
            ParamGroup(list(model[3].parameters()), 3e-3),
        ],
        batches(),
        loss_of,
        SETTINGS,
        device=torch.device("cpu"),
        modules=[model],
        callbacks=[Pause(pause)] if pause else [],
        checkpoints=Checkpointing(Path(folder), every=3, label="worker"),
    )
    weights = {name: p.detach().tolist() for name, p in model.named_parameters()}
    Path(out).write_text(json.dumps({"weights": weights, "report": report.to_dict()}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], *(float(a) for a in sys.argv[3:]))
