"""Zero-shot evaluation over all languages of a target: adaptxfer's evaluation against a
naive per-language loop that pads every batch to ``max_length`` in fp32, on the same model
and examples, in ONE process (paths alternate within each round; medians reported).

- classification (``bible-para-x``, a LoRA + head model): adaptxfer with ``eval.precision``
  auto and fp32 (length-sorted batches either way) vs the naive loop;
- retrieval (``bible-tatoeba``, the frozen encoder): adaptxfer as a run evaluates an arm
  (precision auto, English side encoded once for all languages), adaptxfer fp32 with the
  English side encoded per language (what it did before), and the naive loop.

Run:  python benchmarks/bench_evaluation.py [--rounds 2] [--examples 250]
Prints a table and one JSON line (versions, device, numbers) for the record.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("ADAPTXFER_PROGRESS", "0")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import torch

from adaptxfer.backbones import default_device, load_backbone
from adaptxfer.compose.assemble import Assembly
from adaptxfer.experiment import EVAL_DATA_SEED, task_model
from adaptxfer.methods import backend_library
from adaptxfer.methods.settings import MethodConfig
from adaptxfer.metrics import score
from adaptxfer.results import environment
from adaptxfer.tasks.kinds import get_kind
from adaptxfer.tasks.kinds.vector_cache import reusing_vectors
from adaptxfer.tasks.loading import load_split
from adaptxfer.tasks.model import TaskModel
from adaptxfer.tasks.registry import get_task
from adaptxfer.tasks.settings import EvalSettings
from measure import median

BACKBONE = "e5-small"
Path = Callable[[], dict[str, float]]  # one evaluation of every language: score per language


def _padded(tokenizer: Any, texts: Any, pairs: Any, length: int, device: Any) -> dict[str, Any]:
    batch = tokenizer(
        texts, pairs, padding="max_length", truncation=True, max_length=length, return_tensors="pt"
    )
    return {k: v.to(device) for k, v in batch.items()}


def naive_accuracy(
    model: Any, kind: Any, tokenizer: Any, data: Any, size: int, length: int
) -> float:
    """Batches in file order, each padded to ``length``, fp32, no_grad: what a first loop
    over a Hugging Face model looks like."""
    right = 0
    with torch.no_grad():
        for start in range(0, len(data), size):
            rows = data[start : start + size]
            batch = _padded(tokenizer, rows["sentence1"], rows["sentence2"], length, model.device)
            predicted = kind.logits(model, batch).argmax(-1).cpu()
            right += int((predicted == torch.tensor(rows["label"])).sum())
    return 100.0 * right / len(data)


def naive_vectors(
    encoder: Any, tokenizer: Any, texts: list[str], size: int, length: int, layer: int
) -> Any:
    """Mean-pooled hidden layer ``layer``, batches in file order padded to ``length``."""
    out = []
    with torch.no_grad():
        for start in range(0, len(texts), size):
            batch = _padded(tokenizer, texts[start : start + size], None, length, "cpu")
            hidden = encoder(**batch, output_hidden_states=True).hidden_states[layer]
            mask = batch["attention_mask"].unsqueeze(-1).float()
            out.append((hidden * mask).sum(1) / mask.sum(1))
    return torch.cat(out)


def classification_paths(
    languages: list[str], examples: int, size: int, length: int
) -> dict[str, Path]:
    task = get_task("bible-para-x")
    kind = get_kind(task.kind)
    config = MethodConfig(name="lora")
    backbone = load_backbone(BACKBONE)
    assembly = Assembly.create(backbone, backend_library(config))
    assembly.backend.add("adapter", config, seed=0)
    model = task_model(task, assembly, seed=0).eval()
    tokenizer = backbone.tokenizer
    data = {
        lang: load_split(task, lang, "test", seed=EVAL_DATA_SEED, max_examples=examples)
        for lang in languages
    }

    def adaptxfer(precision: str) -> Path:
        settings = EvalSettings(batch_size=size, max_length=length, precision=precision)
        return lambda: {
            lang: kind.evaluate(task, model, {"test": d}, tokenizer, settings, lang)["accuracy"]
            for lang, d in data.items()
        }

    return {
        "para-x: adaptxfer (precision auto)": adaptxfer("auto"),
        "para-x: adaptxfer fp32": adaptxfer("fp32"),
        "para-x: naive loop, fixed padding": lambda: {
            lang: naive_accuracy(model, kind, tokenizer, d, size, length)
            for lang, d in data.items()
        },
    }


def retrieval_paths(languages: list[str], examples: int, size: int, length: int) -> dict[str, Path]:
    task = get_task("bible-tatoeba")
    kind = get_kind(task.kind)
    backbone = load_backbone(BACKBONE)
    model = TaskModel(backbone.model, None)
    tokenizer = backbone.tokenizer
    layer = backbone.num_layers // 2  # adaptxfer's default: mean of the middle layer
    data = {
        lang: load_split(task, lang, "test", seed=EVAL_DATA_SEED, max_examples=examples)
        for lang in languages
    }

    def adaptxfer(precision: str, reuse: bool) -> Path:
        settings = EvalSettings(batch_size=size, max_length=length, precision=precision)

        def run() -> dict[str, float]:
            with reusing_vectors(enabled=reuse):
                return {
                    lang: kind.evaluate(task, model, {"test": d}, tokenizer, settings, lang)[
                        "accuracy"
                    ]
                    for lang, d in data.items()
                }

        return run

    def naive() -> dict[str, float]:
        scores = {}
        for lang, d in data.items():
            english = naive_vectors(
                backbone.model, tokenizer, list(d["source"]), size, length, layer
            )
            other = naive_vectors(backbone.model, tokenizer, list(d["target"]), size, length, layer)
            scores[lang] = score(task.metric, other, english, lang=lang)["accuracy"]
        return scores

    return {
        "tatoeba: adaptxfer (auto, English once)": adaptxfer("auto", reuse=True),
        "tatoeba: adaptxfer fp32, English per language": adaptxfer("fp32", reuse=False),
        "tatoeba: naive loop, fixed padding": naive,
    }


def measure(paths: dict[str, Path], rounds: int) -> dict[str, dict[str, Any]]:
    seconds: dict[str, list[float]] = {name: [] for name in paths}
    scores: dict[str, dict[str, float]] = {}
    for r in range(rounds):
        for name, run in paths.items():
            start = time.perf_counter()
            scores[name] = run()
            seconds[name].append(time.perf_counter() - start)
            print(f"  round {r + 1} {name}: {seconds[name][-1]:.1f} s", flush=True)
    return {name: {"seconds": median(s), "scores": scores[name]} for name, s in seconds.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--examples", type=int, default=250, help="per language")
    parser.add_argument("--languages", nargs="+", default=["de", "es", "fr", "it", "tl"])
    parser.add_argument("--tatoeba-languages", nargs="+", default=["de", "fr", "ru", "sw", "hi"])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--max-length", type=int, default=128)
    args = parser.parse_args()
    a = (args.examples, args.batch_size, args.max_length)
    rows = measure(classification_paths(args.languages, *a), args.rounds)
    rows |= measure(retrieval_paths(args.tatoeba_languages, *a), args.rounds)
    print(
        "\nEvaluation, seconds for all languages (lower is better); ratio = over the naive loop's"
    )
    print(f"{'path':<50}{'seconds':>9}{'ratio':>8}  mean score")
    for name, row in rows.items():
        naive = rows[name.split(":")[0] + ": naive loop, fixed padding"]["seconds"]
        mean = sum(row["scores"].values()) / len(row["scores"])
        print(f"{name:<50}{row['seconds']:>9.1f}{row['seconds'] / naive:>7.2f}x  {mean:.1f}")
    record = {"args": vars(args), "evaluation": rows, "environment": environment(default_device())}
    print("\n" + json.dumps(record))


if __name__ == "__main__":
    main()
