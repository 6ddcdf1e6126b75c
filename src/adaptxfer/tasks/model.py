"""The model a task trains and evaluates: an encoder (backbone + adapters) and a head."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


class TaskModel(nn.Module):
    """Pairs an encoder with a task head.

    The encoder is the frozen backbone, possibly wrapped by peft or adapters; the head is
    a small module of our own (``tasks/heads.py``) kept outside both libraries so that
    adapters can be stacked, fused and merged freely without touching it.
    """

    def __init__(
        self, encoder: nn.Module, head: nn.Module | None, head_config: dict[str, Any] | None = None
    ) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = head
        self.head_config = head_config

    @property
    def device(self) -> torch.device:
        return next(self.encoder.parameters()).device

    def hidden_states(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Last-layer hidden states in the head's dtype (heads stay float32)."""
        out = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
        hidden = out.last_hidden_state if hasattr(out, "last_hidden_state") else out[0]
        return hidden.float()
