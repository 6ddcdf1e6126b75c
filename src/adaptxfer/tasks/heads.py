"""Task heads, built from a small serialisable config so a saved artifact can rebuild them."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from adaptxfer.errors import UnknownNameError
from adaptxfer.language_adapters.mlm_head import TiedMaskedLMHead


def pool(hidden: torch.Tensor, attention_mask: torch.Tensor, how: str) -> torch.Tensor:
    """Sentence vector from token states: the ``<s>`` token or the mean over real tokens."""
    if how == "cls":
        return hidden[:, 0]
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)


class SequenceHead(nn.Module):
    """RoBERTa-style classifier over a pooled sentence vector (``num_labels`` = 1 scores
    one choice of a multiple-choice question)."""

    def __init__(
        self, hidden_size: int, num_labels: int, pooling: str = "cls", dropout: float = 0.1
    ):
        super().__init__()
        self.pooling = pooling
        self.dense = nn.Linear(hidden_size, hidden_size)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden_size, num_labels)

    def forward(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        x = self.dropout(pool(hidden, attention_mask, self.pooling))
        x = self.dropout(torch.tanh(self.dense(x)))
        return self.out(x)


class TokenHead(nn.Module):
    """Per-token classifier for tagging (POS, NER, CCG supertags)."""

    def __init__(self, hidden_size: int, num_labels: int, dropout: float = 0.1):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden_size, num_labels)

    def forward(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.out(self.dropout(hidden))


class SpanHead(nn.Module):
    """Start/end logits for extractive QA; padding positions are masked out."""

    def __init__(self, hidden_size: int):
        super().__init__()
        self.out = nn.Linear(hidden_size, 2)

    def forward(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        logits = self.out(hidden)  # [B, T, 2]
        return logits.masked_fill(attention_mask.unsqueeze(-1) == 0, torch.finfo(logits.dtype).min)


HEADS: dict[str, type[nn.Module]] = {
    "sequence": SequenceHead,
    "token": TokenHead,
    "span": SpanHead,
    "masked-lm": TiedMaskedLMHead,  # tied to the encoder's embeddings when used (``bind``)
}


def build_head(config: dict[str, Any]) -> nn.Module:
    """Build a head from ``{"type": ..., **kwargs}`` (the form stored in artifacts)."""
    kwargs = dict(config)
    head_type = kwargs.pop("type")
    if head_type not in HEADS:
        raise UnknownNameError("head type", head_type, list(HEADS))
    return HEADS[head_type](**kwargs)
