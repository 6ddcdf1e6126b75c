"""adaptxfer against the code a researcher would write with the libraries underneath, in
ONE process, on the same model, data, batch size, lengths and steps.

Training, s/step (median over the steps after warm-up, over interleaved rounds):
adaptxfer LoRA / seq_bn (``train.precision`` auto and fp32; ``train.kernels`` auto, and
torch at precision auto to show what the CPU training kernels add) vs peft LoRA + HF ``Trainer``
(default random sampler, and ``group_by_length=True``; fp32, and bf16 where native) vs
adapters seq_bn + ``AdapterTrainer`` (``group_by_length=True``). The paths alternate
within each round (round 1: A B C..., round 2: A B C...), so a machine shared with other
jobs slows all of them alike and the ratios stay meaningful.

Peak memory (``--memory``): each path once in a fresh process (resident-set peak on CPU,
torch's allocator peak on CUDA), since freed memory stays with a process on CPU.
Evaluation: ``bench_evaluation.py``.

Run:  python benchmarks/bench_baselines.py [--steps 20] [--rounds 2] [--memory]
Prints a table and one JSON line (versions, device, numbers) for the record.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("ADAPTXFER_PROGRESS", "0")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import torch

from adaptxfer.backbones import default_device, load_backbone
from adaptxfer.backbones.loading import resolve_source
from adaptxfer.results import environment
from adaptxfer.tasks.kinds import get_kind
from adaptxfer.tasks.loading import load_split
from adaptxfer.tasks.registry import get_task
from adaptxfer.training.precision import resolve_precision
from adaptxfer.training.settings import TrainSettings
from adaptxfer.training.task import train
from measure import (
    StepClock,
    adapter_task_model,
    median,
    peak_memory_mib,
    reset_peak_memory,
    tick_callback,
)

BACKBONE = "e5-small"
LR, WARMUP_RATIO = 5e-4, 0.06  # adaptxfer's defaults, given to every path


@dataclass(frozen=True)
class Setup:
    steps: int
    batch_size: int
    max_length: int
    features: Any  # tokenized bible-para-en train examples: input_ids, attention_mask, labels
    device: torch.device


# -- training paths: each trains warmup + steps optimiser steps and returns its clock ----
def adaptxfer_path(
    method: str, precision: str, kernels: str = "auto"
) -> Callable[[Setup, int], StepClock]:
    def run(setup: Setup, steps: int) -> StepClock:
        task = get_task("bible-para-en")
        backbone = load_backbone(BACKBONE)
        model = adapter_task_model(task, method, backbone)
        settings = TrainSettings(
            max_steps=steps,
            lr=LR,
            warmup_ratio=WARMUP_RATIO,
            batch_size=setup.batch_size,
            max_length=setup.max_length,
            precision=precision,
            kernels=kernels,
        )
        clock = StepClock()
        train(
            model, get_kind(task.kind), setup.features, backbone.tokenizer, settings, seed=0,
            callbacks=[tick_callback(clock)],
        )  # fmt: skip
        return clock

    return run


def _classifier() -> Any:
    """XLM-R with HF's sequence-classification head, as a researcher would load it."""
    from transformers import AutoModelForSequenceClassification

    return AutoModelForSequenceClassification.from_pretrained(
        resolve_source(BACKBONE), num_labels=2
    )


def _trainer_args(setup: Setup, steps: int, out: str, *, grouped: bool, bf16: bool) -> Any:
    from transformers import TrainingArguments

    return TrainingArguments(
        output_dir=out,
        per_device_train_batch_size=setup.batch_size,
        max_steps=steps,
        learning_rate=LR,
        warmup_ratio=WARMUP_RATIO,
        group_by_length=grouped,
        bf16=bf16,
        use_cpu=setup.device.type == "cpu",
        save_strategy="no",
        report_to=[],
        disable_tqdm=True,
        logging_steps=10,
        dataloader_drop_last=True,
        seed=0,
    )


def _tick_callback(clock: StepClock) -> Any:
    from transformers import TrainerCallback

    class Ticks(TrainerCallback):
        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            clock.tick()

    return Ticks()


def _trainer_run(
    trainer_class: Any, model: Any, setup: Setup, steps: int, *, grouped: bool, bf16: bool
) -> StepClock:
    from transformers import DataCollatorWithPadding

    clock = StepClock()
    with tempfile.TemporaryDirectory() as out:
        trainer = trainer_class(
            model=model,
            args=_trainer_args(setup, steps, out, grouped=grouped, bf16=bf16),
            train_dataset=setup.features,
            data_collator=DataCollatorWithPadding(load_backbone_tokenizer()),
            callbacks=[_tick_callback(clock)],
        )
        clock.marks = [time.perf_counter()]
        trainer.train()
    return clock


def peft_trainer_path(*, grouped: bool, bf16: bool) -> Callable[[Setup, int], StepClock]:
    """peft LoRA r8 on query/value (adaptxfer's defaults) + HF ``Trainer``."""

    def run(setup: Setup, steps: int) -> StepClock:
        from peft import LoraConfig, get_peft_model
        from transformers import Trainer

        lora = LoraConfig(
            task_type="SEQ_CLS", r=8, lora_alpha=16, lora_dropout=0.05,
            target_modules=["query", "value"],
        )  # fmt: skip
        model = get_peft_model(_classifier(), lora)
        return _trainer_run(Trainer, model, setup, steps, grouped=grouped, bf16=bf16)

    return run


