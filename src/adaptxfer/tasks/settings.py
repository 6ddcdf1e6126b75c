"""Evaluation settings shared by every task kind (the recipe's ``eval`` block)."""

from __future__ import annotations

from pydantic import Field

from adaptxfer.strict_model import StrictModel


class EvalSettings(StrictModel):
    """How a target is evaluated.

    ``layer`` picks the hidden layer that retrieval and mining mean-pool (0 = embeddings,
    ``n`` = the n-th transformer layer, negative counts from the top; ``None`` = the
    middle layer, as XTREME reads a middle layer of the encoder for BUCC and Tatoeba).
    """

    batch_size: int = Field(64, ge=1)
    max_length: int = Field(128, ge=8, le=4096)
    max_examples: int | None = Field(None, ge=1, description="cap per language and split")
    split: str = Field("test", pattern="^(dev|test)$")
    layer: int | None = None
    margin_k: int = Field(4, ge=1)
    doc_stride: int = Field(128, ge=1)
    n_best: int = Field(20, ge=1)
    max_answer_length: int = Field(30, ge=1)
