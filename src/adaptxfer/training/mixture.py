"""How a multi-task intermediate adapter samples its tasks (``intermediate.mixture``).

Examples-proportional mixing with a cap and a temperature, as in T5 (Raffel et al. 2020,
section 3.5.2): task i is drawn for a batch with probability proportional to
``min(n_i, cap) ** (1 / temperature)``, where ``n_i`` is the number of training examples
the task brings (at most the step budget: ``max_steps x batch_size x grad_accum``, or
``max_train_examples``). ``temperature`` 1 is proportional; large values approach equal
mixing. Each batch holds examples of one task (one head per task).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from pydantic import Field

from adaptxfer.strict_model import StrictModel


class MixtureSettings(StrictModel):
    """``intermediate.mixture``: sampling of a multi-task unit's members."""

    cap: int | None = Field(
        None, ge=1, description="examples of one task counted towards its rate (null: all)"
    )
    temperature: float = Field(1.0, gt=0, description="1: proportional; larger: more uniform")


def mixture_rates(sizes: Sequence[int], settings: MixtureSettings) -> list[float]:
    """Each task's share of the batches."""
    if not sizes or min(sizes) < 1:
        raise ValueError(f"every task of a mixture needs training examples, got sizes {sizes}")
    capped = [min(n, settings.cap) if settings.cap else n for n in sizes]
    weights = [n ** (1.0 / settings.temperature) for n in capped]
    total = sum(weights)
    return [w / total for w in weights]


class MixedStream:
    """Batches drawn from ``streams`` at ``rates``; :attr:`last` is the index of the stream
    the latest batch came from. The draw is seeded, so a resumed run (which redraws the
    batches it had consumed) continues the same sequence."""

    def __init__(self, streams: Sequence[Iterator[Any]], rates: Sequence[float], seed: int):
        import torch

        self.streams = list(streams)
        self.weights = torch.tensor(list(rates), dtype=torch.float64)
        self.generator = torch.Generator().manual_seed(seed)
        self.last = -1
        self.drawn = [0] * len(self.streams)

    def __iter__(self) -> MixedStream:
        return self

    def __next__(self) -> Any:
        import torch

        self.last = int(torch.multinomial(self.weights, 1, generator=self.generator))
        self.drawn[self.last] += 1
        return next(self.streams[self.last])
