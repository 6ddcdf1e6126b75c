"""Averages over languages and 95% confidence intervals over seeds."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

# Two-sided 95% Student t quantiles t(0.975, df) for df = 1..30 (standard table values,
# 6 decimals). Used when scipy is not installed; df > 30 uses the Cornish-Fisher series.
_T975 = (
    12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004,
    2.262157, 2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905,
    2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899,
    2.059539, 2.055529, 2.051831, 2.048407, 2.045230, 2.042272,
)  # fmt: skip
_Z975 = 1.959963984540054


def _t975_series(df: int) -> float:
    """Cornish-Fisher expansion of the t quantile around the normal one (Abramowitz &
    Stegun 26.7.5); within 3e-8 of the exact value for df > 30."""
    z = _Z975
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


def t_quantile_975(df: int) -> float:
    """t(0.975, df): scipy's value when scipy is importable, else the table/series."""
    if df < 1:
        raise ValueError(f"degrees of freedom must be >= 1, got {df}")
    try:
        from scipy.stats import t
    except ImportError:
        return _T975[df - 1] if df <= len(_T975) else _t975_series(df)
    return float(t.ppf(0.975, df))


def average(scores: Mapping[str, float], weights: Mapping[str, float] | None = None) -> float:
    """Mean over languages: unweighted (XTREME's per-task average), or weighted by
    ``weights`` (e.g. each language's number of questions, which pools the questions of
    every language into one mean, as LAReQA's mAP)."""
    if not scores:
        raise ValueError("average: no scores")
    if weights is None:
        return sum(scores.values()) / len(scores)
    missing = sorted(set(scores) - set(weights))
    if missing:
        raise ValueError(f"average: no weight for {', '.join(missing)}")
    total = sum(weights[lang] for lang in scores)
    if total <= 0:
        raise ValueError("average: the weights sum to zero")
    return sum(value * weights[lang] for lang, value in scores.items()) / total


def mean_ci95(values: Iterable[float]) -> tuple[float, float]:
    """Mean and the half-width of its two-sided 95% t interval (sample std, n - 1 df).

    One value gives half-width 0.0 (no spread can be estimated).
    """
    xs = [float(v) for v in values]
    if not xs:
        raise ValueError("mean_ci95: no values")
    n = len(xs)
    mean = sum(xs) / n
    if n == 1:
        return mean, 0.0
    std = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1))
    return mean, t_quantile_975(n - 1) * std / math.sqrt(n)
