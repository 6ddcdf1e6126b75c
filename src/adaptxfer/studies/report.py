"""A study's report.md and figures: the groups compared, scores by target category, the
intermediate × target heatmap, trends over backbone size and number of intermediate
tasks (when the study varies them), and, last, the Answer computed from the runs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from adaptxfer.cache import atomic_write_text
from adaptxfer.report.categories import category_markdown, category_rows
from adaptxfer.report.collect import collect, delta_matrix, find_runs, fmt, summarise
from adaptxfer.results import Stat
from adaptxfer.studies.answer import Answer, answer, group_values, with_gains
from adaptxfer.studies.rows import StudyRow, rows_from_runs
from adaptxfer.studies.schema import Compare, Selection

if TYPE_CHECKING:
    from adaptxfer.studies.load import Study

REPORT_MD = "report.md"


def trend_series(
    rows: list[StudyRow], by: str, series: dict[str, Selection], order: list[str]
) -> dict[str, list[tuple[str, Stat]]]:
    """Per series, the measure at each value of ``by`` (mean over cells per seed, then
    mean ± CI over seeds), in ``order``."""
    out: dict[str, list[tuple[str, Stat]]] = {}
    for name, selection in series.items():
        points = []
        for value in order:
            mine = [r for r in rows if str(getattr(r, by)) == value]
            stat = group_values(mine, name, selection).stat
            if stat is not None:
                points.append((value, stat))
        if points:
            out[name] = points
    return out


def _measured(rows: list[StudyRow], compare: Compare) -> list[StudyRow]:
    rows = with_gains(rows) if compare.measure == "gain" else rows
    return [r for r in rows if r.matches(compare.where)]


def answer_markdown(result: Answer) -> list[str]:
    """The Answer section (the report's last)."""
    lines = [
        "## Answer",
        "",
        f"**Question.** {result.question.strip()}",
        "",
        f"**Hypothesis.** {result.hypothesis.strip()}",
        "",
        "**Groups compared** (measure: "
        + ("gain over the no-intermediate baseline" if result.measure == "gain" else "score")
        + "):",
        "",
    ]
    for group in (result.higher, result.lower):
        lines.append(
            f"- {group.name}: {group.selection} — {group.cells} cell-seeds, "
            f"{fmt(group.stat)} points"
        )
    lines += ["", f"**Paired difference over seeds:** {result.tested}.", ""]
    if result.across:
        lines += ["| value | difference |", "|---|---:|"]
        lines += [f"| {value} | {fmt(stat, signed=True)} |" for value, stat in result.across]
        lines.append("")
    if result.differences:
        lines += ["| seed | difference |", "|---|---:|"]
        lines += [f"| {seed} | {d:+.2f} |" for seed, d in result.differences.items()]
        stat = result.stat
        assert stat is not None
        lines += [
            "",
            f"Mean {stat.mean:+.2f}, 95% CI {stat.mean - stat.ci95:+.2f} to "
            f"{stat.mean + stat.ci95:+.2f} (t, {stat.n} seeds).",
            "",
        ]
    lines += [f"**Verdict: {result.verdict}.** {result.sentence}", ""]
    return lines


def write_study_report(study: Study, out: Path, cells: Path | None = None) -> Path:
    """Write ``out/report.md`` and its figures from the finished cells under ``cells``
    (default ``out/cells``)."""
    from adaptxfer.report import plots

    spec, name = study.spec, study.name
    cells = cells or out / "cells"
    run_dirs = find_runs([cells])
    scores, notes = collect(run_dirs)
    rows = rows_from_runs([cells])
    compare: Compare = spec.compare
    order = study.backbone_order()
    result = answer(spec.question, compare, rows, axis=order)
    out.mkdir(parents=True, exist_ok=True)
    figures: list[tuple[str, str]] = []
    matrix = delta_matrix(summarise(scores))
    if matrix[0] and matrix[2]:
        plots.heatmap(*matrix, out / "heatmap.png")
        figures.append(("intermediate × target: Δ over the baseline", "heatmap.png"))
    categories = category_rows(scores)
    if any(r.delta is not None for r in categories):
        plots.category_bars(categories, out / "categories.png")
        figures.append(("Δ by target category", "categories.png"))
    measured = _measured(rows, compare)
    what = "Δ over the baseline (points)" if compare.measure == "gain" else "score (%)"
    backbones = [b for b in order if any(r.backbone == b for r in measured)]
    if len(backbones) > 1:
        series = trend_series(measured, "backbone", compare.groups, backbones)
        plots.trend(series, "backbone", what, "By backbone size", out / "backbones.png")
        figures.append(("by backbone size", "backbones.png"))
    counts = sorted({r.num_intermediates for r in measured if r.num_intermediates > 0})
    if len(counts) > 1:
        by_comp = {
            comp: Selection(composition=[comp])
            for comp in dict.fromkeys(r.composition for r in measured if r.num_intermediates)
        }
        series = trend_series(measured, "num_intermediates", by_comp, [str(n) for n in counts])
        title = "By number of intermediate tasks"
        plots.trend(series, "intermediate tasks", what, title, out / "num_intermediates.png")
        figures.append(("by number of intermediate tasks", "num_intermediates.png"))
    lines = [
        f"# Study {name}" + (" (quick form)" if study.quick else ""),
        "",
        spec.question.strip(),
        "",
        f"Study file: `{study.path}`; {len(run_dirs)} finished run(s) of "
        f"{len(study.grid.cells)} cells; scores in percent, averaged over each target's "
        "languages. Full per-language tables: `report/report.md`.",
        "",
        *category_markdown(categories),
    ]
    for title, file in figures:
        lines += [f"![{title}]({file})", ""]
    if notes:
        lines += ["## Notes", "", *[f"- {n}" for n in notes], ""]
    lines += answer_markdown(result)
    atomic_write_text(out / REPORT_MD, "\n".join(lines))
    return out / REPORT_MD
