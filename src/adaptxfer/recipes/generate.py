"""Write the shipped recipes from one table of shared defaults and per-task settings.

The paper's grid is 9 English intermediate tasks × the 9 XTREME targets; XTREME-R adds 7
targets (its new tasks and its longer language lists); the offline Bible pairs run anywhere. Writing ~140 near-identical files by hand
invites drift, so they are generated here and committed (readable, runnable as they are):

    adaptxfer recipes --write          # or: python -m adaptxfer.recipes.generate --write
    adaptxfer recipes --check          # exit 1 when a committed file differs from this table

Settings are split so that one intermediate adapter serves every target: everything that
determines it (backbone, method, top-level ``train``, ``intermediate.train``) is the same
for all targets of a benchmark, and per-target settings live in ``target.train`` and ``eval``.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

LORA = {"name": "lora", "lora": {"r": 8, "alpha": 16, "dropout": 0.05, "target_modules": ["query", "value"]}}  # fmt: skip

# -- XTREME / XTREME-R (GPU scale; the data come from the Hub or local files) ------------------
PAPER_INTERMEDIATES = (
    "mnli", "anli-plus", "qqp", "squad", "squad-v2",
    "hellaswag", "commonsenseqa", "cosmosqa", "ccg",
)  # fmt: skip
XTREME_TARGETS = (
    "xnli", "pawsx", "udpos", "panx", "xquad", "mlqa", "tydiqa", "bucc2018", "tatoeba",
)  # fmt: skip
XTREME_R_TARGETS = (
    "xcopa", "udpos-r", "wikiann", "mewsli-x", "lareqa", "tatoeba-r", "xquad-ro",
)  # fmt: skip

XTREME_BASE: dict[str, Any] = {
    "backbone": "xlm-roberta-large",
    "quantization": "none",
    "method": LORA,
    "train": {"lr": 5.0e-4, "batch_size": 32, "max_length": 128, "warmup_ratio": 0.06},
    "eval": {"split": "test", "batch_size": 64},
    "seeds": [0, 1, 2],
}
# intermediate.train per task: longer inputs for reading comprehension and multiple choice.
INTERMEDIATE_TRAIN: dict[str, dict[str, Any]] = {
    "mnli": {"max_steps": 4000},
    "anli-plus": {"max_steps": 4000},
    "qqp": {"max_steps": 4000},
    "squad": {"max_steps": 4000, "max_length": 384},
    "squad-v2": {"max_steps": 4000, "max_length": 384},
    "hellaswag": {"max_steps": 4000, "max_length": 192},
    "commonsenseqa": {"max_steps": 2000, "max_length": 96},
    "cosmosqa": {"max_steps": 4000, "max_length": 256},
    "ccg": {"max_steps": 4000},
}
# The paper's best setting: ONE adapter on the mixture of the intermediate tasks (CCG is
# left out: its data are licensed, local files only; add it with --set when you have it).
MULTITASK = tuple(task for task in PAPER_INTERMEDIATES if task != "ccg")
MULTITASK_TRAIN: dict[str, Any] = {"max_steps": 16000, "max_length": 384}
QA = {"train": {"max_steps": 4000, "max_length": 384}, "eval": {"max_length": 384, "doc_stride": 128}}  # fmt: skip
# target.train and eval per target; an empty train: the target is read from the encoder.
TARGETS: dict[str, dict[str, Any]] = {
    "xnli": {"train": {"max_steps": 4000}},
    "pawsx": {"train": {"max_steps": 2000}},
    "udpos": {"train": {"max_steps": 2000}},
    "panx": {"train": {"max_steps": 2000}},
    "xquad": QA,
    "mlqa": QA,
    "tydiqa": {"train": {"max_steps": 1000, "max_length": 384}, "eval": QA["eval"]},
    "bucc2018": {},
    "tatoeba": {},
    "xcopa": {"train": {"max_steps": 1000}},
    "udpos-r": {"train": {"max_steps": 2000}},
    "wikiann": {"train": {"max_steps": 2000}},
    "mewsli-x": {},
    "lareqa": {},
    "tatoeba-r": {},
    "xquad-ro": QA,
}

# -- offline Bible pairs (tuned for <= 10 min on 2 CPU cores) ----------------------------------
BIBLE_BASE: dict[str, Any] = {
    "backbone": "e5-small",
    "quantization": "none",
    "method": LORA,
    "intermediate": {"tasks": ["bible-para-en"], "train": {"max_steps": 100}},
    "train": {
        "lr": 1.0e-3,
        "batch_size": 16,
        "max_length": 128,
        "warmup_ratio": 0.06,
        "dev_examples": 300,
    },
    "eval": {"split": "test", "max_examples": 250, "batch_size": 64},
    "seeds": [0],
}
BIBLE: dict[str, dict[str, Any]] = {
    "para-x": {
        "task": "bible-para-x",
        "train": {"max_steps": 40, "max_train_examples": 256},
        "summary": "English paraphrase (Bible verses) -> paraphrase identification in 5 other languages.",
        "override": "--set train.max_steps=50 --set seeds=[0,1]",
        "description": (
            "X-STILTs on offline data: an intermediate LoRA adapter trained on English paraphrase "
            "pairs, then trained further on a small English target set (sequential), vs. a target "
            "adapter trained on that small set alone; zero-shot in fr, es, it, de, tl."
        ),
    },
    "tatoeba": {
        "task": "bible-tatoeba",
        "summary": "English paraphrase (Bible verses) -> en<->xx verse retrieval in 21 languages.",
        "override": "--set eval.layer=-1 --set languages=[de,fr,sw]",
        "description": (
            "Does an English paraphrase adapter change the cross-lingual alignment of the encoder? "
            "Retrieval reads mean-pooled hidden states of the middle layer straight from the encoder "
            "(backbone + intermediate adapter) with no target training, as XTREME reads a middle "
            "layer for Tatoeba (eval.retrieval_preset=xtreme uses its exact layer)."
        ),
    },
    "bucc": {
        "task": "bible-bucc",
        "summary": "English paraphrase (Bible verses) -> BUCC-style parallel verse mining in 21 languages.",
        "override": "--set eval.margin_k=8 --set languages=[de,fr,sw]",
        "description": (
            "Mining translated verses hidden among distractors with the margin score (BUCC), from "
            "middle-layer mean-pooled states of the encoder with and without the English "
            "paraphrase adapter; no target training."
        ),
    },
}


class _Folded(str):
    """A long text written as a folded block (``description: >``)."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(
    _Folded, lambda dumper, text: dumper.represent_scalar("tag:yaml.org,2002:str", text, style=">")
)


