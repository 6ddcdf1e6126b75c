"""A study's runs as rows: one per (cell system, seed), with the language-average score
and what a ``compare`` block selects on (groups, categories, number of tasks).

Rows are plain data: the Answer (:mod:`.answer`) is computed from them, so tests build
them by hand without training.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from adaptxfer.arms import BASELINE
from adaptxfer.report.collect import Score, collect, find_runs
from adaptxfer.studies.schema import BASELINE_GROUP, MIXED_GROUP, Selection


def unit_tasks(unit: str) -> list[str]:
    """The registered tasks of one intermediate unit: ``a``, a mixture ``a+b`` (one
    multi-task adapter), each optionally trained in another language (``a@de``)."""
    from adaptxfer.tasks.units import parse_unit

    return [member.task for member in parse_unit(unit).members]


@dataclass(frozen=True)
class StudyRow:
    """One system of one cell, one seed: its score averaged over the target languages."""

    backbone: str
    target: str
    target_category: str
    intermediate: str  # the grid label, or "baseline"
    intermediate_group: str
    composition: str
    num_intermediates: int
    seed: int
    score: float
    setup: str = ""  # backbone / quantisation / method (pairs a cell with its baseline)

    def matches(self, selection: Selection) -> bool:
        for key, wanted in selection.model_dump(exclude_none=True).items():
            if getattr(self, key) not in wanted:
                return False
        return True


def describe_tasks(units: list[str]) -> tuple[str, int]:
    """The intermediate group of a cell's units (one group, else "mixed") and how many
    distinct tasks they train on."""
    from adaptxfer.tasks.registry import all_tasks

    tasks = list(dict.fromkeys(t for unit in units for t in unit_tasks(unit)))
    if not tasks:
        return BASELINE_GROUP, 0
    known = all_tasks()
    groups = {known[t].category if t in known else "" for t in tasks}
    return (groups.pop() if len(groups) == 1 else MIXED_GROUP), len(tasks)


def rows_from_scores(scores: list[Score], units_of: dict[str, list[str]]) -> list[StudyRow]:
    """Language-average rows (weighted as the metric pools languages); ``units_of`` maps a
    run dir to its recipe's intermediate units."""
    from adaptxfer.metrics import average
    from adaptxfer.tasks.registry import all_tasks

    known = all_tasks()
    grouped: dict[tuple, list[Score]] = {}
    for s in scores:
        grouped.setdefault((s.setup, s.target, s.intermediate, s.composition, s.seed), []).append(s)
    rows = []
    for (setup, target, inter, comp, seed), group in grouped.items():
        value = average({s.language: s.value for s in group}, {s.language: s.weight for s in group})
        if inter == BASELINE:
            name, count = BASELINE_GROUP, 0
        else:
            name, count = describe_tasks(units_of.get(group[0].run, []))
        category = known[target].category if target in known else ""
        rows.append(
            StudyRow(
                setup.split(" / ")[0], target, category, inter, name, comp, count, seed,
                value, setup,
            )
        )  # fmt: skip
    return rows


def rows_from_runs(paths: list[Path]) -> list[StudyRow]:
    """Rows of every finished run under ``paths`` (a study dir's ``cells``)."""
    from adaptxfer.output_dirs import RESULTS_JSON
    from adaptxfer.results import RunResult

    run_dirs = find_runs(paths)
    scores, _ = collect(run_dirs)
    units_of = {}
    for run_dir in run_dirs:
        recipe = RunResult.from_file(run_dir / RESULTS_JSON).recipe
        units_of[str(run_dir)] = list((recipe.get("intermediate") or {}).get("tasks") or [])
    return rows_from_scores(scores, units_of)
