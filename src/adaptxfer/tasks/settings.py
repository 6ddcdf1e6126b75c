"""Evaluation settings shared by every task kind (the recipe's ``eval`` block)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from adaptxfer.strict_model import StrictModel
from adaptxfer.training.precision import Precision


class EvalSettings(StrictModel):
    """How a target is evaluated.

    ``layer`` picks the hidden layer that retrieval, mining and ranking pool (0 =
    embeddings, ``n`` = the n-th transformer layer, negative counts from the top; ``None``
    = the middle layer), ``pooling`` how its tokens become one vector (``None`` = mean).
    ``retrieval_preset: xtreme`` uses the layer, pooling and length of XTREME's Tatoeba
    and BUCC scripts instead (see :mod:`adaptxfer.tasks.kinds.retrieval`).
    ``bucc_threshold``: ``dev`` tunes the mining threshold on dev and applies it to the
    evaluated split (BUCC's protocol); ``oracle`` tunes it on the evaluated split's own
    gold, as XTREME's code does (optimistic; for reproducing published numbers).
    """

    batch_size: int = Field(64, ge=1)
    max_length: int = Field(128, ge=8, le=4096)
    max_examples: int | None = Field(None, ge=1, description="cap per language and split")
    split: str = Field("test", pattern="^(dev|test)$")
    layer: int | None = None
    pooling: Literal["mean", "cls"] | None = None
    retrieval_preset: Literal["adaptxfer", "xtreme"] = "adaptxfer"
    margin_k: int = Field(4, ge=1)
    bucc_threshold: Literal["dev", "oracle"] = "dev"
    doc_stride: int = Field(128, ge=1)
    n_best: int = Field(20, ge=1)
    max_answer_length: int = Field(30, ge=1)
    precision: Precision = Field(
        "auto", description="as train.precision: bf16 autocast where native, else fp32"
    )

    @model_validator(mode="after")
    def _preset_or_own_encoding(self) -> EvalSettings:
        if self.retrieval_preset == "xtreme":
            own = [name for name in ("layer", "pooling") if getattr(self, name) is not None]
            if own:
                raise ValueError(
                    f"retrieval_preset 'xtreme' sets the layer and pooling itself; "
                    f"remove {' and '.join(own)} (or use retrieval_preset 'adaptxfer')"
                )
        return self
