"""Memory: vocabulary pruning on the default backbone, gradient checkpointing, and the
arithmetic behind "XLM-R large QLoRA at length 256 in 4 GB" and "XXL adapters in 24 GB".

Parts (all by default; pick with --parts):
  vocab     rows kept by ``prune_vocab`` for the offline Bible study (every Bible recipe,
            all its languages), parameters and bytes of e5-small before and after.
  train     resident-set peak of a short LoRA training run on e5-small: full vocabulary,
            pruned, pruned + gradient checkpointing; each in a fresh process (freed memory
            stays with a CPU process). The peak is reset after loading (and pruning), so
            it is the training's own; the load peak is printed too.
  saved     bytes autograd saves for the backward of one training step (counted with
            saved-tensor hooks: exact and load-independent, unlike RSS) on random-init
            XLM-R-architecture configs of growing width, with and without gradient
            checkpointing, beside the formula of :func:`activation_bytes`.
  formula   the memory budget of XLM-R large QLoRA and XXL adapter training, term by term.

Run:  python benchmarks/bench_memory.py [--parts vocab train saved formula] [--steps 8]
Prints tables and one JSON line (versions, device, numbers) for the record.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("ADAPTXFER_PROGRESS", "0")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import torch

from adaptxfer.results import environment
from measure import adapter_task_model, peak_memory_mib, reset_peak_memory

ROOT = Path(__file__).resolve().parents[1]
BIBLE_RECIPES = sorted((ROOT / "recipes" / "bible").glob("*.yaml"))
GIB, MIB = 2**30, 2**20


# -- vocab ---------------------------------------------------------------------------
def study_kept(tokenizer: Any) -> tuple[list[int], list[str]]:
    """The ids the Bible study keeps: the union over every Bible recipe (all languages)."""
    from adaptxfer.backbones.vocab import kept_ids
    from adaptxfer.recipes.loading import load_recipe
    from adaptxfer.study_vocabulary import study_kept_ids

    found: set[int] = set()
    languages: set[str] = set()
    for path in BIBLE_RECIPES:
        recipe = load_recipe(path, ["prune_vocab=true"])
        found |= set(study_kept_ids(recipe, tokenizer))
        languages |= set(recipe.target_languages())
    return kept_ids(tokenizer, found), sorted(languages)


def vocab_part(kept_out: list[int]) -> dict[str, Any]:
    """The numbers, and the kept ids into ``kept_out`` (for the train part)."""
    from adaptxfer.backbones import load_backbone
    from adaptxfer.backbones.vocab import prune_vocabulary

    backbone = load_backbone("e5-small")
    model = backbone.model
    kept, languages = study_kept(backbone.tokenizer)
    kept_out.extend(kept)
    before = sum(p.numel() for p in model.parameters())
    rows_before = model.get_input_embeddings().num_embeddings
    prune_vocabulary(model, kept)
    after = sum(p.numel() for p in model.parameters())
    row = {
        "recipes": [p.name for p in BIBLE_RECIPES],
        "languages": languages,
        "rows_before": rows_before,
        "rows_kept": len(kept),
        "params_before": before,
        "params_after": after,
        "fp32_mib_before": before * 4 / MIB,
        "fp32_mib_after": after * 4 / MIB,
        "remap_mib": rows_before * 8 / MIB,  # the int64 id map
    }
    print(f"\nVocabulary pruning, e5-small, Bible study ({len(languages)} languages)")
    print(f"  rows: {rows_before:,} -> {len(kept):,} ({len(kept) / rows_before:.1%})")
    print(f"  parameters: {before / 1e6:.1f}M -> {after / 1e6:.1f}M")
    print(f"  fp32 bytes: {row['fp32_mib_before']:.0f} MiB -> {row['fp32_mib_after']:.0f} MiB "
          f"(+ {row['remap_mib']:.1f} MiB id map)")  # fmt: skip
    return row


# -- train ---------------------------------------------------------------------------
TRAIN_PATHS = ("full", "full+checkpointing", "pruned", "pruned+checkpointing")


def rss_parts_mib() -> dict[str, float]:
    """Resident memory now, split: anonymous (heap: what the process allocated) and file
    (mmapped files: safetensors weights are read this way; clean pages the kernel can
    drop under pressure)."""
    parts = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("RssAnon", "RssFile"):
            parts[key] = int(value.split()[0]) / 1024
    return parts


class AnonPeak:
    """The peak of anonymous resident memory, sampled every 20 ms in a thread (the kernel
    keeps a peak only of the total, VmHWM, which includes mmapped file pages)."""

    def __init__(self) -> None:
        import threading

        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss_parts_mib().get("RssAnon", 0.0))

    def __enter__(self) -> AnonPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_parts_mib().get("RssAnon", 0.0))


def train_child(
    path: str, steps: int, batch_size: int, max_length: int, kept_file: str
) -> dict[str, float]:
    """One short LoRA run on bible-para-en; the load peak and the training's own peak."""
    from adaptxfer.backbones import load_backbone
    from adaptxfer.backbones.vocab import prune_vocabulary
    from adaptxfer.tasks.kinds import get_kind
    from adaptxfer.tasks.loading import load_split
    from adaptxfer.tasks.registry import get_task
    from adaptxfer.training.settings import TrainSettings
    from adaptxfer.training.task import train

    backbone = load_backbone("e5-small")
    task = get_task("bible-para-en")
    kind = get_kind(task.kind)
    data = load_split(task, "en", "train", seed=0, max_examples=steps * batch_size)
    features = kind.featurize(task, data, backbone.tokenizer, max_length, train=True)
    if path.startswith("pruned"):
        prune_vocabulary(backbone.model, json.loads(Path(kept_file).read_text()))
    load_peak = peak_memory_mib()
    model = adapter_task_model(task, "lora", backbone)
    settings = TrainSettings(
        max_steps=steps,
        batch_size=batch_size,
        max_length=max_length,
        gradient_checkpointing=path.endswith("checkpointing"),
        checkpoint_every=None,
    )
    reset_peak_memory()
    before = rss_parts_mib()
    with AnonPeak() as anon:
        train(model, kind, features, backbone.tokenizer, settings, seed=0)
    return {"load_peak_mib": load_peak, "anon_before_mib": before["RssAnon"],
            "file_before_mib": before["RssFile"], "train_peak_mib": peak_memory_mib(),
            "train_anon_peak_mib": anon.peak}  # fmt: skip


