"""Mean average precision at k for ranked retrieval from a pool (LAReQA, Mewsli-X).

As XTREME-R's ``utils_lareqa.average_precision_at_k`` and Mewsli-X's ``utils_mewslix``
(mean reciprocal rank, which is AP@k for one relevant item): per query, the precision at
each relevant hit within the top k, summed and divided by min(k, number of relevant
items). A query with no relevant item in the pool scores 0, as Mewsli-X's reference
scores a mention whose gold entity it never ranks.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

MAP_K = 20


def average_precision_at_k(relevant: Collection[str], ranked: Sequence[str], k: int) -> float:
    """AP@k of one ranked list, a fraction in [0, 1]; 0 when nothing is relevant."""
    if k < 1:
        raise ValueError(f"average precision: k must be at least 1, got {k}")
    if not relevant:
        return 0.0
    hits, total, seen = 0, 0.0, set()
    for rank, item in enumerate(ranked[:k], start=1):
        if item in relevant and item not in seen:
            hits += 1
            total += hits / rank
        seen.add(item)
    return total / min(k, len(relevant))


def mean_average_precision_at_k(
    ranked: Sequence[Sequence[str]], relevant: Sequence[Collection[str]], k: int
) -> float:
    """mAP@k in percent over every query (0 for a query with nothing relevant)."""
    if len(ranked) != len(relevant):
        raise ValueError(f"mAP@k: {len(ranked)} ranked lists but {len(relevant)} queries")
    if not ranked:
        raise ValueError("mAP@k: no queries to score")
    scores = [
        average_precision_at_k(rel, ranks, k) for ranks, rel in zip(ranked, relevant, strict=True)
    ]
    return 100.0 * sum(scores) / len(scores)


def map_at_20_scorer(
    ranked: Sequence[Sequence[str]], relevant: Sequence[Collection[str]], lang: str
) -> dict[str, float]:
    """``map@20`` and the number of ``queries`` it averages (the weight for pooling)."""
    return {
        "map@20": mean_average_precision_at_k(ranked, relevant, MAP_K),
        "queries": float(len(ranked)),
    }
