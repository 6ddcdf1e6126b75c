"""Where the time of a CPU study goes, as ratios against a baseline measured in this run.

1. Training steps: random batches (baseline) vs. length-grouped batches (the default).
2. Inference over Bible verses with the frozen backbone: full precision (baseline) vs.
   bitsandbytes int8 and nf4.

Run:  python benchmarks/bench_training.py [--steps 20] [--verses 256]
Prints a table and one JSON line (versions, device, numbers) for the record.
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from adaptxfer.backbones import default_device, encode_mean_pooled, load_backbone
from adaptxfer.compose.assemble import Assembly
from adaptxfer.methods import backend_library
from adaptxfer.methods.settings import MethodConfig
from adaptxfer.results import environment
from adaptxfer.tasks.heads import build_head
from adaptxfer.tasks.kinds import get_kind
from adaptxfer.tasks.loading import load_split
from adaptxfer.tasks.model import TaskModel
from adaptxfer.tasks.registry import get_task
from adaptxfer.training.settings import TrainSettings
from adaptxfer.training.task import train


def training_speed(steps: int, batch_size: int) -> dict[str, dict[str, float]]:
    """Seconds per step with and without length grouping, same data, same adapter."""
    task = get_task("bible-para-en")
    kind = get_kind(task.kind)
    method = MethodConfig(name="lora")
    data = load_split(task, "en", "train", seed=0, max_examples=steps * batch_size * 2)
    out = {}
    for grouped in (False, True):
        backbone = load_backbone("e5-small")
        assembly = Assembly.create(backbone, backend_library(method))
        assembly.backend.add("adapter", method, seed=0)
        assembly.train_alone("adapter")
        head_config = kind.head_config(task, backbone.hidden_size)
        model = TaskModel(assembly.encoder, build_head(head_config), head_config)
        settings = TrainSettings(
            max_steps=steps, batch_size=batch_size, max_length=128, group_by_length=grouped
        )
        features = kind.featurize(task, data, backbone.tokenizer, 128, train=True)
        report = train(model, kind, features, backbone.tokenizer, settings, seed=0)
        out["grouped" if grouped else "random"] = {
            "s_per_step": report.seconds / steps,
            "examples_per_s": report.examples / report.seconds,
        }
    return out


def inference_speed(verses: int) -> dict[str, dict[str, float]]:
    """Seconds to mean-pool ``verses`` English verses, per quantisation."""
    task = get_task("bible-para-en")
    data = load_split(task, "en", "test", seed=0, max_examples=verses)
    texts = list(data["sentence1"])
    out = {}
    for quantization in ("none", "int8", "nf4"):
        backbone = load_backbone("e5-small", quantization=quantization)
        layer = backbone.num_layers // 2
        encode_mean_pooled(backbone.model, backbone.tokenizer, texts[:8], layer)  # warm-up
        start = time.perf_counter()
        encode_mean_pooled(backbone.model, backbone.tokenizer, texts, layer)
        seconds = time.perf_counter() - start
        weights = sum(p.numel() * p.element_size() for p in backbone.model.parameters())
        out[quantization] = {"seconds": seconds, "weight_mb": weights / 2**20}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--verses", type=int, default=256)
    args = parser.parse_args()
    torch.manual_seed(0)

    steps = training_speed(args.steps, args.batch_size)
    base = steps["random"]["s_per_step"]
    print(f"\nTraining, LoRA r8 on e5-small, batch {args.batch_size}, {args.steps} steps")
    print(f"{'batches':<10}{'s/step':>10}{'ex/s':>10}{'speed vs random':>18}")
    for name, row in steps.items():
        ratio = base / row["s_per_step"]
        print(f"{name:<10}{row['s_per_step']:>10.3f}{row['examples_per_s']:>10.1f}{ratio:>17.2f}x")

    infer = inference_speed(args.verses)
    base = infer["none"]["seconds"]
    print(f"\nInference, mean-pooled e5-small over {args.verses} verses")
    print(f"{'weights':<10}{'seconds':>10}{'MiB':>10}{'speed vs none':>16}")
    for name, row in infer.items():
        ratio = base / row["seconds"]
        print(f"{name:<10}{row['seconds']:>10.2f}{row['weight_mb']:>10.1f}{ratio:>15.2f}x")

    record = {"training": steps, "inference": infer, "environment": environment(default_device())}
    print("\n" + json.dumps(record))


if __name__ == "__main__":
    main()
