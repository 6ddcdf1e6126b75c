"""Does ``torch.compile`` of the encoder pay for adapter training here? adaptxfer's real
training path (LoRA r8 on ``bible-para-en``, the main job's settings, ``precision`` and
``kernels`` auto) run twice in one process on the same batches: eager, and with the
encoder compiled in place (``nn.Module.compile(dynamic=True)``: length-grouped batches
change shape every step). Reports the first step (which includes compilation for the
compiled run), the median s/step after ``--warmup`` steps, and the steps it takes to
earn the compilation back.

Run:  python benchmarks/bench_compile.py [--steps 30] [--warmup 5]
Prints a table and one JSON line (versions, device, numbers) for the record.
"""

from __future__ import annotations

import argparse
import json
import os

os.environ.setdefault("ADAPTXFER_PROGRESS", "0")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from adaptxfer.backbones import default_device, load_backbone
from adaptxfer.results import environment
from adaptxfer.tasks.kinds import get_kind
from adaptxfer.tasks.loading import load_split
from adaptxfer.tasks.registry import get_task
from adaptxfer.training.settings import TrainSettings
from adaptxfer.training.task import train
from measure import StepClock, adapter_task_model, median, tick_callback

BACKBONE, TASK = "e5-small", "bible-para-en"


def run(compiled: bool, steps: int, batch_size: int) -> StepClock:
    task = get_task(TASK)
    kind = get_kind(task.kind)
    backbone = load_backbone(BACKBONE)
    model = adapter_task_model(task, "lora", backbone)
    data = load_split(task, "en", "train", seed=0, max_examples=steps * batch_size)
    features = kind.featurize(task, data, backbone.tokenizer, 128, train=True)
    if compiled:
        model.encoder.compile(dynamic=True)
    settings = TrainSettings(max_steps=steps, batch_size=batch_size, checkpoint_every=None)
    clock = StepClock()
    train(
        model,
        kind,
        features,
        backbone.tokenizer,
        settings,
        seed=0,
        callbacks=[tick_callback(clock)],
    )
    return clock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5, help="steps left out of the median")
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()
    rows = {}
    for name, compiled in (("eager", False), ("torch.compile", True)):
        times = run(compiled, args.steps, args.batch_size).step_times(0)
        rows[name] = {"first_step_s": times[0], "s_per_step": median(times[args.warmup :])}
        print(f"  {name}: {json.dumps(rows[name])}", flush=True)
    eager, compiled = rows["eager"], rows["torch.compile"]
    saved = eager["s_per_step"] - compiled["s_per_step"]
    overhead = compiled["first_step_s"] - eager["first_step_s"]
    break_even = overhead / saved if saved > 0 else None
    print(f"\n{BACKBONE}, {TASK}, LoRA r8, batch {args.batch_size}, {args.steps} steps")
    print(f"{'path':<16}{'first step s':>14}{'s/step':>10}")
    for name, row in rows.items():
        print(f"{name:<16}{row['first_step_s']:>14.1f}{row['s_per_step']:>10.3f}")
    print(
        f"compiled / eager s/step: {compiled['s_per_step'] / eager['s_per_step']:.2f}; "
        + (
            f"compilation earned back after {break_even:.0f} steps"
            if break_even is not None
            else "never earned back (no step is faster)"
        )
    )
    record = {
        "args": vars(args),
        "rows": rows,
        "break_even_steps": break_even,
        "environment": environment(default_device()),
    }
    print("\n" + json.dumps(record))


if __name__ == "__main__":
    main()
