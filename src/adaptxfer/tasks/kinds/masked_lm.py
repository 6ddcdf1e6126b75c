"""Masked-LM as a task kind: continued masked-language-model training on unlabelled text,
so that ``mlm@lang`` can be an intermediate task or a member of a multi-task mixture.

The head is MAD-X's (:class:`adaptxfer.language_adapters.mlm_head.TiedMaskedLMHead`): a new
transform, a vocabulary projection tied to the frozen word embeddings, logits only at
masked positions. 15 % of tokens are masked (BERT's 80/10/10), by a collator with a fixed
seed, so a data stream (and a resumed one) masks the same tokens, and every model is
scored on the same masks. The score is masked-token accuracy, in percent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import torch
from torch.nn import functional as F

from adaptxfer.tasks.kinds.base import TaskKind

if TYPE_CHECKING:
    from adaptxfer.tasks.model import TaskModel
    from adaptxfer.tasks.settings import EvalSettings
    from adaptxfer.tasks.spec import TaskSpec

MLM_PROBABILITY = 0.15
MASKING_SEED = 0
IGNORED = -100


class MaskedLMKind(TaskKind):
    name = "masked_lm"
    columns = ("text",)

    def head_config(self, task: TaskSpec, hidden_size: int) -> dict[str, Any]:
        raise NotImplementedError("the masked-LM head is sized by the vocabulary too")

    def head_config_for(self, task: TaskSpec, backbone: Any) -> dict[str, Any]:
        config = backbone.model.config
        return {
            "type": "masked-lm",
            "hidden_size": backbone.hidden_size,
            "vocab_size": int(config.vocab_size),
            "layer_norm_eps": float(config.layer_norm_eps),
        }

    def featurize(
        self, task: TaskSpec, data: Any, tokenizer: Any, max_length: int, *, train: bool
    ) -> Any:
        def encode(rows: dict[str, list[Any]]) -> dict[str, Any]:
            return tokenizer(
                rows["text"],
                truncation=True,
                max_length=max_length,
                return_special_tokens_mask=True,
            )

        return data.map(encode, batched=True, remove_columns=data.column_names)

    def collator(self, tokenizer: Any) -> Callable[[list[dict[str, Any]]], dict[str, torch.Tensor]]:
        from transformers import DataCollatorForLanguageModeling

        return DataCollatorForLanguageModeling(
            tokenizer,
            mlm=True,
            mlm_probability=MLM_PROBABILITY,
            seed=MASKING_SEED,
            return_tensors="pt",
        )

    def logits(self, model: TaskModel, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Vocabulary logits at the masked positions only (row-major order)."""
        hidden = model.hidden_states(batch["input_ids"], batch["attention_mask"])
        head = model.head.bind(model.encoder)
        return head.logits(hidden[batch["labels"] != IGNORED])

    def loss(self, logits: torch.Tensor, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        labels = batch["labels"]
        return F.cross_entropy(logits, labels[labels != IGNORED])

    def evaluate(
        self,
        task: TaskSpec,
        model: TaskModel,
        splits: Mapping[str, Any],
        tokenizer: Any,
        settings: EvalSettings,
        lang: str,
    ) -> dict[str, float]:
        from adaptxfer.training.precision import autocast, resolve_precision

        features = self.featurize(
            task, splits[settings.split], tokenizer, settings.max_length, train=False
        )
        rows = list(features.with_format(None))
        collate = self.collator(tokenizer)  # a fresh seed: the same masks for every model
        device = model.device
        precision = resolve_precision(settings.precision, device, setting="eval.precision")
        correct = total = 0
        loss_sum = 0.0
        was_training = model.training
        model.eval()
        try:
            with torch.inference_mode(), autocast(precision, device):
                for start in range(0, len(rows), settings.batch_size):
                    batch = collate(rows[start : start + settings.batch_size])
                    batch = {k: v.to(device) for k, v in batch.items()}
                    logits = self.logits(model, batch).float()
                    labels = batch["labels"][batch["labels"] != IGNORED]
                    correct += int((logits.argmax(-1) == labels).sum())
                    loss_sum += float(F.cross_entropy(logits, labels, reduction="sum"))
                    total += int(labels.numel())
        finally:
            model.train(was_training)
        return {
            "masked_accuracy": 100.0 * correct / max(total, 1),
            "masked_loss": loss_sum / max(total, 1),
            "masked_tokens": float(total),
        }
