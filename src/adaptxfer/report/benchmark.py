"""Benchmark scores: each system's XTREME / XTREME-R average over the targets present.

As google-research/xtreme's ``evaluate.py``: a task's score is its language average of the
task value (QA: (EM + F1) / 2; LAReQA pools its questions), the benchmark score the
unweighted mean of the task scores. Here a task's score is first averaged over a
system's seeds, and the benchmark average is taken over the targets the report has,
with how many of the benchmark's targets (and of each target's languages) were present:
the reference prints its average only when every task is there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from adaptxfer.metrics import average
from adaptxfer.report.collect import BASELINE, Score
from adaptxfer.tasks.benchmarks import BENCHMARKS, Benchmark


@dataclass
class BenchmarkRow:
    """One system's task scores (mean over seeds) and language coverage per target."""

    system: str
    tasks: dict[str, float] = field(default_factory=dict)
    languages: dict[str, int] = field(default_factory=dict)  # target -> languages present

    @property
    def score(self) -> float:
        return sum(self.tasks.values()) / len(self.tasks)


@dataclass
class BenchmarkTable:
    benchmark: Benchmark
    setup: str
    rows: list[BenchmarkRow]

    def complete(self, row: BenchmarkRow) -> list[str]:
        """The targets of ``row`` scored in every benchmark language."""
        return [
            target
            for target in row.tasks
            if row.languages[target] == len(self.benchmark.targets[target])
        ]


def _task_score(scores: list[Score], languages: tuple[str, ...]) -> tuple[float, int] | None:
    """Mean over seeds of the language average of the task value, and the languages used."""
    by_seed: dict[int, dict[str, Score]] = {}
    for s in scores:
        if s.language in languages and s.task_value is not None:
            by_seed.setdefault(s.seed, {})[s.language] = s
    if not by_seed:
        return None
    averages = [
        average({lang: s.task_value for lang, s in by_lang.items()},  # type: ignore[misc]
                {lang: s.weight for lang, s in by_lang.items()})
        for by_lang in by_seed.values()
    ]  # fmt: skip
    present = set().union(*(by_lang for by_lang in by_seed.values()))
    return sum(averages) / len(averages), len(present)


def benchmark_tables(scores: list[Score]) -> list[BenchmarkTable]:
    """One table per (benchmark, setup) that has at least one of the benchmark's targets."""
    tables = []
    for benchmark in BENCHMARKS.values():
        setups = sorted({s.setup for s in scores if s.target in benchmark.targets})
        for setup in setups:
            mine = [s for s in scores if s.setup == setup and s.target in benchmark.targets]
            systems = list(dict.fromkeys(s.system for s in mine))
            systems = [x for x in systems if x == BASELINE] + [x for x in systems if x != BASELINE]
            rows = []
            for system in systems:
                row = BenchmarkRow(system)
                for target, languages in benchmark.targets.items():
                    found = _task_score(
                        [s for s in mine if s.system == system and s.target == target], languages
                    )
                    if found is not None:
                        row.tasks[target], row.languages[target] = found
                if row.tasks:
                    rows.append(row)
            if rows:
                tables.append(BenchmarkTable(benchmark, setup, rows))
    return tables


def benchmark_markdown(tables: list[BenchmarkTable]) -> list[str]:
    """The report's "Benchmark scores" section (no lines when no table)."""
    if not tables:
        return []
    lines = [
        "## Benchmark scores",
        "",
        "Each task's score is its XTREME task value (QA: (EM + F1) / 2, else the headline; "
        "LAReQA pools its questions) averaged over the benchmark's languages present, then "
        "over seeds; the benchmark score is the mean over the tasks present, as "
        "`evaluate.py` of google-research/xtreme (which reports it only with every task). "
        "A cell `x (n/N)` covers n of the target's N benchmark languages.",
        "",
    ]
    for table in tables:
        targets = list(table.benchmark.targets)
        name = table.benchmark.name
        lines += [
            f"### {name} ({table.benchmark.reference}) — {table.setup}",
            "",
            "| system | " + " | ".join(targets) + f" | {name} | tasks present |",
            "|---|" + "|".join(["---:"] * (len(targets) + 2)) + "|",
        ]
        for row in table.rows:
            cells = [row.system]
            for target in targets:
                if target not in row.tasks:
                    cells.append("–")
                    continue
                need = len(table.benchmark.targets[target])
                have = row.languages[target]
                cells.append(
                    f"{row.tasks[target]:.1f}" + (f" ({have}/{need})" if have < need else "")
                )
            complete = len(table.complete(row))
            coverage = f"{len(row.tasks)}/{len(targets)}"
            if complete < len(row.tasks):
                coverage += f" ({complete} with all languages)"
            lines.append("| " + " | ".join([*cells, f"{row.score:.1f}", coverage]) + " |")
        lines.append("")
    return lines


def benchmark_csv_rows(tables: list[BenchmarkTable]) -> list[list[object]]:
    """Rows of benchmarks.csv: per system, each task present and the benchmark average."""
    rows: list[list[object]] = []
    for table in tables:
        for row in table.rows:
            for target, value in row.tasks.items():
                rows.append(
                    [table.benchmark.name, table.setup, row.system, target, f"{value:.4f}",
                     row.languages[target], len(table.benchmark.targets[target])]
                )  # fmt: skip
            rows.append(
                [table.benchmark.name, table.setup, row.system, "average", f"{row.score:.4f}",
                 len(row.tasks), len(table.benchmark.targets)]
            )  # fmt: skip
    return rows