def train_part(args: argparse.Namespace, kept: list[int]) -> dict[str, Any]:
    import tempfile

    rows = {}
    kept_file = Path(tempfile.mkdtemp()) / "kept.json"
    kept_file.write_text(json.dumps(kept))
    for path in TRAIN_PATHS:
        command = [sys.executable, __file__, "--train-child", path, "--steps", str(args.steps),
                   "--batch-size", str(args.batch_size), "--max-length", str(args.max_length),
                   "--kept-file", str(kept_file)]  # fmt: skip
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        rows[path] = json.loads(out.strip().splitlines()[-1])
        print(f"  {path}: {rows[path]}", flush=True)
    print(f"\nShort LoRA training, e5-small, bible-para-en, {args.steps} steps, batch "
          f"{args.batch_size}, max length {args.max_length}: resident-set peaks (MiB)")  # fmt: skip
    print("(anon: heap the process allocated; file: mmapped weight pages, reclaimable)")
    header = ("load peak", "anon before", "file before", "train peak", "train anon peak")
    print(f"{'path':<24}" + "".join(f"{h:>17}" for h in header))
    keys = ("load_peak_mib", "anon_before_mib", "file_before_mib", "train_peak_mib",
            "train_anon_peak_mib")  # fmt: skip
    for path, row in rows.items():
        print(f"{path:<24}" + "".join(f"{row[k]:>17.0f}" for k in keys))
    return rows


# -- saved ---------------------------------------------------------------------------
def activation_bytes(
    batch: int, seq: int, hidden: int, heads: int, ffn: int, layers: int, dtype_bytes: int
) -> int:
    """What one encoder forward keeps for the backward, every layer's activations kept, on
    a frozen backbone with LoRA (or small bottleneck) adapters: per layer and token about
    ``6 h + 1.5 f + 3 a s`` values (h width, f FFN width, a heads, s length; the last
    term is the attention scores, probabilities and dropout mask). Fitted to the measured
    saved bytes of the ``saved`` part (within 2 % on its three shapes); frozen linear
    layers need not keep their inputs, so this is below the usual full-training count."""
    per_token = 6 * hidden + 1.5 * ffn + 3 * heads * seq
    return int(batch * seq * layers * per_token * dtype_bytes)


def checkpointed_bytes(
    batch: int, seq: int, hidden: int, heads: int, ffn: int, layers: int, dtype_bytes: int
) -> int:
    """With gradient checkpointing: each layer's input is kept, and during the backward
    one layer's activations exist at a time (the recomputed one)."""
    return kept_inputs_bytes(batch, seq, hidden, layers, dtype_bytes) + activation_bytes(
        batch, seq, hidden, heads, ffn, 1, dtype_bytes
    )


