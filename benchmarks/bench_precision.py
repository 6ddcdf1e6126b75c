"""Does a speed setting learn as well as the plain one? The main job's intermediate phase
(LoRA on ``bible-para-en``, the recipe's own settings) trained through adaptxfer's real
path both ways, alternating, per seed: dev accuracy (the recipe's ``dev_examples``), final
training loss and s/step. ``--compare precision`` (default): ``train.precision: fp32`` vs
``bf16``; ``--compare kernels``: ``train.kernels: torch`` vs ``auto`` (adaptxfer's CPU
training kernels, :mod:`adaptxfer.training.cpu_kernels`), both at precision ``auto``.

Run:  python benchmarks/bench_precision.py [--steps 100] [--seeds 0 1] [--compare kernels]
Prints a table and one JSON line (versions, device, numbers) for the record.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

os.environ.setdefault("ADAPTXFER_PROGRESS", "0")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from adaptxfer.artifacts import Manifest
from adaptxfer.backbones import default_device
from adaptxfer.experiment import intermediate_artifact
from adaptxfer.recipes.loading import load_recipe
from adaptxfer.results import environment
from adaptxfer.store import AdapterStore

RECIPE = Path(__file__).resolve().parents[1] / "recipes/bible/para-en_to_para-x.yaml"


# what each comparison trains: variant name -> recipe overrides
COMPARISONS: dict[str, dict[str, list[str]]] = {
    "precision": {p: [f"train.precision={p}", f"eval.precision={p}"] for p in ("fp32", "bf16")},
    "kernels": {k: [f"train.kernels={k}"] for k in ("torch", "auto")},
}


def train_once(overrides: list[str], steps: int, seed: int) -> dict[str, float]:
    recipe = load_recipe(RECIPE, [*overrides, f"intermediate.train.max_steps={steps}"])
    with tempfile.TemporaryDirectory() as root:
        store = AdapterStore(Path(root))
        artifact = intermediate_artifact(recipe, recipe.intermediate.tasks[:1], seed, store)
        metrics = Manifest.read(artifact).metrics
    report = metrics["train"]
    return {
        "dev_accuracy": metrics["dev"]["accuracy"],
        "final_loss": report["final_loss"],
        "s_per_step": report["seconds"] / report["steps"],
        "precision_ran": report["precision"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--compare", choices=sorted(COMPARISONS), default="precision")
    args = parser.parse_args()
    rows = []
    for seed in args.seeds:
        for variant, overrides in COMPARISONS[args.compare].items():
            row = {"seed": seed, args.compare: variant, **train_once(overrides, args.steps, seed)}
            rows.append(row)
            print(json.dumps(row), flush=True)
    print(f"\nIntermediate bible-para-en, {args.steps} steps (main job's settings)")
    print(f"{'seed':<6}{args.compare:<11}{'dev acc':>9}{'final loss':>12}{'s/step':>9}")
    for r in rows:
        print(
            f"{r['seed']:<6}{r[args.compare]:<11}{r['dev_accuracy']:>9.1f}"
            f"{r['final_loss']:>12.4f}{r['s_per_step']:>9.2f}"
        )
    record = {"args": vars(args), "rows": rows, "environment": environment(default_device())}
    print("\n" + json.dumps(record))


if __name__ == "__main__":
    main()