@dataclass(frozen=True)
class GeneratedRecipe:
    path: str  # relative to the recipes folder
    intermediate: str
    target: str
    benchmark: str
    data: dict[str, Any]
    summary: str
    override: str


def _xtreme(benchmark: str, intermediate: str, target: str) -> GeneratedRecipe:
    settings = TARGETS[target]
    trained = bool(settings.get("train"))
    multitask = intermediate == "multitask"
    if multitask:
        phase: dict[str, Any] = {
            "tasks": list(MULTITASK),
            "mode": "multitask",
            "train": MULTITASK_TRAIN,
        }
        what = f"multi-task training on {len(MULTITASK)} English intermediate tasks at once"
    else:
        phase = {"tasks": [intermediate], "train": INTERMEDIATE_TRAIN[intermediate]}
        what = f"English intermediate task {intermediate}"
    data: dict[str, Any] = {
        "description": (
            f"{benchmark.upper()}: {what} before zero-shot transfer to {target}, vs. no "
            "intermediate task."
        ),
        "backbone": XTREME_BASE["backbone"],
        "quantization": XTREME_BASE["quantization"],
        "method": XTREME_BASE["method"],
        "intermediate": phase,
        "target": {"task": target, "train": settings["train"]} if trained else target,
        "composition": "sequential",
        "languages": "all",
        "train": XTREME_BASE["train"],
        "eval": {**XTREME_BASE["eval"], **settings.get("eval", {})},
        "seeds": XTREME_BASE["seeds"],
    }
    how = "trained on English, then" if trained else "read from the encoder (no target training),"
    return GeneratedRecipe(
        path=f"{benchmark}/{intermediate}_to_{target}.yaml",
        intermediate=intermediate,
        target=target,
        benchmark=benchmark,
        data=data,
        summary=(
            f"{'one multi-task adapter on ' + '+'.join(MULTITASK) if multitask else intermediate}"
            f" (English) -> {target}: {how} evaluated zero-shot in every language."
        ),
        override="--set backbone=e5-small --set seeds=[0] --set train.batch_size=8",
    )


