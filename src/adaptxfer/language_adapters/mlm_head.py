"""A masked-LM head whose decoder is the frozen input embedding matrix, reached through the
inverse of the active invertible adapter, as in MAD-X.

The converted e5-small has no MLM head, so the transform (dense, GELU, LayerNorm, as in
RoBERTa's ``lm_head``) is new and must be fitted; the vocabulary projection is tied to the
backbone's word embeddings and never trained, and only a per-token bias is learned with
the transform. Logits are computed only at masked positions: the 250k-word softmax over
every position would dominate the step on a CPU.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class TiedMaskedLMHead(nn.Module):
    """hidden -> transform -> inverse invertible adapter -> hidden @ E^T + bias."""

    def __init__(self, encoder: nn.Module) -> None:
        super().__init__()
        config = encoder.config
        hidden = int(config.hidden_size)
        self.encoder = [encoder]  # a list: not a submodule (no double registration/saving)
        self.dense = nn.Linear(hidden, hidden)
        self.layer_norm = nn.LayerNorm(hidden, eps=float(config.layer_norm_eps))
        self.bias = nn.Parameter(torch.zeros(int(config.vocab_size)))

    @property
    def word_embeddings(self) -> torch.Tensor:
        return self.encoder[0].get_input_embeddings().weight

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """Vocabulary logits for hidden states of shape (..., hidden)."""
        x = self.layer_norm(F.gelu(self.dense(hidden)))
        inverse = getattr(self.encoder[0], "invertible_adapters_forward", None)
        if inverse is not None:  # no-op when the active setup has no invertible adapter
            # the coupling blocks index (batch, sequence, hidden): give them a batch axis
            x = (
                inverse(x.unsqueeze(0), rev=True).squeeze(0)
                if x.dim() == 2
                else inverse(x, rev=True)
            )
        weight = self.word_embeddings
        return F.linear(x.to(weight.dtype), weight).float() + self.bias

    def forward(self, hidden: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, int, int]:
        """(mean cross-entropy, correct predictions, masked tokens) over ``labels != -100``."""
        masked = labels != -100
        targets = labels[masked]
        logits = self.logits(hidden[masked])
        loss = F.cross_entropy(logits, targets)
        correct = int((logits.argmax(-1) == targets).sum())
        return loss, correct, int(targets.numel())