def kept_inputs_bytes(batch: int, seq: int, hidden: int, layers: int, dtype_bytes: int) -> int:
    return batch * seq * hidden * layers * dtype_bytes


def saved_bytes(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> int:
    """Bytes autograd saves during ``model``'s forward (distinct storages, parameters
    excluded), i.e. the activation memory the backward needs."""
    params = {p.untyped_storage().data_ptr() for p in model.parameters()}
    seen: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in params:
            seen[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = model(**batch).last_hidden_state
    out.float().pow(2).mean().backward()
    return sum(seen.values())


def saved_part(args: argparse.Namespace) -> list[dict[str, Any]]:
    from peft import LoraConfig, get_peft_model
    from transformers import XLMRobertaConfig, XLMRobertaModel

    from adaptxfer.training.activation_memory import gradient_checkpointing

    rows = []
    b, s, layers = args.batch_size, args.max_length, 4
    for hidden, heads in ((128, 4), (256, 4), (512, 8)):
        ffn = 4 * hidden
        config = XLMRobertaConfig(vocab_size=1000, hidden_size=hidden, num_hidden_layers=layers,
                                  num_attention_heads=heads, intermediate_size=ffn,
                                  max_position_embeddings=s + 2, attn_implementation="eager")  # fmt: skip
        torch.manual_seed(0)
        base = XLMRobertaModel(config, add_pooling_layer=False)
        for p in base.parameters():
            p.requires_grad_(False)
        model = get_peft_model(base, LoraConfig(r=8, target_modules=["query", "value"]))
        model.train()
        batch = {"input_ids": torch.randint(5, 1000, (b, s)),
                 "attention_mask": torch.ones(b, s, dtype=torch.long)}  # fmt: skip
        plain = saved_bytes(model, batch)
        with gradient_checkpointing(model, True):
            checkpointed = saved_bytes(model, batch)
        shape = (b, s, hidden, heads, ffn, layers, 4)
        rows.append({
            "hidden": hidden, "heads": heads, "layers": layers, "batch": b, "seq": s,
            "saved_mib": plain / MIB, "formula_mib": activation_bytes(*shape) / MIB,
            "saved_checkpointed_mib": checkpointed / MIB,
            "formula_kept_inputs_mib": kept_inputs_bytes(b, s, hidden, layers, 4) / MIB,
            "formula_checkpointed_peak_mib": checkpointed_bytes(*shape) / MIB,
        })  # fmt: skip
    print(f"\nSaved for backward, one LoRA step, fp32, batch {b}, length {s}, {layers} "
          "layers, eager attention (MiB): measured vs formula")  # fmt: skip
    print(
        "(ckpt: what stays saved with checkpointing: the layer inputs; the backward adds "
        "one recomputed layer at a time, the 'ckpt peak' formula column)"
    )
    print(f"{'hidden':>7}{'measured':>10}{'formula':>10}{'ckpt measured':>15}"
          f"{'ckpt formula':>14}{'ckpt peak':>11}")  # fmt: skip
    for r in rows:
        print(f"{r['hidden']:>7}{r['saved_mib']:>10.1f}{r['formula_mib']:>10.1f}"
              f"{r['saved_checkpointed_mib']:>15.1f}{r['formula_kept_inputs_mib']:>14.1f}"
              f"{r['formula_checkpointed_peak_mib']:>11.1f}")  # fmt: skip
    return rows


# -- formula -------------------------------------------------------------------------
# name: (hidden, layers, heads, ffn, vocab)
SHAPES = {
    "xlm-roberta-large": (1024, 24, 16, 4096, 250002),
    "xlm-roberta-xxl": (4096, 48, 32, 16384, 250880),
}


def budget(
    name: str,
    *,
    weight_bits: float,
    batch: int,
    seq: int,
    trainable: int,
    optimizer_bytes: float,
    checkpointing: bool,
    kept_rows: int | None = None,
    overhead_gib: float = 0.75,
) -> dict[str, float]:
    """GiB per term: frozen layer weights (``weight_bits`` per value, nf4 adds 0.5 bit of
    block scales), the embedding table (bf16: bitsandbytes does not quantise it; only the
    kept rows when pruned), trainable weights + grads + optimiser state, activations
    (bf16, attention probabilities kept: eager/SDPA-math), CUDA context and allocator
    slack (``overhead_gib``)."""
    hidden, layers, heads, ffn, vocab = SHAPES[name]
    layer_params = layers * (4 * hidden * hidden + 2 * hidden * ffn)
    bits = weight_bits + (0.5 if weight_bits == 4 else 0.0)
    rows = kept_rows if kept_rows is not None else vocab
    shape = (batch, seq, hidden, heads, ffn, layers, 2)
    acts = checkpointed_bytes(*shape) if checkpointing else activation_bytes(*shape)
    terms = {
        "layers": layer_params * bits / 8 / GIB,
        "embeddings": rows * hidden * 2 / GIB,
        "trainable": trainable * (4 + 4 + optimizer_bytes) / GIB,
        "activations": acts / GIB,
        "overhead": overhead_gib,
    }
    terms["total"] = sum(terms.values())
    return terms


def formula_part(kept_rows: int) -> dict[str, Any]:
    large_lora = 24 * 2 * (2 * 8 * 1024)  # r 8 on query and value
    xxl_lora = 48 * 2 * (2 * 8 * 4096)
    xxl_seq_bn = 48 * (2 * 4096 * 256 + 256 + 4096)  # reduction factor 16, one per layer
    cases = {
        "large QLoRA nf4, b16 s256": budget(
            "xlm-roberta-large", weight_bits=4, batch=16, seq=256, trainable=large_lora,
            optimizer_bytes=8, checkpointing=False),
        "large QLoRA nf4, b8 s256": budget(
            "xlm-roberta-large", weight_bits=4, batch=8, seq=256, trainable=large_lora,
            optimizer_bytes=8, checkpointing=False),
        "large QLoRA nf4, b16 s256, ckpt": budget(
            "xlm-roberta-large", weight_bits=4, batch=16, seq=256, trainable=large_lora,
            optimizer_bytes=8, checkpointing=True),
        "large QLoRA nf4, b8 s256, ckpt, pruned": budget(
            "xlm-roberta-large", weight_bits=4, batch=8, seq=256, trainable=large_lora,
            optimizer_bytes=8, checkpointing=True, kept_rows=kept_rows),
        "xxl bf16, seq_bn, b8 s256, ckpt": budget(
            "xlm-roberta-xxl", weight_bits=16, batch=8, seq=256, trainable=xxl_seq_bn,
            optimizer_bytes=8, checkpointing=True),
        "xxl bf16, seq_bn, b8 s256, ckpt, pruned, adamw_8bit": budget(
            "xlm-roberta-xxl", weight_bits=16, batch=8, seq=256, trainable=xxl_seq_bn,
            optimizer_bytes=2, checkpointing=True, kept_rows=kept_rows),
        "xxl int8, seq_bn, b8 s256, ckpt": budget(
            "xlm-roberta-xxl", weight_bits=8, batch=8, seq=256, trainable=xxl_seq_bn,
            optimizer_bytes=8, checkpointing=True),
        "xxl nf4, LoRA r8, b8 s256, ckpt": budget(
            "xlm-roberta-xxl", weight_bits=4, batch=8, seq=256, trainable=xxl_lora,
            optimizer_bytes=8, checkpointing=True),
        "xxl nf4, seq_bn, b8 s256, no ckpt": budget(
            "xlm-roberta-xxl", weight_bits=4, batch=8, seq=256, trainable=xxl_seq_bn,
            optimizer_bytes=8, checkpointing=False),
    }  # fmt: skip
    print(f"\nMemory budget (GiB), bf16 compute; pruned = {kept_rows:,} embedding rows kept")
    names = ("layers", "embeddings", "trainable", "activations", "overhead", "total")
    print(f"{'case':<54}" + "".join(f"{n:>12}" for n in names))
    for case, terms in cases.items():
        print(f"{case:<54}" + "".join(f"{terms[n]:>12.2f}" for n in names))
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", nargs="+", default=["vocab", "train", "saved", "formula"])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--train-child", choices=TRAIN_PATHS, help=argparse.SUPPRESS)
    parser.add_argument("--kept-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.train_child:
        row = train_child(
            args.train_child, args.steps, args.batch_size, args.max_length, args.kept_file
        )
        print(json.dumps(row))
        return
    record: dict[str, Any] = {"args": vars(args), "environment": environment("cpu"),
                              "load": os.getloadavg()}  # fmt: skip
    kept: list[int] = []
    if "vocab" in args.parts or "train" in args.parts:
        record["vocab"] = vocab_part(kept)
    if "train" in args.parts:
        record["train"] = train_part(args, kept)
    if "saved" in args.parts:
        record["saved"] = saved_part(args)
    if "formula" in args.parts:
        record["formula"] = formula_part(len(kept) or 30_000)
    print("\n" + json.dumps(record))


if __name__ == "__main__":
    main()
