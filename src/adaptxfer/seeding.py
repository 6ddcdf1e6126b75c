"""Seeds: the recipe's seed fixes every random number a run draws.

Each random initialisation (an adapter, a head, fusion weights, a merge's random pruning,
a language adapter) draws from its own generator state, derived from the seed and a name
(:func:`seeded`), so its weights depend on nothing else: not on the process (torch seeds
each process at random), nor on what was created or trained before it in the same process.
"""

from __future__ import annotations

import contextlib
import hashlib
import random
from collections.abc import Iterator


def derived_seed(seed: int, *scope: str) -> int:
    """A 63-bit seed for ``scope`` (e.g. ``"adapter", "target"``) under ``seed``."""
    text = ":".join([str(seed), *scope])
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big") >> 1


def seed_everything(seed: int) -> None:
    """Seed Python's and torch's global generators (dropout, shuffling without a generator)."""
    import torch

    random.seed(seed)
    torch.manual_seed(seed)


@contextlib.contextmanager
def seeded(seed: int, *scope: str) -> Iterator[None]:
    """Run the block with torch's generators (CPU and every CUDA device) seeded from
    ``seed`` and ``scope``; their previous states are restored afterwards, so the block
    neither depends on nor disturbs the random numbers drawn around it."""
    import torch

    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(derived_seed(seed, *scope))
        yield