def adapters_trainer_path(*, bf16: bool) -> Callable[[Setup, int], StepClock]:
    """adapters seq_bn (reduction 16, adaptxfer's default) + ``AdapterTrainer``."""

    def run(setup: Setup, steps: int) -> StepClock:
        import adapters
        from adapters import AdapterTrainer, SeqBnConfig

        model = _classifier()
        adapters.init(model)
        model.add_adapter("bench", config=SeqBnConfig(reduction_factor=16))
        model.train_adapter("bench")
        assert "bench" in str(model.active_adapters), model.active_adapters
        return _trainer_run(AdapterTrainer, model, setup, steps, grouped=True, bf16=bf16)

    return run


def load_backbone_tokenizer() -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(resolve_source(BACKBONE), fix_mistral_regex=False)


def training_paths(device: torch.device) -> dict[str, Callable[[Setup, int], StepClock]]:
    native = resolve_precision("auto", device) == "bf16"
    paths = {
        "adaptxfer LoRA (precision auto)": adaptxfer_path("lora", "auto"),
        "adaptxfer LoRA fp32": adaptxfer_path("lora", "fp32"),
        "adaptxfer LoRA (precision auto), torch kernels": adaptxfer_path("lora", "auto", "torch"),
        "peft + Trainer, default sampler": peft_trainer_path(grouped=False, bf16=False),
        "peft + Trainer, group_by_length": peft_trainer_path(grouped=True, bf16=False),
        "adaptxfer seq_bn (precision auto)": adaptxfer_path("seq_bn", "auto"),
        "adaptxfer seq_bn fp32": adaptxfer_path("seq_bn", "fp32"),
        "adaptxfer seq_bn (precision auto), torch kernels": adaptxfer_path(
            "seq_bn", "auto", "torch"
        ),
        "adapters + AdapterTrainer, group_by_length": adapters_trainer_path(bf16=False),
    }
    if native:
        paths["peft + Trainer, group_by_length, bf16"] = peft_trainer_path(grouped=True, bf16=True)
        paths["adapters + AdapterTrainer, group_by_length, bf16"] = adapters_trainer_path(bf16=True)
    return paths


def training(
    setup: Setup,
    rounds: int,
    warmup: int,
    only: str | None = None,
    matching: list[str] | None = None,
) -> dict[str, dict[str, float]]:
    paths = training_paths(setup.device)
    if only is not None:
        paths = {only: paths[only]}
    if matching:
        paths = {k: v for k, v in paths.items() if any(m in k for m in matching)}
    times: dict[str, list[float]] = {name: [] for name in paths}
    peaks: dict[str, float] = {name: 0.0 for name in paths}
    for r in range(rounds):
        for name, run in paths.items():
            reset_peak_memory(setup.device)
            clock = run(setup, setup.steps + warmup)
            peaks[name] = max(peaks[name], peak_memory_mib(setup.device))
            step_times = clock.step_times(warmup)
            times[name] += step_times
            print(f"  round {r + 1} {name}: {median(step_times):.3f} s/step", flush=True)
    return {
        name: {"s_per_step": median(t), "steps_timed": len(t), "peak_mib": peaks[name]}
        for name, t in times.items()
    }


def memory_per_process(args: argparse.Namespace) -> dict[str, float]:
    """Each path's peak memory, alone in a child process (a few steps: the peak is
    reached in the first ones)."""
    import subprocess
    import sys

    peaks = {}
    for name in training_paths(torch.device(default_device())):
        command = [
            sys.executable, __file__, "--memory-of", name, "--steps", "2", "--warmup", "1",
            "--rounds", "1", "--batch-size", str(args.batch_size),
            "--max-length", str(args.max_length),
        ]  # fmt: skip
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        record = json.loads(out.strip().splitlines()[-1])
        peaks[name] = record["training"][name]["peak_mib"]
        print(f"  {name}: peak {peaks[name]:.0f} MiB", flush=True)
    return peaks


def _table(rows: dict[str, dict[str, float]], base: str) -> None:
    base = base if base in rows else next(iter(rows))
    print(f"\nTraining, s/step (lower is better); ratio = s/step over {base}'s")
    print(f"{'path':<52}{'s/step':>10}{'ratio':>10}")
    for name, row in rows.items():
        ratio = row["s_per_step"] / rows[base]["s_per_step"]
        print(f"{name:<52}{row['s_per_step']:>10.3f}{ratio:>9.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="timed steps per path and round")
    parser.add_argument("--warmup", type=int, default=3, help="untimed first steps")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument(
        "--memory", action="store_true", help="peak memory instead: each path in a fresh process"
    )
    parser.add_argument("--memory-of", help=argparse.SUPPRESS)  # the child of --memory
    parser.add_argument("--paths", nargs="+", help="only paths whose name contains one of these")
    args = parser.parse_args()
    device = torch.device(default_device())
    record: dict[str, Any] = {"args": vars(args), "environment": environment(str(device))}

    if args.memory_of is None and args.memory:
        record["memory"] = memory_per_process(args)
    else:
        task = get_task("bible-para-en")
        kind = get_kind(task.kind)
        examples = (args.steps + args.warmup) * args.batch_size
        data = load_split(task, "en", "train", seed=0, max_examples=examples)
        tokenizer = load_backbone_tokenizer()
        features = kind.featurize(task, data, tokenizer, args.max_length, train=True)
        setup = Setup(args.steps, args.batch_size, args.max_length, features, device)
        print(f"Training: {BACKBONE}, bible-para-en, {len(features)} examples, batch "
              f"{args.batch_size}, max length {args.max_length}", flush=True)  # fmt: skip
        rows = training(setup, args.rounds, args.warmup, args.memory_of, args.paths)
        if args.memory_of is None:
            _table(rows, "adaptxfer LoRA (precision auto)")
        record["training"] = rows
    print("\n" + json.dumps(record))


if __name__ == "__main__":
    main()
