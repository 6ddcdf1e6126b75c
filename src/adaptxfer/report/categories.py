"""Scores by target category: per setup and system, the mean over the category's targets
of each target's language average, and its Δ over the baseline paired by seed (the
baseline averaged over the same targets), as mean ± 95 % t interval over seeds."""

from __future__ import annotations

from dataclasses import dataclass

from adaptxfer.arms import BASELINE
from adaptxfer.report.collect import Score, fmt
from adaptxfer.results import Stat


@dataclass(frozen=True)
class CategoryRow:
    setup: str
    category: str
    system: str
    targets: tuple[str, ...]
    score: Stat
    delta: Stat | None


def language_averages(scores: list[Score]) -> dict[tuple[str, str, str, int], float]:
    """(setup, target, system, seed) -> the language average (weighted where pooled)."""
    from adaptxfer.metrics import average

    grouped: dict[tuple[str, str, str, int], list[Score]] = {}
    for s in scores:
        grouped.setdefault((s.setup, s.target, s.system, s.seed), []).append(s)
    return {
        key: average({s.language: s.value for s in g}, {s.language: s.weight for s in g})
        for key, g in grouped.items()
    }


def category_rows(scores: list[Score]) -> list[CategoryRow]:
    from adaptxfer.tasks.registry import all_tasks

    known = all_tasks()
    averages = language_averages(scores)
    # (setup, category, system) -> seed -> target -> value
    table: dict[tuple[str, str, str], dict[int, dict[str, float]]] = {}
    for (setup, target, system, seed), value in averages.items():
        category = known[target].category if target in known else "?"
        table.setdefault((setup, category, system), {}).setdefault(seed, {})[target] = value
    rows = []
    for (setup, category, system), by_seed in sorted(table.items(), key=_order):
        base = table.get((setup, category, BASELINE), {})
        means, deltas = [], []
        for seed, by_target in by_seed.items():
            means.append(sum(by_target.values()) / len(by_target))
            shared = [t for t in by_target if t in base.get(seed, {})]
            if system != BASELINE and shared:
                deltas.append(sum(by_target[t] - base[seed][t] for t in shared) / len(shared))
        targets = tuple(sorted({t for v in by_seed.values() for t in v}))
        rows.append(
            CategoryRow(setup, category, system, targets, Stat.of(means),
                        Stat.of(deltas) if deltas else None)
        )  # fmt: skip
    return rows


def _order(item: tuple[tuple[str, str, str], object]) -> tuple[str, str, bool, str]:
    setup, category, system = item[0]
    return setup, category, system != BASELINE, system


def category_markdown(rows: list[CategoryRow]) -> list[str]:
    """The "By target category" section (no lines when no row)."""
    if not rows:
        return []
    lines = [
        "## By target category",
        "",
        "Mean over the category's targets of each target's language average; Δ paired by "
        "seed against the baseline on the same targets; mean ± 95% CI (t) over seeds.",
        "",
        "| setup | category | system | targets | score | Δ |",
        "|---|---|---|---|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.setup} | {r.category} | {r.system} | {', '.join(r.targets)} | "
            f"{fmt(r.score)} | {fmt(r.delta, signed=True)} |"
        )
    return [*lines, ""]
