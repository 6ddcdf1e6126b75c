"""Masked-LM training of a MAD-X language adapter on the frozen backbone.

Two stages, so that the before/after comparison measures the adapter alone:
1. fit the new MLM transform head (:mod:`.mlm_head`) on the frozen backbone, no adapter
   (the converted backbone has no pretrained MLM head to reuse, as MAD-X does);
2. add the invertible ``seq_bn`` adapter and train only it, head and backbone frozen.
Held-out (dev-book) masked-token loss and accuracy are scored, with the same masks, for
the backbone alone, the untrained adapter and the trained adapter.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from adaptxfer.backbones import prepare_quantized_for_training
from adaptxfer.language_adapters.mlm_head import TiedMaskedLMHead
from adaptxfer.language_adapters.settings import LanguageAdapterSettings
from adaptxfer.language_adapters.texts import language_texts, resolve_translation
from adaptxfer.training.callbacks import ProgressBar
from adaptxfer.training.loop import Batch, LoopSettings, ParamGroup, TrainCallback, fit
from adaptxfer.training.precision import autocast, resolve_precision

if TYPE_CHECKING:
    from torch import nn

    from adaptxfer.backbones import LoadedBackbone
    from adaptxfer.training.checkpoint import Checkpointing


def language_adapter_config(settings: LanguageAdapterSettings):  # -> adapters.SeqBnInvConfig
    import adapters

    return adapters.SeqBnInvConfig(
        reduction_factor=settings.reduction_factor,
        non_linearity=settings.non_linearity,
        inv_adapter=settings.inv_adapter,
        inv_adapter_reduction_factor=settings.inv_adapter_reduction_factor,
    )


def ensure_adapters(model: nn.Module) -> None:
    """``adapters.init`` once (a second init would add a second set of hooks), with
    adaptxfer's plugin interface where the architecture needs one (XLM-R XL/XXL)."""
    from adaptxfer.methods.interfaces import init_adapters

    init_adapters(model)


def adapter_parameters(model: nn.Module, name: str) -> dict[str, torch.nn.Parameter]:
    """The parameters of adapter ``name``: its bottleneck layers and invertible adapter."""
    needles = (f".adapters.{name}.", f"invertible_adapters.{name}.")
    return {n: p for n, p in model.named_parameters() if any(s in n for s in needles)}


CHECKPOINT_EVERY = 50  # steps between step checkpoints of a stored adapter's training


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


def mlm_loss(
    model: nn.Module, head: TiedMaskedLMHead, batch: Batch
) -> tuple[torch.Tensor, int, int]:
    """(mean masked-token cross-entropy, correct predictions, masked tokens) of a batch
    already on the model's device."""
    hidden = model(
        input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
    ).last_hidden_state
    return head(hidden.float(), batch["labels"])


@torch.no_grad()
def evaluate_mlm(
    model: nn.Module, head: TiedMaskedLMHead, batches: Sequence[Batch]
) -> dict[str, float]:
    """Masked-token cross-entropy (per token) and accuracy (percent) on fixed batches."""
    device = head.bias.device
    was_training = model.training
    model.eval()
    head.eval()
    total_loss, correct, count = 0.0, 0, 0
    precision = resolve_precision("auto", device)  # as the loop trains (LoopSettings)
    for batch in batches:
        with autocast(precision, device):
            loss, right, n = mlm_loss(model, head, {k: v.to(device) for k, v in batch.items()})
        total_loss += float(loss) * n
        correct += right
        count += n
    model.train(was_training)
    return {
        "loss": round(total_loss / max(count, 1), 4),
        "accuracy": round(100.0 * correct / max(count, 1), 2),
        "masked_tokens": count,
    }


@dataclass(frozen=True)
class Resumable:
    """Where the two stages keep step checkpoints (``folder/head``, ``folder/adapter``),
    how often, and callbacks for both stages' loops."""

    folder: Path | None = None
    every: int | None = CHECKPOINT_EVERY
    callbacks: Sequence[TrainCallback] = ()

    def checkpoints(self, stage: str, label: str) -> Checkpointing | None:
        from adaptxfer.training.checkpoint import Checkpointing

        if self.folder is None:
            return None
        return Checkpointing(self.folder / stage, self.every, label)


def _fit(
    model: nn.Module,
    head: TiedMaskedLMHead,
    group: ParamGroup,
    batches: Iterator[Batch],
    steps: int,
    settings: LanguageAdapterSettings,
    description: str,
    stage: str = "adapter",
    resumable: Resumable = Resumable(),
) -> dict[str, Any]:
    """Masked-LM training of ``group`` through the shared loop (resumably, when
    ``resumable`` names a folder); its report."""
    loop = LoopSettings(
        max_steps=steps, warmup_ratio=settings.warmup_ratio, max_grad_norm=settings.max_grad_norm
    )
    report = fit(
        [group],
        batches,
        lambda batch: mlm_loss(model, head, batch)[0],
        loop,
        device=head.bias.device,
        modules=[model, head],
        callbacks=[ProgressBar(description), *resumable.callbacks],
        checkpoints=resumable.checkpoints(stage, description),
    )
    return report.to_dict()


