"""Masked-LM training of a MAD-X language adapter on the frozen backbone.

Two stages, so that the before/after comparison measures the adapter alone:
1. fit the new MLM transform head (:mod:`.mlm_head`) on the frozen backbone, no adapter
   (the converted backbone has no pretrained MLM head to reuse, as MAD-X does);
2. add the invertible ``seq_bn`` adapter and train only it, head and backbone frozen.
Held-out (dev-book) masked-token loss and accuracy are scored, with the same masks, for
the backbone alone, the untrained adapter and the trained adapter.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch

from adaptxfer.backbones import prepare_quantized_for_training
from adaptxfer.language.mlm_head import TiedMaskedLMHead
from adaptxfer.language.settings import LanguageAdapterSettings
from adaptxfer.language.texts import language_texts, resolve_translation

if TYPE_CHECKING:
    from torch import nn

    from adaptxfer.backbones import LoadedBackbone

Batch = dict[str, torch.Tensor]


def language_adapter_config(settings: LanguageAdapterSettings):  # -> adapters.SeqBnInvConfig
    import adapters

    return adapters.SeqBnInvConfig(
        reduction_factor=settings.reduction_factor,
        non_linearity=settings.non_linearity,
        inv_adapter=settings.inv_adapter,
        inv_adapter_reduction_factor=settings.inv_adapter_reduction_factor,
    )


def ensure_adapters(model: nn.Module) -> None:
    """``adapters.init`` once (a second init would add a second set of hooks)."""
    import adapters

    if not hasattr(model, "adapters_config"):
        adapters.init(model)


def adapter_parameters(model: nn.Module, name: str) -> dict[str, torch.nn.Parameter]:
    """The parameters of adapter ``name``: its bottleneck layers and invertible adapter."""
    needles = (f".adapters.{name}.", f"invertible_adapters.{name}.")
    return {n: p for n, p in model.named_parameters() if any(s in n for s in needles)}


@dataclass
class TrainedLanguageAdapter:
    """The training process's model (backbone + adapter ``name``), head and numbers."""

    name: str
    lang: str
    translation: str
    model: nn.Module
    head: TiedMaskedLMHead
    metrics: dict[str, Any] = field(default_factory=dict)


def _tokenized(tokenizer: Any, texts: Sequence[str], max_length: int) -> list[dict[str, Any]]:
    # the special-token masks come from the tokenizer here; else the collator rebuilds
    # them token by token in Python for every batch
    encoded = tokenizer(
        list(texts), truncation=True, max_length=max_length, return_special_tokens_mask=True
    )
    return [
        {"input_ids": ids, "special_tokens_mask": special}
        for ids, special in zip(encoded["input_ids"], encoded["special_tokens_mask"], strict=True)
    ]


def _collator(tokenizer: Any, settings: LanguageAdapterSettings, seed: int) -> Any:
    from transformers import DataCollatorForLanguageModeling

    return DataCollatorForLanguageModeling(
        tokenizer,
        mlm=True,
        mlm_probability=settings.mlm_probability,
        seed=seed,
        return_tensors="pt",
    )


def _batches(
    rows: list[dict[str, Any]], collate: Any, batch_size: int, seed: int
) -> Iterator[Batch]:
    """Shuffled batches, reshuffled every epoch, masked afresh each time, forever."""
    generator = torch.Generator().manual_seed(seed)
    size = min(batch_size, len(rows))
    while True:
        order = torch.randperm(len(rows), generator=generator).tolist()
        for start in range(0, len(order) - size + 1, size):  # drop a short last batch
            yield collate([rows[i] for i in order[start : start + size]])


def _fixed_batches(rows: list[dict[str, Any]], collate: Any, batch_size: int) -> list[Batch]:
    """Held-out batches masked once, so every model is scored on the same masks."""
    return [collate(rows[i : i + batch_size]) for i in range(0, len(rows), batch_size)]


def _autocast(device: torch.device):
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return torch.autocast("cpu", enabled=False)


def _step_loss(
    model: nn.Module, head: TiedMaskedLMHead, batch: Batch
) -> tuple[torch.Tensor, int, int]:
    device = head.bias.device
    with _autocast(device):
        hidden = model(
            input_ids=batch["input_ids"].to(device),
            attention_mask=batch["attention_mask"].to(device),
        ).last_hidden_state
        return head(hidden.float(), batch["labels"].to(device))


