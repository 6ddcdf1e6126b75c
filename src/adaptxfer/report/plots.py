"""The report's figures (matplotlib, Agg: no display needed)."""

from __future__ import annotations

import math
from pathlib import Path

from adaptxfer.report.collect import AVERAGE, Stat, TargetSummary


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def heatmap(
    rows: list[str], cols: list[str], cells: dict[tuple[str, str], Stat], path: Path
) -> Path:
    """Intermediate × target: Δ over the baseline (average over languages), centred on 0."""
    import numpy as np

    plt = _pyplot()
    values = np.array(
        [[cells[(r, c)].mean if (r, c) in cells else np.nan for c in cols] for r in rows]
    )
    finite = values[np.isfinite(values)]
    span = max(float(np.abs(finite).max()) if finite.size else 1.0, 0.5)
    fig, ax = plt.subplots(figsize=(3.0 + 1.1 * len(cols), 1.5 + 0.5 * len(rows)))
    image = ax.imshow(values, cmap="RdBu", vmin=-span, vmax=span, aspect="auto")
    ax.set_xticks(range(len(cols)), cols, rotation=35, ha="right")
    ax.set_yticks(range(len(rows)), rows)
    for i, row in enumerate(rows):
        for j, col in enumerate(cols):
            stat = cells.get((row, col))
            if stat is not None and math.isfinite(stat.mean):
                text = f"{stat.mean:+.1f}" + (f"\n±{stat.ci95:.1f}" if stat.n > 1 else "")
                dark = abs(stat.mean) > 0.6 * span
                ax.text(j, i, text, ha="center", va="center", fontsize=8,
                        color="white" if dark else "black")  # fmt: skip
    fig.colorbar(image, ax=ax, label="Δ (points)")
    ax.set_title("Intermediate-task transfer: Δ average over languages")
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


def language_bars(summary: TargetSummary, path: Path) -> Path:
    """One group of bars per language (and the average), one bar per system, 95% CI."""
    import numpy as np

    plt = _pyplot()
    langs = [*summary.languages, AVERAGE]
    systems = summary.systems
    width = 0.8 / max(len(systems), 1)
    fig, ax = plt.subplots(figsize=(2.0 + 0.35 * len(langs) * max(2, len(systems)), 3.6))
    x = np.arange(len(langs))
    for k, system in enumerate(systems):
        stats = [summary.stats.get((system, lang)) for lang in langs]
        means = [s.mean if s else np.nan for s in stats]
        errors = [s.ci95 if s and s.n > 1 else 0.0 for s in stats]
        ax.bar(x + (k - (len(systems) - 1) / 2) * width, means, width, yerr=errors,
               label=system, capsize=2)  # fmt: skip
    ax.set_xticks(x, langs)
    ax.set_ylim(0, 100)  # scores are percentages; wide intervals (few seeds) are clipped
    ax.set_ylabel(f"{summary.metric} (%)")
    ax.set_title(f"{summary.target} — {summary.setup}")
    ax.legend(fontsize=7, loc="best")
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


def category_bars(rows: list, path: Path) -> Path:
    """Δ over the baseline per target category, one bar per system, 95% CI (rows:
    :class:`adaptxfer.report.categories.CategoryRow`)."""
    import numpy as np

    plt = _pyplot()
    rows = [r for r in rows if r.delta is not None]
    categories = list(dict.fromkeys(r.category for r in rows))
    systems = list(dict.fromkeys(r.system for r in rows))
    width = 0.8 / max(len(systems), 1)
    fig, ax = plt.subplots(figsize=(2.5 + 1.2 * len(categories) * max(1, len(systems) / 2), 3.6))
    x = np.arange(len(categories))
    for k, system in enumerate(systems):
        found = {r.category: r.delta for r in rows if r.system == system}
        means = [found[c].mean if c in found else np.nan for c in categories]
        errors = [found[c].ci95 if c in found else 0.0 for c in categories]
        ax.bar(x + (k - (len(systems) - 1) / 2) * width, means, width, yerr=errors,
               label=system, capsize=2)  # fmt: skip
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(x, categories)
    ax.set_ylabel("Δ over the baseline (points)")
    ax.set_title("Gain from intermediate training by target category")
    ax.legend(fontsize=7, loc="best")
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


def trend(
    series: dict[str, list[tuple[str, Stat]]], xlabel: str, ylabel: str, title: str, path: Path
) -> Path:
    """One line per series over ordered x values (e.g. backbone size, number of
    intermediate tasks), with 95% CI error bars."""
    plt = _pyplot()
    xs = list(dict.fromkeys(x for points in series.values() for x, _ in points))
    fig, ax = plt.subplots(figsize=(2.5 + 0.9 * len(xs), 3.6))
    for name, points in series.items():
        positions = [xs.index(x) for x, _ in points]
        ax.errorbar(positions, [s.mean for _, s in points],
                    yerr=[s.ci95 for _, s in points], marker="o", capsize=3, label=name)  # fmt: skip
    ax.set_xticks(range(len(xs)), xs)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=7, loc="best")
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path
