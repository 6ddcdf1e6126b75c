"""Vocabulary pruning: keep only the embedding rows a study's text can produce.

XLM-R's 250,002-row embedding table is 80 % of e5-small's parameters and 46 % of XLM-R
large's, and bitsandbytes leaves it unquantised; a study over a few languages touches a
few percent of its rows. :func:`prune_vocabulary` swaps the word embeddings for a
:class:`PrunedEmbedding` holding only the kept rows, plus an original-id -> row map
applied at lookup. Token ids stay the tokenizer's everywhere else (features, collators,
padding, position ids, which XLM-R derives from ``input_ids != pad``), so nothing
upstream changes, and a kept token's vector is the same row as before: hidden states are
bit-identical. An id outside the kept set is an error naming it, never a silent ``<unk>``
(the check costs one device sync per forward).

Memory: pruning saves device memory (done before the model moves to the GPU). On the CPU
transformers mmaps safetensors weights, so rows no text uses were never resident and the
kept rows' copy is an addition (benchmarks/RESULTS.md, "Memory").

LoRA and bottleneck adapters never touch the embedding table (peft's default targets and
the adapters library's bottlenecks wrap the transformer layers; MAD-X's invertible adapter
acts on the embedding *output*), so adapters trained on a pruned backbone load unchanged
on the full one and vice versa.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from adaptxfer.errors import UnsupportedError

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

_BATCH = 2048


@dataclass(frozen=True)
class VocabularyPrune:
    """What a pruning kept: rows before and after, and a digest of the kept ids."""

    rows_before: int
    rows_kept: int
    digest: str  # sha256 of the sorted kept ids (int32 little-endian), first 16 hex

    def to_dict(self) -> dict[str, Any]:
        return {"rows_before": self.rows_before, "rows_kept": self.rows_kept, "digest": self.digest}


class PrunedEmbedding(nn.Module):
    """An ``nn.Embedding`` over original token ids that stores only the kept rows."""

    def __init__(self, full: nn.Embedding, kept: torch.Tensor, source: str) -> None:
        super().__init__()
        vocab = full.num_embeddings
        remap = torch.full((vocab,), -1, dtype=torch.long)
        remap[kept] = torch.arange(len(kept))
        self.register_buffer("remap", remap.to(full.weight.device), persistent=False)
        self.weight = nn.Parameter(full.weight.detach()[kept].clone(), requires_grad=False)
        self.num_embeddings = vocab  # ids it accepts: the tokenizer's
        self.embedding_dim = full.embedding_dim
        pad = full.padding_idx
        self.padding_idx = int(remap[pad]) if pad is not None and remap[pad] >= 0 else None
        self.source = source

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        rows = self.remap[input_ids]
        if bool((rows < 0).any()):
            missing = sorted({int(i) for i in input_ids[rows < 0].flatten()[:20]})
            raise UnsupportedError(
                f"prune_vocab: token ids {missing} are not in the vocabulary kept for "
                f"{self.source}; text outside the study's tasks and languages reached the "
                "model: set prune_vocab: false to use the full vocabulary"
            )
        return nn.functional.embedding(rows, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        return f"{self.num_embeddings} ids -> {self.weight.shape[0]} rows, {self.embedding_dim}"


def texts_of(data: Any) -> set[str]:
    """The distinct text in a split (a datasets.Dataset or a list of row dicts): each
    string field, and each word of a list-of-strings field (tagging's pre-split words,
    which the tokenizer pieces one by one). Fields named ``id`` are identifiers, not text."""
    if hasattr(data, "column_names"):
        columns = [data[name] for name in data.column_names if name != "id"]
    else:
        keys = {key for row in data for key in row if key != "id"}
        columns = [[row.get(key) for row in data] for key in sorted(keys)]
    found: set[str] = set()
    for values in columns:
        for value in values:
            if isinstance(value, str):
                found.add(value)
            elif isinstance(value, list):
                found.update(v for v in value if isinstance(v, str))
    found.discard("")
    return found


def splits_on_spaces(tokenizer: PreTrainedTokenizerBase) -> bool:
    """Whether the tokenizer pieces each space-separated word on its own (XLM-R's
    ``Metaspace`` pre-tokenizer with ``split``), so a text's ids are its words' ids."""
    import json

    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        return False
    pre = json.loads(backend.to_str()).get("pre_tokenizer") or {}
    return pre.get("type") == "Metaspace" and bool(pre.get("split", True))


def token_ids_of(tokenizer: PreTrainedTokenizerBase, texts: Iterable[str]) -> set[int]:
    """Every id the tokenizer gives for ``texts``. Where it pieces words independently the
    distinct words are tokenised instead of whole texts (the same ids, several times
    faster on a study's hundred thousand verses)."""
    unique = set(texts)
    if splits_on_spaces(tokenizer):
        unique = {word for text in unique for word in text.split()}
    ordered = sorted(unique)
    found: set[int] = set()
    for start in range(0, len(ordered), _BATCH):
        for ids in tokenizer(ordered[start : start + _BATCH])["input_ids"]:
            found.update(ids)
    return found


def kept_ids(tokenizer: PreTrainedTokenizerBase, found: Iterable[int]) -> list[int]:
    """``found`` plus every special token (and every id below the highest special id
    among the first rows, so ``<s> <pad> </s> <unk>`` keep their places), sorted."""
    special = set(tokenizer.all_special_ids)
    low = [i for i in special if i < 16]
    base = set(range(max(low) + 1)) if low else set()
    return sorted(set(found) | special | base)


def prune_vocabulary(
    model: nn.Module, kept: Sequence[int], source: str = "the study's tasks and languages"
) -> VocabularyPrune:
    """Replace ``model``'s input embeddings by the ``kept`` rows (frozen, in place)."""
    full = model.get_input_embeddings()
    if isinstance(full, PrunedEmbedding):
        raise UnsupportedError("prune_vocab: this backbone's vocabulary is already pruned")
    if not isinstance(full, nn.Embedding):
        raise UnsupportedError(
            f"prune_vocab: the backbone's input embeddings are a {type(full).__name__}, not "
            "an nn.Embedding; set prune_vocab: false"
        )
    index = torch.tensor(sorted(set(kept)), dtype=torch.long)
    if len(index) and (index[0] < 0 or index[-1] >= full.num_embeddings):
        raise UnsupportedError(
            f"prune_vocab: kept ids must lie in 0..{full.num_embeddings - 1}, "
            f"got {int(index[0])}..{int(index[-1])}"
        )
    model.set_input_embeddings(PrunedEmbedding(full, index, source))
    digest = hashlib.sha256(index.to(torch.int32).numpy().tobytes()).hexdigest()[:16]
    return VocabularyPrune(full.num_embeddings, len(index), digest)
