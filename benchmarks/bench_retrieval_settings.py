"""Which sentence vectors the frozen default backbone retrieves and mines best with:
adaptxfer's default (mean pooling of the middle layer), XTREME's script settings
(``eval.retrieval_preset: xtreme``: Tatoeba mean pooling of hidden state depth/2 + 2, BUCC
first-token pooling of hidden state depth - 4) and the last layer, on the offline Bible
retrieval (Tatoeba-style, accuracy@1 of English queries) and mining (BUCC-style, F1 at the
dev-tuned threshold) targets. No training: the backbone alone, as the baseline arm.

Run:  python benchmarks/bench_retrieval_settings.py [--languages de fr sw] [--verses 250]
Prints a table and one JSON line (versions, device, numbers) for the record.
"""

from __future__ import annotations

import argparse
import json

from adaptxfer.backbones import default_device, load_backbone
from adaptxfer.experiment import EVAL_DATA_SEED
from adaptxfer.results import environment
from adaptxfer.tasks.kinds import get_kind
from adaptxfer.tasks.loading import load_split
from adaptxfer.tasks.model import TaskModel
from adaptxfer.tasks.registry import get_task
from adaptxfer.tasks.settings import EvalSettings

SETTINGS = {
    "default (mean, middle layer)": {},
    "xtreme preset": {"retrieval_preset": "xtreme"},
    "mean, last layer": {"layer": -1},
}


def scores(languages: list[str], examples: dict[str, int]) -> dict[str, dict[str, float]]:
    """Average over ``languages`` of each target's headline, per setting."""
    backbone = load_backbone("e5-small")
    model = TaskModel(backbone.model, None)
    out: dict[str, dict[str, float]] = {}
    for label, options in SETTINGS.items():
        settings = EvalSettings(batch_size=64, **options)
        row = {}
        for name, metric in (("bible-tatoeba", "accuracy"), ("bible-bucc", "f1")):
            task, kind = get_task(name), get_kind(get_task(name).kind)
            values = []
            for lang in languages:
                splits = {
                    split: load_split(
                        task, lang, split, seed=EVAL_DATA_SEED, max_examples=examples[name]
                    )
                    for split in kind.eval_splits(settings)
                }
                result = kind.evaluate(task, model, splits, backbone.tokenizer, settings, lang)
                values.append(result[metric])
                print(f"  {label} {name} {lang}: {result[metric]:.1f}", flush=True)
            row[name] = sum(values) / len(values)
        out[label] = row
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--languages", nargs="+", default=["de", "fr", "sw", "hi", "ja"])
    parser.add_argument("--verses", type=int, default=250, help="Tatoeba pairs per language")
    parser.add_argument("--gold", type=int, default=100, help="BUCC gold pairs per language")
    args = parser.parse_args()
    results = scores(args.languages, {"bible-tatoeba": args.verses, "bible-bucc": args.gold})
    print(f"languages: {' '.join(args.languages)}; average over languages, percent")
    print(f"{'setting':<30} {'bible-tatoeba acc':>18} {'bible-bucc F1':>14}")
    for label, row in results.items():
        print(f"{label:<30} {row['bible-tatoeba']:>18.1f} {row['bible-bucc']:>14.1f}")
    record = {"environment": environment(default_device()), "args": vars(args), **results}
    print(json.dumps(record))


if __name__ == "__main__":
    main()
