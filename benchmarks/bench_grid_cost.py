"""Grid cost: an N × M intermediate × target grid run by ``adaptxfer grid`` (each
intermediate adapter trained once and shared by its M cells, one baseline per target) vs.
one run per pair, which is what a user without the grid runs (``adaptxfer run`` on each
pair recipe: every pair trains its intermediate adapter, its target adapter and its own
baseline again).

    python benchmarks/bench_grid_cost.py                     # 2 x 2, few steps
    python benchmarks/bench_grid_cost.py --intermediates vitaminc siqa-offline gsm8k-offline \\
        --targets bible-para-x pos-x --intermediate-steps 40 --target-steps 20

Both paths run the real CLI in subprocesses, one after the other, in this invocation, on
the offline default backbone; a pair is a one-cell grid, the same cell ``adaptxfer run``
would run. Prints adapter trainings and wall time for both, their ratios, and whether
every cell scores the same both ways (it must: the same seed gives the same adapters).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BASE_RECIPE = ROOT / "recipes" / "bible" / "para-en_to_para-x.yaml"


def grid_text(name: str, intermediates: list[str], targets: list[str], args) -> str:
    """A grid file: the offline main job's recipe with this benchmark's budget."""
    grid = {
        "name": name,
        "base": str(BASE_RECIPE),
        "set": {
            "intermediate.train.max_steps": args.intermediate_steps,
            "target.train.max_steps": args.target_steps,
            "eval.max_examples": args.eval_examples,
            "train.dev_examples": args.dev_examples,
        },
        "intermediates": intermediates,
        "targets": targets,
        "compositions": ["sequential"],
        "languages": [args.language],
        "seeds": [args.seed],
        "baseline": True,
    }
    return yaml.safe_dump(grid, sort_keys=False)


def run_grid(grid_file: Path, out: Path) -> float:
    """Run ``adaptxfer grid`` in a subprocess; its wall time in seconds."""
    cli = "import sys; from adaptxfer.cli import main; sys.exit(main(sys.argv[1:]))"
    command = [sys.executable, "-c", cli, "grid", str(grid_file), "-o", str(out)]
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return seconds


def intermediate_trainings(grid_dir: Path) -> int:
    """Intermediate adapters the grid trained: the finished adapters in its store."""
    return len(list((grid_dir / "store").glob("*/artifact.json")))


def cell_scores(grid_dir: Path) -> dict[tuple[str, str, str], float]:
    """(target, intermediate or "baseline", seed) -> the cell's average score."""
    scores: dict[tuple[str, str, str], float] = {}
    for path in (grid_dir / "cells").glob("*/*/*/results.json"):
        results = json.loads(path.read_text(encoding="utf-8"))
        labels = results["labels"]
        (arm,) = results["arms"]
        key = (labels["target"], labels.get("intermediate") or "baseline", labels["seed"])
        scores[key] = results["summary"][arm]["average"]["mean"]
    return scores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--intermediates", nargs="+", default=["bible-para-en", "vitaminc"])
    parser.add_argument("--targets", nargs="+", default=["bible-para-x", "pos-x"])
    parser.add_argument("--intermediate-steps", type=int, default=20)
    parser.add_argument("--target-steps", type=int, default=10)
    parser.add_argument("--eval-examples", type=int, default=60)
    parser.add_argument("--dev-examples", type=int, default=50)
    parser.add_argument("--language", default="de")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="keep the runs here (default: a temp dir)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-grid-cost-") as scratch:
        out = args.out or Path(scratch)
        out.mkdir(parents=True, exist_ok=True)
        n, m = len(args.intermediates), len(args.targets)

        grid_file = out / "grid.yaml"
        grid_file.write_text(grid_text("grid", args.intermediates, args.targets, args))
        grid_dir = out / "grid"
        grid_seconds = run_grid(grid_file, grid_dir)
        grid_scores = cell_scores(grid_dir)
        grid_trainings = (intermediate_trainings(grid_dir), len(grid_scores))

        pair_seconds, pair_scores, pair_trainings = 0.0, {}, [0, 0]
        for intermediate in args.intermediates:
            for target in args.targets:
                name = f"{intermediate}__{target}"
                pair_file = out / f"{name}.yaml"
                pair_file.write_text(grid_text(name, [intermediate], [target], args))
                pair_dir = out / "pairs" / name
                pair_seconds += run_grid(pair_file, pair_dir)
                scores = cell_scores(pair_dir)
                pair_trainings[0] += intermediate_trainings(pair_dir)
                pair_trainings[1] += len(scores)
                for key, value in scores.items():
                    pair_scores.setdefault(key, []).append(value)

    print(f"grid: {n} intermediates x {m} targets, seed {args.seed}, language {args.language}, "
          f"{args.intermediate_steps} intermediate / {args.target_steps} target steps")  # fmt: skip
    print("| path | intermediate adapters trained | target adapters trained | wall time (s) |")
    print("|---|---:|---:|---:|")
    print(f"| adaptxfer grid (reuse) | {grid_trainings[0]} | {grid_trainings[1]} "
          f"| {grid_seconds:.0f} |")  # fmt: skip
    print(f"| one run per pair | {pair_trainings[0]} | {pair_trainings[1]} | {pair_seconds:.0f} |")
    total_grid, total_pairs = sum(grid_trainings), sum(pair_trainings)
    print(f"adapter trainings: {total_pairs} vs {total_grid} ({total_pairs / total_grid:.2f}x fewer); "
          f"wall time: {pair_seconds / grid_seconds:.2f}x faster with the grid")  # fmt: skip

    differing = [
        (key, grid_scores.get(key), values)
        for key, values in sorted(pair_scores.items())
        if any(abs(v - grid_scores.get(key, float("nan"))) > 1e-9 for v in values)
        or key not in grid_scores
    ]
    if differing:
        for key, grid_value, values in differing:
            print(f"differs: {key}: grid {grid_value}, per pair {values}")
        return 1
    print(f"scores: all {len(pair_scores)} cells agree (each pair's baseline included)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
