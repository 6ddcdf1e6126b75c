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
    """hidden -> transform -> inverse invertible adapter -> hidden @ E^T + bias.

    Built from sizes alone (so a saved head config rebuilds it) and tied to an encoder's
    word embeddings by :meth:`bind` (:meth:`for_encoder` does both)."""

    def __init__(self, hidden_size: int, vocab_size: int, layer_norm_eps: float = 1e-5) -> None:
        super().__init__()
        self.encoder: list[nn.Module] = []  # a list: not a submodule (no double registration)
        self.dense = nn.Linear(hidden_size, hidden_size)
        self.layer_norm = nn.LayerNorm(hidden_size, eps=layer_norm_eps)
        self.bias = nn.Parameter(torch.zeros(vocab_size))

    @classmethod
    def for_encoder(cls, encoder: nn.Module) -> TiedMaskedLMHead:
        config = encoder.config
        head = cls(int(config.hidden_size), int(config.vocab_size), float(config.layer_norm_eps))
        return head.bind(encoder)

    def bind(self, encoder: nn.Module) -> TiedMaskedLMHead:
        """Tie the vocabulary projection to ``encoder``'s (frozen) word embeddings."""
        self.encoder[:] = [encoder]
        return self

    @property
    def word_embeddings(self) -> torch.Tensor:
        if not self.encoder:
            raise RuntimeError("masked-LM head used before bind(encoder)")
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
