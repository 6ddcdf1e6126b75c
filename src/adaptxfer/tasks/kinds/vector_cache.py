"""Sentence vectors reused across the languages of one evaluation.

Retrieval and mining targets pair every language with the same English side (the Bible
targets share 249 of 250 English verses between languages), so encoding English once per
arm rather than once per language halves their encoding work. Reuse is safe only while
the encoder does not change, so it happens only inside :func:`reusing_vectors`, which the
caller opens around an evaluation in which no adapter is swapped (not for MAD-X, whose
language adapter changes per language).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

# key -> (the encoder, kept alive so that its id is not reused; its vectors)
_CACHE: ContextVar[dict[Hashable, tuple[object, torch.Tensor]] | None] = ContextVar(
    "vectors", default=None
)


@contextmanager
def reusing_vectors(enabled: bool = True) -> Iterator[None]:
    """Within this block, :func:`cached_vectors` encodes each list of texts once per
    encoder and encoding (the vectors are dropped when it ends)."""
    token = _CACHE.set({} if enabled else None)
    try:
        yield
    finally:
        _CACHE.reset(token)


def texts_digest(texts: list[str]) -> str:
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def cached_vectors(
    encoder: object,
    how: Hashable,
    texts: list[str],
    encode: Callable[[], torch.Tensor],
) -> torch.Tensor:
    """``encode()``'s vectors for ``texts``, reused inside :func:`reusing_vectors` when the
    same ``encoder`` (object identity; the cache holds it, so the id stays its) encoded
    the same texts the same way (``how``)."""
    cache = _CACHE.get()
    if cache is None:
        return encode()
    key = (id(encoder), how, len(texts), texts_digest(texts))
    if key not in cache:
        cache[key] = (encoder, encode())
    return cache[key][1]
