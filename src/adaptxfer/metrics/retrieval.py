"""Cosine retrieval (Tatoeba) and margin-based scoring (Artetxe & Schwenk, 2019).

Embeddings are rows of 2-D arrays (numpy, torch or nested lists). Computation runs in
torch on CPU, in blocks of rows so that the similarity block never exceeds
``_BLOCK_ELEMENTS`` values (64 MB in float32): a 10k x 10k problem needs the inputs, the
optional full output and one block. float64 inputs stay float64; anything else is float32.
All-zero vectors get cosine 0 with everything (as faiss ``normalize_L2`` leaves them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Literal

import numpy as np
import torch

from adaptxfer.errors import UnknownNameError

Margin = Literal["ratio", "distance", "absolute"]
MARGINS: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "ratio": lambda cos, avg: cos / avg,
    "distance": lambda cos, avg: cos - avg,
    "absolute": lambda cos, avg: cos,
}

_BLOCK_ELEMENTS = 1 << 24


def as_matrix(values: Any, name: str) -> torch.Tensor:
    """A CPU float tensor of shape (n, d), n >= 1."""
    if isinstance(values, torch.Tensor):
        tensor = values.detach().cpu()
    else:
        tensor = torch.as_tensor(np.asarray(values))
    if tensor.dtype != torch.float64:
        tensor = tensor.to(torch.float32)
    if tensor.ndim != 2 or tensor.shape[0] == 0 or tensor.shape[1] == 0:
        raise ValueError(
            f"{name}: expected a non-empty 2-D (n, dim) matrix, got {tuple(tensor.shape)}"
        )
    return tensor


def normalized_pair(x: Any, y: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Both matrices with unit-length rows, checked for matching width, in one dtype."""
    a, b = as_matrix(x, "x"), as_matrix(y, "y")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"embedding sizes differ: x has {a.shape[1]}, y has {b.shape[1]}")
    dtype = torch.promote_types(a.dtype, b.dtype)
    return _unit(a.to(dtype)), _unit(b.to(dtype))


def _unit(m: torch.Tensor) -> torch.Tensor:
    return m / m.norm(dim=1, keepdim=True).clamp_min(1e-12)


def _blocks(a: torch.Tensor, b: torch.Tensor) -> Iterator[tuple[int, torch.Tensor]]:
    """(start row, cosine block a[start:end] @ b.T) over row blocks of ``a``."""
    rows = max(1, _BLOCK_ELEMENTS // b.shape[0])
    for start in range(0, a.shape[0], rows):
        yield start, a[start : start + rows] @ b.T


def knn(a: torch.Tensor, b: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Top-``min(k, len(b))`` cosines of unit rows ``a`` against ``b`` (descending) and
    their column indices."""
    k = min(k, b.shape[0])
    sims, idx = [], []
    for _, block in _blocks(a, b):
        top = block.topk(k, dim=1)
        sims.append(top.values)
        idx.append(top.indices)
    return torch.cat(sims), torch.cat(idx)


def check_k(k: int) -> None:
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")


def margin_function(margin: str) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    if margin not in MARGINS:
        raise UnknownNameError("margin", margin, list(MARGINS))
    return MARGINS[margin]


def cosine_similarity_matrix(x: Any, y: Any) -> np.ndarray:
    """Cosine similarity of every row of ``x`` with every row of ``y``: shape (n_x, n_y)."""
    a, b = normalized_pair(x, y)
    out = torch.empty(a.shape[0], b.shape[0], dtype=a.dtype)
    for start, block in _blocks(a, b):
        out[start : start + block.shape[0]] = block
    return out.numpy()


def retrieval_accuracy(source_emb: Any, target_emb: Any) -> float:
    """Percent of source rows whose nearest target row by cosine is the same row index
    (Tatoeba: row i's translation is target row i). Ties go to the lowest index."""
    a, b = normalized_pair(source_emb, target_emb)
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            f"retrieval_accuracy: {a.shape[0]} source rows but {b.shape[0]} target rows; "
            "row i's gold must be target row i"
        )
    correct = 0
    for start, block in _blocks(a, b):
        gold = torch.arange(start, start + block.shape[0])
        correct += int((block.argmax(dim=1) == gold).sum())
    return 100.0 * correct / a.shape[0]


def knn_mean_similarity(x: Any, y: Any, k: int = 4) -> np.ndarray:
    """For each row of ``x``, the mean cosine of its ``min(k, n_y)`` nearest rows of ``y``
    (the neighbourhood term of the margin)."""
    check_k(k)
    a, b = normalized_pair(x, y)
    return knn(a, b, k)[0].mean(dim=1).numpy()


def margin_scores(x: Any, y: Any, k: int = 4, margin: Margin = "ratio") -> np.ndarray:
    """Margin score of every (x_i, y_j) pair, shape (n_x, n_y).

    With ``avg = (mean kNN cos of x_i in y + mean kNN cos of y_j in x) / 2`` (each over
    ``min(k, n)`` neighbours): ratio = cos / avg, distance = cos - avg, absolute = cos,
    as LASER's and XTREME's ``utils_retrieve.py``.
    """
    check_k(k)
    fn = margin_function(margin)
    a, b = normalized_pair(x, y)
    r_x = knn(a, b, k)[0].mean(dim=1)
    r_y = knn(b, a, k)[0].mean(dim=1)
    out = torch.empty(a.shape[0], b.shape[0], dtype=a.dtype)
    for start, block in _blocks(a, b):
        rows = slice(start, start + block.shape[0])
        out[rows] = fn(block, (r_x[rows, None] + r_y[None, :]) / 2)
    return out.numpy()


def tatoeba_scores(other: Any, english: Any, lang: str) -> dict[str, float]:
    """Tatoeba from the two sides' sentence vectors (row i translates row i).

    ``accuracy`` is XTREME's value: English sentences query the other language's
    (``evaluate_retrieval.py`` indexes the non-English side and searches it with the
    English vectors). ``accuracy_xx_en`` is the reverse direction, ``accuracy_both`` the
    mean of the two.
    """
    en_xx = retrieval_accuracy(english, other)
    xx_en = retrieval_accuracy(other, english)
    return {"accuracy": en_xx, "accuracy_xx_en": xx_en, "accuracy_both": (en_xx + xx_en) / 2}
