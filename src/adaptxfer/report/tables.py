"""The report's tables: markdown for reading, CSV for further analysis."""

from __future__ import annotations

import csv
import io

from adaptxfer.report.collect import AVERAGE, Score, TargetSummary, delta_matrix, fmt

SUMMARY_COLUMNS = [
    "setup", "target", "metric", "system", "language", "mean", "ci95", "n",
    "delta", "delta_ci95", "delta_n",
]  # fmt: skip
BENCHMARK_COLUMNS = ["benchmark", "setup", "system", "task", "score", "present", "total"]
SCORE_COLUMNS = [
    "setup", "target", "metric", "intermediate", "composition", "seed", "language", "value", "run",
]  # fmt: skip


def summary_csv(summaries: list[TargetSummary]) -> str:
    """One row per (setup, target, system, language or 'average')."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SUMMARY_COLUMNS)
    for s in summaries:
        for system in s.systems:
            for lang in [*s.languages, AVERAGE]:
                stat = s.stats.get((system, lang))
                if stat is None:
                    continue
                delta = s.deltas.get((system, lang))
                writer.writerow(
                    [
                        s.setup, s.target, s.metric, system, lang,
                        f"{stat.mean:.4f}", f"{stat.ci95:.4f}", stat.n,
                        f"{delta.mean:.4f}" if delta else "",
                        f"{delta.ci95:.4f}" if delta else "",
                        delta.n if delta else "",
                    ]
                )  # fmt: skip
    return buffer.getvalue()


def benchmarks_csv(rows: list[list[object]]) -> str:
    """Benchmark scores: per system, each task (present / total = its languages) and the
    benchmark ``average`` (present / total = tasks)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(BENCHMARK_COLUMNS)
    writer.writerows(rows)
    return buffer.getvalue()


def scores_csv(scores: list[Score]) -> str:
    """Every score (one per system, seed and language): the raw material."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SCORE_COLUMNS)
    for x in sorted(scores, key=lambda x: (x.setup, x.target, x.system, x.seed, x.language)):
        writer.writerow(
            [x.setup, x.target, x.metric, x.intermediate, x.composition, x.seed, x.language,
             f"{x.value:.4f}", x.run]
        )  # fmt: skip
    return buffer.getvalue()


def target_table(s: TargetSummary) -> list[str]:
    """Systems × languages (mean ± 95% CI over seeds), the average, and its delta."""
    header = ["system", *s.languages, AVERAGE] + (["Δ average"] if s.has_baseline else [])
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|",
    ]
    for system in s.systems:
        cells = [system] + [fmt(s.stats.get((system, lang))) for lang in [*s.languages, AVERAGE]]
        if s.has_baseline:
            cells.append(fmt(s.deltas.get((system, AVERAGE)), signed=True))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def markdown(
    summaries: list[TargetSummary],
    *,
    runs: int,
    images: dict[str, str],
    notes: list[str],
    benchmarks: list[str] | None = None,
) -> str:
    """The report: Δ table, benchmark scores (``benchmarks``, already markdown), one
    section per target, notes."""
    setups = sorted({s.setup for s in summaries})
    seeds = sorted({st.n for s in summaries for st in s.stats.values()})
    lines = [
        "# adaptxfer report",
        "",
        f"{runs} run(s); setup(s) (backbone / quantisation / method): {', '.join(setups)}. "
        f"Scores in percent, zero-shot from English; mean ± 95% CI (t) over seeds "
        f"(seeds per value: {', '.join(map(str, seeds))}); Δ is paired by seed against "
        "the no-intermediate baseline of the same target.",
        "",
    ]
    rows, cols, cells = delta_matrix(summaries)
    if rows:
        lines += [
            "## Δ over the baseline, averaged over languages",
            "",
            "| intermediate | " + " | ".join(cols) + " |",
            "|---|" + "|".join(["---:"] * len(cols)) + "|",
        ]
        for row in rows:
            lines.append(
                f"| {row} | "
                + " | ".join(fmt(cells.get((row, c)), signed=True) for c in cols)
                + " |"
            )
        lines.append("")
        if "heatmap" in images:
            lines += [f"![Δ heatmap]({images['heatmap']})", ""]
    lines += benchmarks or []
    for s in summaries:
        lines += [f"## {s.target} ({s.metric}, %) — {s.setup}", ""]
        if s.scoring:
            lines += [" ".join(s.scoring), ""]
        lines += [*target_table(s), ""]
        if f"bars:{s.setup}:{s.target}" in images:
            lines += [f"![{s.target} per language]({images[f'bars:{s.setup}:{s.target}']})", ""]
    if notes:
        lines += ["## Notes", "", *[f"- {n}" for n in notes], ""]
    return "\n".join(lines)