@torch.no_grad()
def evaluate_mlm(
    model: nn.Module, head: TiedMaskedLMHead, batches: Sequence[Batch]
) -> dict[str, float]:
    """Masked-token cross-entropy (per token) and accuracy (percent) on fixed batches."""
    was_training = model.training
    model.eval()
    head.eval()
    total_loss, correct, count = 0.0, 0, 0
    for batch in batches:
        loss, right, n = _step_loss(model, head, batch)
        total_loss += float(loss) * n
        correct += right
        count += n
    model.train(was_training)
    return {
        "loss": round(total_loss / max(count, 1), 4),
        "accuracy": round(100.0 * correct / max(count, 1), 2),
        "masked_tokens": count,
    }


def _fit(
    model: nn.Module,
    head: TiedMaskedLMHead,
    params: list[torch.nn.Parameter],
    batches: Iterator[Batch],
    steps: int,
    lr: float,
    settings: LanguageAdapterSettings,
) -> dict[str, Any]:
    from transformers import get_linear_schedule_with_warmup

    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    scheduler = get_linear_schedule_with_warmup(
        optimizer, int(settings.warmup_ratio * steps), steps
    )
    model.train()
    head.train()
    losses: list[float] = []
    running: list[float] = []
    start = time.perf_counter()
    for step in range(1, steps + 1):
        loss, _, _ = _step_loss(model, head, next(batches))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, settings.max_grad_norm)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        running.append(loss.detach().item())
        if step % 10 == 0 or step == steps:
            losses.append(round(sum(running) / len(running), 4))
            running.clear()
    seconds = time.perf_counter() - start
    model.eval()
    head.eval()
    return {
        "steps": steps,
        "seconds": round(seconds, 2),
        "steps_per_second": round(steps / seconds, 3) if seconds > 0 else None,
        "trainable_parameters": sum(p.numel() for p in params),
        "loss_curve": losses,
    }


def train_language_adapter(
    backbone: LoadedBackbone,
    lang: str,
    settings: LanguageAdapterSettings,
    *,
    name: str | None = None,
) -> TrainedLanguageAdapter:
    """Train a language adapter ``name`` (default: ``lang``) into ``backbone.model``.

    The backbone stays frozen and bit-identical; afterwards the model holds the trained
    adapter, active, and is in eval mode.
    """
    from adaptxfer.seeding import seed_everything, seeded

    name = name or lang
    translation = resolve_translation(lang, settings.translation)
    seed_everything(settings.seed)  # dropout while fitting
    model, tokenizer = backbone.model, backbone.tokenizer
    train_texts = language_texts(
        lang, "train", translation=translation, n=settings.max_texts, seed=settings.seed
    )
    dev_texts = language_texts(
        lang, "dev", translation=translation, n=settings.eval_texts, seed=settings.seed
    )
    train_rows = _tokenized(tokenizer, train_texts, settings.max_length)
    dev = _fixed_batches(
        _tokenized(tokenizer, dev_texts, settings.max_length),
        _collator(tokenizer, settings, settings.seed + 1),
        settings.batch_size,
    )
    batches = _batches(
        train_rows,
        _collator(tokenizer, settings, settings.seed),
        settings.batch_size,
        settings.seed,
    )

    ensure_adapters(model)
    with seeded(settings.seed, "mlm-head", lang):
        head = TiedMaskedLMHead(model).to(backbone.device)
    metrics: dict[str, Any] = {
        "lang": lang,
        "translation": translation,
        "train_texts": len(train_texts),
        "eval_texts": len(dev_texts),
    }
    model.set_active_adapters(None)
    if settings.head_steps:
        head_params = list(head.parameters())
        metrics["head_training"] = _fit(
            model, head, head_params, batches, settings.head_steps, settings.head_lr, settings
        )
    head.requires_grad_(False)
    metrics["mlm_backbone_only"] = evaluate_mlm(model, head, dev)

    with seeded(settings.seed, "language-adapter", lang):
        model.add_adapter(name, config=language_adapter_config(settings))
    model.train_adapter(name)  # freezes everything else, activates ``name``
    prepare_quantized_for_training(model)
    params = list(adapter_parameters(model, name).values())
    trainable = [p for p in model.parameters() if p.requires_grad]
    if {id(p) for p in trainable} != {id(p) for p in params}:
        raise RuntimeError(f"adapters left parameters other than adapter {name!r} trainable")
    metrics["mlm_before"] = evaluate_mlm(model, head, dev)
    metrics["adapter_training"] = _fit(
        model, head, params, batches, settings.max_steps, settings.lr, settings
    )
    metrics["mlm_after"] = evaluate_mlm(model, head, dev)
    for p in params:
        p.requires_grad_(False)
    model.eval()
    return TrainedLanguageAdapter(name, lang, translation, model, head, metrics)
