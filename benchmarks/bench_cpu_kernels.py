"""Where adapter training spends a CPU step, and what ``train.kernels: auto`` changes.

1. Profile: ``--steps`` steps of adaptxfer's real training (LoRA r8 on ``bible-para-en``,
   e5-small, batch 16, precision auto) under ``torch.profiler``, with ``kernels`` torch
   and auto: the share of self CPU time in dropout masks (``aten::bernoulli_``; with
   auto ``aten::random_``) and per step.
2. Micro-benchmark on one layer's shapes (batch 16, 12 heads, ``--length``, hidden 384,
   bf16 where native, forward + backward, median of ``--repeats``): attention with
   dropout through torch's SDPA vs :func:`attention_with_fast_dropout`, and dropout
   through ``F.dropout`` vs :func:`fast_dropout`.

Run:  python benchmarks/bench_cpu_kernels.py [--steps 10] [--length 80]
Prints tables and one JSON line (versions, device, numbers) for the record.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable

os.environ.setdefault("ADAPTXFER_PROGRESS", "0")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import torch
from torch.nn import functional as F
from torch.profiler import ProfilerActivity, profile

from adaptxfer.backbones import load_backbone
from adaptxfer.results import environment
from adaptxfer.tasks.kinds import get_kind
from adaptxfer.tasks.loading import load_split
from adaptxfer.tasks.registry import get_task
from adaptxfer.training.cpu_kernels import attention_with_fast_dropout, fast_dropout
from adaptxfer.training.precision import resolve_precision
from adaptxfer.training.settings import TrainSettings
from adaptxfer.training.task import train
from measure import adapter_task_model, median

MASK_OPS = ("aten::bernoulli_", "aten::random_")
CPU = torch.device("cpu")


def profile_training(kernels: str, steps: int) -> dict[str, float]:
    task = get_task("bible-para-en")
    kind = get_kind(task.kind)
    backbone = load_backbone("e5-small", device="cpu")
    model = adapter_task_model(task, "lora", backbone)
    data = load_split(task, "en", "train", seed=0, max_examples=steps * 16)
    features = kind.featurize(task, data, backbone.tokenizer, 128, train=True)
    settings = TrainSettings(max_steps=steps, checkpoint_every=None, kernels=kernels)
    with profile(activities=[ProfilerActivity.CPU]) as trace:
        train(model, kind, features, backbone.tokenizer, settings, seed=0)
    totals = {e.key: e.self_cpu_time_total for e in trace.key_averages()}
    total = sum(totals.values())
    masks = sum(totals.get(op, 0.0) for op in MASK_OPS)
    return {
        "self_cpu_s_per_step": total / 1e6 / steps,
        "mask_share": masks / total,
        "mask_s_per_step": masks / 1e6 / steps,
    }


def timed(run: Callable[[], None], repeats: int) -> float:
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return median(times) * 1e3


def micro(length: int, repeats: int) -> dict[str, float]:
    dtype = torch.bfloat16 if resolve_precision("auto", CPU) == "bf16" else torch.float32
    torch.manual_seed(0)
    q = torch.randn(16, 12, length, 32, dtype=dtype, requires_grad=True)
    mask = torch.zeros(16, 1, length, length)  # additive, float32, as transformers builds it
    x = torch.randn(16, length, 384, dtype=dtype, requires_grad=True)
    sdpa = F.scaled_dot_product_attention
    ours = attention_with_fast_dropout(sdpa)
    return {
        "attention_torch_ms": timed(
            lambda: sdpa(q, q, q, attn_mask=mask, dropout_p=0.1).sum().backward(), repeats
        ),
        "attention_ours_ms": timed(
            lambda: ours(q, q, q, attn_mask=mask, dropout_p=0.1).sum().backward(), repeats
        ),
        "dropout_torch_ms": timed(lambda: F.dropout(x, 0.1).sum().backward(), repeats),
        "dropout_ours_ms": timed(lambda: fast_dropout(x, 0.1).sum().backward(), repeats),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--length", type=int, default=80)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    profiles = {k: profile_training(k, args.steps) for k in ("torch", "auto")}
    print(f"\nProfile, {args.steps} training steps (self CPU time of the ops torch recorded)")
    print(f"{'kernels':<9}{'s/step':>9}{'masks s/step':>14}{'masks share':>13}")
    for name, row in profiles.items():
        print(
            f"{name:<9}{row['self_cpu_s_per_step']:>9.3f}{row['mask_s_per_step']:>14.3f}"
            f"{row['mask_share']:>12.0%}"
        )
    numbers = micro(args.length, args.repeats)
    print(f"\nOne layer, batch 16, 12 heads, length {args.length}, forward + backward, ms")
    for what in ("attention", "dropout"):
        theirs, ours = numbers[f"{what}_torch_ms"], numbers[f"{what}_ours_ms"]
        print(f"{what:<10} torch {theirs:7.2f}   adaptxfer {ours:7.2f}   {theirs / ours:.1f}x")
    record = {
        "args": vars(args),
        "profile": profiles,
        "micro_ms": numbers,
        "environment": environment("cpu"),
    }
    print("\n" + json.dumps(record))


if __name__ == "__main__":
    main()
