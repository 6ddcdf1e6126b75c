"""Reports over run dirs: markdown and CSV tables, XTREME / XTREME-R benchmark scores,
scores by target category, a Δ heatmap, per-language bars, and the same as one self-contained HTML page.

``build_report(paths, out)`` is what ``adaptxfer report`` and ``adaptxfer grid`` call; it
only reads results.json files, so a report can be rebuilt at any time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from adaptxfer.cache import atomic_write_text
from adaptxfer.output_dirs import safe_name
from adaptxfer.report.benchmark import benchmark_csv_rows, benchmark_markdown, benchmark_tables
from adaptxfer.report.categories import category_markdown, category_rows
from adaptxfer.report.collect import collect, delta_matrix, find_runs, summarise
from adaptxfer.report.html import data_uri, render_html
from adaptxfer.report.tables import benchmarks_csv, markdown, scores_csv, summary_csv

REPORT_MD = "report.md"
REPORT_HTML = "report.html"


@dataclass
class ReportFiles:
    runs: int
    markdown: Path
    html: Path
    csv: list[Path] = field(default_factory=list)
    images: list[Path] = field(default_factory=list)


def build_report(paths: list[Path], out: Path) -> ReportFiles:
    """Read every run under ``paths`` and write report.md, report.html, summary.csv,
    scores.csv, benchmarks.csv (when a benchmark's target is there) and the figures into
    ``out``."""
    from adaptxfer.report import plots

    run_dirs = find_runs(paths)
    scores, notes = collect(run_dirs)
    summaries = summarise(scores)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    images: dict[str, str] = {}
    written: list[Path] = []
    rows, cols, cells = delta_matrix(summaries)
    if rows and cells:
        written.append(plots.heatmap(rows, cols, cells, out / "heatmap.png"))
        images["heatmap"] = "heatmap.png"
    else:
        notes.append("no Δ heatmap: no target has both a baseline and an intermediate system")
    several = len({s.setup for s in summaries}) > 1
    for s in summaries:
        name = f"bars_{safe_name(s.target)}" + (f"_{safe_name(s.setup)}" if several else "")
        written.append(plots.language_bars(s, out / f"{name}.png"))
        images[f"bars:{s.setup}:{s.target}"] = f"{name}.png"
    csv_files = [out / "summary.csv", out / "scores.csv"]
    atomic_write_text(out / "summary.csv", summary_csv(summaries))
    atomic_write_text(out / "scores.csv", scores_csv(scores))
    tables = benchmark_tables(scores)
    if tables:
        atomic_write_text(out / "benchmarks.csv", benchmarks_csv(benchmark_csv_rows(tables)))
        csv_files.append(out / "benchmarks.csv")
    benchmarks = benchmark_markdown(tables) + category_markdown(category_rows(scores))
    text = markdown(
        summaries, runs=len(run_dirs), images=images, notes=notes, benchmarks=benchmarks
    )
    atomic_write_text(out / REPORT_MD, text)
    inline = {key: data_uri(out / name) for key, name in images.items()}
    page = markdown(
        summaries, runs=len(run_dirs), images=inline, notes=notes, benchmarks=benchmarks
    )
    atomic_write_text(out / REPORT_HTML, render_html(page))
    return ReportFiles(
        runs=len(run_dirs),
        markdown=out / REPORT_MD,
        html=out / REPORT_HTML,
        csv=csv_files,
        images=written,
    )


__all__ = ["ReportFiles", "build_report"]
