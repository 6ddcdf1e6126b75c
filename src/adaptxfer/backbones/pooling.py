"""Sentence vectors from a backbone's hidden states (retrieval and mining without training):
mean- or first-token-pooled."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

from adaptxfer.errors import RecipeError

if TYPE_CHECKING:
    import torch
    from torch import nn

Pooling = Literal["mean", "cls"]
POOLINGS: tuple[str, ...] = ("mean", "cls")


def _device_of(model: nn.Module) -> torch.device:
    import torch

    for parameter in model.parameters():
        if parameter.device.type != "meta":
            return parameter.device
    return torch.device("cpu")


def _pick_layer(hidden_states: tuple[torch.Tensor, ...], layer: int) -> torch.Tensor:
    count = len(hidden_states)  # embeddings + one per transformer layer
    if not -count <= layer < count:
        raise RecipeError(
            f"layer {layer} is out of range for a backbone with {count - 1} layers "
            f"(expected {-count}..{count - 1}: 0 = embeddings, {count - 1} = last, "
            "negative counts from the end)"
        )
    return hidden_states[layer]


def _pad(
    rows: list[list[int]], pad_id: int, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad token id lists into ``input_ids`` and ``attention_mask`` tensors."""
    import torch

    width = max(len(row) for row in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
        mask[i, : len(row)] = 1
    return ids.to(device), mask.to(device)


def encode_mean_pooled(
    model: nn.Module,
    tokenizer: Any,
    texts: list[str],
    layer: int,
    batch_size: int = 32,
    max_length: int = 128,
    progress: bool | str = False,
) -> torch.Tensor:
    """Mean over non-pad tokens (``<s>`` and ``</s>`` included) of hidden layer ``layer``;
    see :func:`encode_pooled`."""
    return encode_pooled(model, tokenizer, texts, layer, "mean", batch_size, max_length, progress)


def encode_pooled(
    model: nn.Module,
    tokenizer: Any,
    texts: list[str],
    layer: int,
    pooling: Pooling = "mean",
    batch_size: int = 32,
    max_length: int = 128,
    progress: bool | str = False,
    precision: str = "fp32",
) -> torch.Tensor:
    """One vector per text from hidden layer ``layer``, as float32 ``[len(texts), hidden]``:
    the mean over its non-pad tokens (``pooling="mean"``) or its first token, ``<s>``
    (``"cls"``).

    ``layer`` 0 is the embedding output, ``num_layers`` the last layer, negative values
    count from the end. Works on any model whose forward takes ``input_ids``,
    ``attention_mask`` and ``output_hidden_states`` (bare, peft- or adapters-wrapped).
    Texts are batched by length (less padding) and returned in input order. ``progress``
    shows a bar; a string is its description. ``precision`` (``auto``, ``fp32``, ``bf16``:
    :mod:`adaptxfer.training.precision`) is what the forward computes in; vectors are
    float32 either way.
    """
    import torch

    from adaptxfer.progress import progress_bar
    from adaptxfer.training.precision import autocast, resolve_precision

    if batch_size < 1:
        raise RecipeError(f"batch_size must be at least 1, got {batch_size}")
    if pooling not in POOLINGS:
        raise RecipeError(f"pooling must be one of {', '.join(POOLINGS)}, got {pooling!r}")
    if not texts:
        hidden_size = int(getattr(getattr(model, "config", None), "hidden_size", 0) or 0)
        return torch.zeros(0, hidden_size)
    encoded = tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]
    order = sorted(range(len(encoded)), key=lambda i: -len(encoded[i]))
    batches = [order[start : start + batch_size] for start in range(0, len(order), batch_size)]
    steps: Iterable[list[int]] = batches
    if progress:
        description = progress if isinstance(progress, str) else "encoding"
        steps = progress_bar(batches, description, total=len(batches), unit="batch")
    device = _device_of(model)
    resolved = resolve_precision(precision, device, setting="eval.precision")
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    modes = {module: module.training for module in model.modules()}
    model.eval()
    pooled: list[torch.Tensor] = []
    try:
        # not inference_mode: bnb may repack weights during forward
        with torch.no_grad(), autocast(resolved, device):
            for batch in steps:
                ids, mask = _pad([encoded[i] for i in batch], pad_id, device)
                output = model(
                    input_ids=ids,
                    attention_mask=mask,
                    output_hidden_states=True,
                    return_dict=True,
                )
                hidden = _pick_layer(output.hidden_states, layer).float()
                if pooling == "cls":
                    pooled.append(hidden[:, 0].cpu())
                    continue
                weights = mask.unsqueeze(-1).to(hidden.dtype)
                sums = (hidden * weights).sum(dim=1)
                pooled.append((sums / weights.sum(dim=1).clamp(min=1.0)).cpu())
    finally:
        for module, training in modes.items():
            module.training = training
    vectors = torch.cat(pooled)
    result = torch.empty_like(vectors)
    result[torch.tensor(order)] = vectors
    return result