@dataclass(frozen=True)
class _Data:
    translation: str
    train_texts: int
    dev_texts: int
    train: Iterator[Batch]  # shuffled, masked afresh, forever
    dev: list[Batch]  # masked once


def _data(tokenizer: Any, lang: str, settings: LanguageAdapterSettings) -> _Data:
    """Train-book verses as an endless batch stream, dev-book verses as fixed batches."""
    translation = resolve_translation(lang, settings.translation)
    seed = settings.seed
    train_texts = language_texts(
        lang, "train", translation=translation, n=settings.max_texts, seed=seed
    )
    dev_texts = language_texts(
        lang, "dev", translation=translation, n=settings.eval_texts, seed=seed
    )
    dev = _fixed_batches(
        _tokenized(tokenizer, dev_texts, settings.max_length),
        _collator(tokenizer, settings, seed + 1),
        settings.batch_size,
    )
    train = _batches(
        _tokenized(tokenizer, train_texts, settings.max_length),
        _collator(tokenizer, settings, seed),
        settings.batch_size,
        seed,
    )
    return _Data(translation, len(train_texts), len(dev_texts), train, dev)


def train_language_adapter(
    backbone: LoadedBackbone,
    lang: str,
    settings: LanguageAdapterSettings,
    *,
    name: str | None = None,
    resumable: Resumable = Resumable(),
) -> TrainedLanguageAdapter:
    """Train a language adapter ``name`` (default: ``lang``) into ``backbone.model``; with
    ``resumable.folder``, each stage saves step checkpoints there and a rerun continues
    from them (the batch stream and its masks are replayed, so the result is the same).

    The backbone stays frozen and bit-identical; afterwards the model holds the trained
    adapter, active, and is in eval mode. Every random number comes from
    ``settings.seed`` (part of the store key: one adapter serves every recipe seed).
    """
    from adaptxfer.seeding import seed_everything, seeded

    name = name or lang
    seed_everything(settings.seed)  # dropout while fitting
    model = backbone.model
    data = _data(backbone.tokenizer, lang, settings)
    ensure_adapters(model)
    with seeded(settings.seed, "mlm-head", lang):
        head = TiedMaskedLMHead.for_encoder(model).to(backbone.device)
    metrics: dict[str, Any] = {
        "lang": lang,
        "translation": data.translation,
        "train_texts": data.train_texts,
        "eval_texts": data.dev_texts,
    }
    model.set_active_adapters(None)
    if settings.head_steps:
        group = ParamGroup(list(head.parameters()), settings.head_lr)
        metrics["head_training"] = _fit(
            model,
            head,
            group,
            data.train,
            settings.head_steps,
            settings,
            f"MLM head ({lang})",
            "head",
            resumable,
        )
    head.requires_grad_(False)
    metrics["mlm_backbone_only"] = evaluate_mlm(model, head, data.dev)
    params = _add_adapter(model, name, lang, settings)
    metrics["mlm_before"] = evaluate_mlm(model, head, data.dev)
    metrics["adapter_training"] = _fit(
        model,
        head,
        ParamGroup(params, settings.lr),
        data.train,
        settings.max_steps,
        settings,
        f"language adapter ({lang})",
        "adapter",
        resumable,
    )
    metrics["mlm_after"] = evaluate_mlm(model, head, data.dev)
    for p in params:
        p.requires_grad_(False)
    model.eval()
    return TrainedLanguageAdapter(name, lang, data.translation, model, head, metrics)


def _add_adapter(
    model: nn.Module, name: str, lang: str, settings: LanguageAdapterSettings
) -> list[torch.nn.Parameter]:
    """Add the invertible adapter (initialised from the settings' seed), the only thing
    trainable; its parameters."""
    from adaptxfer.seeding import seeded

    with seeded(settings.seed, "language-adapter", lang):
        model.add_adapter(name, config=language_adapter_config(settings))
    model.train_adapter(name)  # freezes everything else, activates ``name``
    prepare_quantized_for_training(model)
    params = list(adapter_parameters(model, name).values())
    trainable = [p for p in model.parameters() if p.requires_grad]
    if {id(p) for p in trainable} != {id(p) for p in params}:
        raise RuntimeError(f"adapters left parameters other than adapter {name!r} trainable")
    return params
