"""Faster dropout and attention for training on a CPU (``train.kernels``).

Profiling adapter training on the frozen e5-small backbone (2 cores, bf16 autocast) put
29 % of the CPU time in ``aten::bernoulli_`` (``benchmarks/bench_cpu_kernels.py``): torch
draws one random number per dropout element with a generator that is slow on CPU. Two
replacements, used only while training on a CPU (:func:`cpu_training_kernels`):

* :class:`FastDropout` takes the place of every ``nn.Dropout`` (hidden states, LoRA's
  input dropout, heads). It cuts one 64-bit draw from the same torch generator into four
  16-bit integers and keeps an element when its integer is at or above ``p`` of the
  range: the same Bernoulli(1 - p) mask, four times cheaper. ``p`` is rounded to a
  multiple of 2^-16 (0.1 becomes 0.100006).
* The attention-probability dropout happens inside ``scaled_dot_product_attention``,
  which on a CPU with dropout leaves its fused kernel for a slower math fallback. While
  training, :func:`attention_with_fast_dropout` computes that case as explicit matrix
  products with a :class:`FastDropout` mask; every other call (evaluation, no dropout,
  CUDA, causal masks) goes to torch's function untouched.

The masks come from torch's seeded CPU generator, so a run is as reproducible as before
and gradient checkpointing replays them; what changes is which random numbers make the
masks, so the trained weights differ from ``kernels: torch`` the way two seeds do (same
learning, shown by ``benchmarks/bench_precision.py --compare kernels``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, get_args

import torch
from torch import nn

from adaptxfer.errors import UnsupportedError
from adaptxfer.training.settings import Kernels

KERNELS: tuple[str, ...] = get_args(Kernels)
_INT64_MIN = torch.iinfo(torch.int64).min
_LEVELS = 1 << 16  # dropout decisions are made on 16-bit integers


def keep_mask(shape: torch.Size, p: float, device: torch.device) -> torch.Tensor:
    """A bool tensor of ``shape``, each element True with probability 1 - p (p rounded
    to a multiple of 2^-16), drawn from torch's generator for ``device``."""
    count = math.prod(shape)
    words = torch.empty((count + 3) // 4, dtype=torch.int64, device=device)
    words.random_(_INT64_MIN, None)  # full 64 random bits per word
    threshold = round(p * _LEVELS) - _LEVELS // 2
    return words.view(torch.int16)[:count].view(shape) >= threshold


class _ScaleKept(torch.autograd.Function):
    """``x * keep * scale``, saving only the bool mask for the backward. The scale is
    applied as a Python float (rounded once per element, as torch's dropout does), not
    folded into a bf16 mask, where 1/0.9 would become 1.109 instead of 1.111."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, keep: torch.Tensor, scale: float) -> torch.Tensor:
        ctx.save_for_backward(keep)
        ctx.scale = scale
        return (x * _as(keep, x.dtype)).mul_(scale)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        (keep,) = ctx.saved_tensors
        return (grad * _as(keep, grad.dtype)).mul_(ctx.scale), None, None


def _as(keep: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """``keep`` as 0 / 1 in ``dtype``. Through uint8: on CPU, a bool tensor converts (or
    multiplies) 8-10x slower than the same bytes read as uint8."""
    return keep.view(torch.uint8).to(dtype)


def fast_dropout(x: torch.Tensor, p: float) -> torch.Tensor:
    """Dropout of ``x`` with a :func:`keep_mask` (always applied: the caller decides
    whether it is training)."""
    if p <= 0.0:
        return x
    if p >= 1.0:
        return x * 0.0
    return _ScaleKept.apply(x, keep_mask(x.shape, p, x.device), 1.0 / (1.0 - p))


class FastDropout(nn.Dropout):
    """``nn.Dropout`` with :func:`keep_mask` masks (same ``p``, same train/eval
    behaviour; ``inplace`` is not honoured, which changes no result)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return fast_dropout(x, self.p) if self.training else x


def attention_with_fast_dropout(original: Callable[..., torch.Tensor]) -> Callable[..., Any]:
    """A drop-in for ``torch.nn.functional.scaled_dot_product_attention`` that computes
    the training case on a CPU (dropout on, gradients on, no causal mask, no grouped
    heads) as explicit products with :func:`fast_dropout`, and hands every other call to
    ``original``. Like torch's math fallback, the query is scaled before the product;
    scores stay in the query's dtype (bf16 under autocast), with the mask cast to it:
    softmax accumulates in float32 either way, and the probabilities meet ``value`` in
    that dtype."""

    def attention(
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        attn_mask: torch.Tensor | None = None,
        dropout_p: float = 0.0,
        is_causal: bool = False,
        scale: float | None = None,
        **kwargs: Any,
    ) -> torch.Tensor:
        if (
            dropout_p <= 0.0
            or is_causal
            or kwargs.get("enable_gqa", False)
            or query.device.type != "cpu"
            or not torch.is_grad_enabled()
        ):
            return original(
                query, key, value, attn_mask=attn_mask, dropout_p=dropout_p,
                is_causal=is_causal, scale=scale, **kwargs,
            )  # fmt: skip
        factor = scale if scale is not None else query.shape[-1] ** -0.5
        scores = torch.matmul(query * factor, key.transpose(-2, -1))
        if attn_mask is not None:
            if attn_mask.dtype == torch.bool:  # False: masked out (finite, so no NaN rows)
                scores = scores.masked_fill(~attn_mask, torch.finfo(scores.dtype).min)
            else:  # float32's lowest is -inf in bf16: clamp to the dtype's lowest first
                lowest = torch.finfo(scores.dtype).min
                scores = scores + attn_mask.clamp(min=lowest).to(scores.dtype)
        probs = torch.softmax(scores, dim=-1)
        return torch.matmul(fast_dropout(probs, dropout_p), value.to(probs.dtype))

    return attention


@contextmanager
def cpu_training_kernels(
    modules: Sequence[nn.Module], device: torch.device, kernels: str = "auto"
) -> Iterator[bool]:
    """While the block runs, train ``modules`` with :class:`FastDropout` and
    :func:`attention_with_fast_dropout` if ``kernels`` is ``auto`` and ``device`` is a
    CPU; yields whether they are in use. Everything is put back afterwards, also on
    errors."""
    if kernels not in KERNELS:
        raise UnsupportedError(f"train.kernels: {kernels!r}; expected one of {', '.join(KERNELS)}")
    if kernels != "auto" or device.type != "cpu":
        yield False
        return
    swapped = _swap_dropouts(modules)
    functional = torch.nn.functional
    original = functional.scaled_dot_product_attention
    functional.scaled_dot_product_attention = attention_with_fast_dropout(original)
    try:
        yield True
    finally:
        functional.scaled_dot_product_attention = original
        for parent, name, dropout in swapped:
            setattr(parent, name, dropout)


def _swap_dropouts(modules: Sequence[nn.Module]) -> list[tuple[nn.Module, str, nn.Dropout]]:
    """Replace every plain ``nn.Dropout`` under ``modules`` by a :class:`FastDropout`
    (same ``p`` and mode); returns what to put back. A dropout shared by several modules
    is swapped once: the second visit finds a :class:`FastDropout` there."""
    swapped: list[tuple[nn.Module, str, nn.Dropout]] = []
    for module in modules:
        for parent in module.modules():
            for name, child in list(parent.named_children()):
                if type(child) is nn.Dropout:
                    fast = FastDropout(child.p)
                    fast.train(child.training)
                    setattr(parent, name, fast)
                    swapped.append((parent, name, child))
    return swapped