def _bible(short: str) -> GeneratedRecipe:
    entry = BIBLE[short]
    target: Any = (
        {"task": entry["task"], "train": entry["train"]} if "train" in entry else entry["task"]
    )
    data: dict[str, Any] = {
        "description": entry["description"],
        "backbone": BIBLE_BASE["backbone"],
        "quantization": BIBLE_BASE["quantization"],
        "method": BIBLE_BASE["method"],
        "intermediate": BIBLE_BASE["intermediate"],
        "target": target,
        "composition": "sequential",
        "languages": "all",
        "train": BIBLE_BASE["train"],
        "eval": BIBLE_BASE["eval"],
        "seeds": BIBLE_BASE["seeds"],
    }
    return GeneratedRecipe(
        path=f"bible/para-en_to_{short}.yaml",
        intermediate="bible-para-en",
        target=entry["task"],
        benchmark="bible",
        data=data,
        summary=entry["summary"],
        override=entry["override"],
    )


def generated_recipes() -> list[GeneratedRecipe]:
    out = [_bible(short) for short in BIBLE]
    for benchmark, targets in (("xtreme", XTREME_TARGETS), ("xtreme-r", XTREME_R_TARGETS)):
        out += [
            _xtreme(benchmark, i, t) for i in (*PAPER_INTERMEDIATES, "multitask") for t in targets
        ]
    return out


def render(recipe: GeneratedRecipe) -> str:
    where = f"recipes/{recipe.path}"
    header = [
        f"# {recipe.summary}",
        f"# Run:       adaptxfer run {where}",
        f"# Override:  adaptxfer run {where} {recipe.override}",
        "# Generated from src/adaptxfer/recipes/generate.py: edit that, then `adaptxfer recipes --write`.",
    ]
    data = json.loads(json.dumps(recipe.data))  # plain copies: no anchors for shared dicts
    data["description"] = _Folded(data["description"] + "\n")
    body = yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=None,
        width=92,
        allow_unicode=True,
    )
    return "\n".join(header) + "\n" + body


def generate() -> dict[str, str]:
    """Relative path -> file text, for every generated recipe."""
    return {r.path: render(r) for r in generated_recipes()}


def differences(root: Path) -> list[str]:
    """Generated files that are missing from ``root`` or differ from the generator."""
    found = []
    for rel, text in generate().items():
        path = root / rel
        if not path.exists():
            found.append(f"{path}: missing")
        elif path.read_bytes() != text.encode("utf-8"):
            found.append(f"{path}: differs from the generator")
    return found


def write(root: Path) -> list[Path]:
    from adaptxfer.cache import atomic_write_text

    written = []
    for rel, text in generate().items():
        path = root / rel
        if not path.exists() or path.read_bytes() != text.encode("utf-8"):
            atomic_write_text(path, text)
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m adaptxfer.recipes.generate", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--root", type=Path, default=Path("recipes"), help="recipes folder")
    parser.add_argument("--write", action="store_true", help="write the files (else: check)")
    args = parser.parse_args(argv)
    if args.write:
        written = write(args.root)
        print(f"wrote {len(written)} of {len(generate())} recipes under {args.root}")
        return 0
    problems = differences(args.root)
    print("\n".join(problems) or f"all {len(generate())} generated recipes are up to date")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
