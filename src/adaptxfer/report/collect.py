"""Gather scores from run dirs and summarise them: per target, per system (the baseline
or an intermediate with its composition), per language and on average over languages,
as mean ± 95% CI over seeds, and as deltas over the baseline."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adaptxfer.arms import BASELINE
from adaptxfer.errors import UserError
from adaptxfer.output_dirs import RESULTS_JSON
from adaptxfer.results import RunResult, Stat, seed_summary

AVERAGE = "average"


@dataclass(frozen=True)
class Score:
    """One number: a system's score in one language for one seed."""

    setup: str  # backbone / quantisation / method: only like setups are compared
    target: str
    metric: str
    intermediate: str  # "baseline", a task, an order "a > b" or a grid entry's name
    composition: str
    seed: int
    language: str
    value: float
    run: str
    weight: float = 1.0  # the language's weight in averages (its query count when pooled)
    task_value: float | None = None  # the value a benchmark average reads (QA: (EM + F1) / 2)
    about: tuple[str, ...] = ()  # what the run's numbers are (scoring_lines)

    @property
    def system(self) -> str:
        return (
            BASELINE
            if self.intermediate == BASELINE
            else f"{self.intermediate} ({self.composition})"
        )


@dataclass
class TargetSummary:
    """Everything the report shows for one (setup, target)."""

    setup: str
    target: str
    metric: str
    languages: list[str]
    systems: list[str]
    stats: dict[tuple[str, str], Stat] = field(default_factory=dict)  # (system, lang|average)
    deltas: dict[tuple[str, str], Stat] = field(default_factory=dict)  # vs the baseline
    scoring: list[str] = field(default_factory=list)  # what the numbers are, one line each

    @property
    def has_baseline(self) -> bool:
        return BASELINE in self.systems


def find_runs(paths: list[Path]) -> list[Path]:
    """Run dirs under ``paths``: a dir with results.json is a run; any other dir (a grid
    dir) is searched recursively. Hidden dirs (unfinished runs, the store) are skipped."""
    found: list[Path] = []
    for path in map(Path, paths):
        if not path.is_dir():
            raise UserError(f"{path}: not a directory (expected a run dir or a grid dir)")
        if (path / RESULTS_JSON).is_file():
            found.append(path)
            continue
        hits = sorted(
            p.parent
            for p in path.rglob(RESULTS_JSON)
            if not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
        if not hits:
            raise UserError(f"{path}: no {RESULTS_JSON} in it or below (no finished run)")
        found.extend(hits)
    return list(dict.fromkeys(found))


def _setup_of(result: RunResult) -> str:
    recipe = result.recipe
    return " / ".join(
        [
            str(result.labels.get("backbone") or recipe.get("backbone")),
            str(recipe.get("quantization", "none")),
            str((recipe.get("method") or {}).get("name")),
        ]
    )


def scores_of(run_dir: Path) -> list[Score]:
    result = RunResult.from_file(run_dir / RESULTS_JSON)
    recipe = result.recipe
    setup = _setup_of(result)
    tasks = (recipe.get("intermediate") or {}).get("tasks") or []
    pooled_by = result.scoring.get("pooled_by")
    task_key = result.scoring.get("task_score") or result.metric
    about = tuple(result.scoring_lines())
    out = []
    for o in result.outcomes:
        if o["arm"] == BASELINE:
            inter, comp = BASELINE, "none"
        else:
            inter = result.labels.get("intermediate") or " > ".join(tasks)
            comp = o.get("composition") or o["arm"]
        for lang, metrics in o["scores"].items():
            if result.metric in metrics:
                out.append(
                    Score(
                        setup, result.target, result.metric, inter, comp, int(o["seed"]), lang,
                        float(metrics[result.metric]), str(run_dir),
                        float(metrics[pooled_by]) if pooled_by else 1.0,
                        float(metrics[task_key]) if task_key in metrics else None, about,
                    )
                )  # fmt: skip
    return out


def collect(run_dirs: list[Path]) -> tuple[list[Score], list[str]]:
    """All scores, first occurrence wins for a repeated (setup, target, system, seed,
    language) - e.g. the baseline arm of several single-recipe runs; notes say so."""
    seen: dict[tuple, Score] = {}
    notes = []
    for run_dir in run_dirs:
        for score in scores_of(run_dir):
            key = (score.setup, score.target, score.system, score.seed, score.language)
            if key in seen:
                if seen[key].value != score.value:
                    notes.append(
                        f"{score.system} on {score.target} ({score.language}, seed {score.seed}) "
                        f"appears in {seen[key].run} and {score.run}; kept the first"
                    )
                continue
            seen[key] = score
    return list(seen.values()), list(dict.fromkeys(notes))


def summarise(scores: list[Score]) -> list[TargetSummary]:
    groups: dict[tuple[str, str], list[Score]] = {}
    for s in scores:
        groups.setdefault((s.setup, s.target), []).append(s)
    out = []
    for (setup, target), group in groups.items():
        languages = list(dict.fromkeys(s.language for s in group))
        seen = list(dict.fromkeys(s.system for s in group))
        systems = [x for x in seen if x == BASELINE] + [x for x in seen if x != BASELINE]
        summary = TargetSummary(setup, target, group[0].metric, languages, systems)
        summary.scoring = list(dict.fromkeys(line for s in group for line in s.about))
        table: dict[str, dict[int, dict[str, float]]] = {}  # system -> seed -> lang -> value
        weights: dict[str, float] = {}  # lang -> weight in the average
        for s in group:
            table.setdefault(s.system, {}).setdefault(s.seed, {})[s.language] = s.value
            weights[s.language] = s.weight
        averages = {}
        for system in systems:
            per_language, averages[system] = seed_summary(table[system], languages, weights)
            summary.stats.update({(system, lang): stat for lang, stat in per_language.items()})
            if averages[system]:
                summary.stats[(system, AVERAGE)] = Stat.of(list(averages[system].values()))
        if summary.has_baseline:
            base = table[BASELINE]
            for system in systems[1:]:
                for lang in languages:
                    paired = [
                        by_lang[lang] - base[seed][lang]
                        for seed, by_lang in table[system].items()
                        if lang in by_lang and lang in base.get(seed, {})
                    ]
                    if paired:
                        summary.deltas[(system, lang)] = Stat.of(paired)
                paired = [
                    avg - averages[BASELINE][seed]
                    for seed, avg in averages[system].items()
                    if seed in averages[BASELINE]
                ]
                if paired:
                    summary.deltas[(system, AVERAGE)] = Stat.of(paired)
        out.append(summary)
    out.sort(key=lambda s: (s.setup, s.target))
    return out


def fmt(stat: Stat | None, signed: bool = False) -> str:
    if stat is None or math.isnan(stat.mean):
        return "–"
    text = f"{stat.mean:+.1f}" if signed else f"{stat.mean:.1f}"
    return f"{text} ± {stat.ci95:.1f}" if stat.n > 1 else text


def delta_matrix(
    summaries: list[TargetSummary],
) -> tuple[list[str], list[str], dict[tuple[str, str], Stat]]:
    """Rows: intermediate systems; columns: targets (prefixed by setup when several);
    values: average-over-languages delta over the baseline."""
    several = len({s.setup for s in summaries}) > 1
    rows: list[str] = []
    cols: list[str] = []
    cells: dict[tuple[str, str], Any] = {}
    for s in summaries:
        col = f"{s.target} [{s.setup}]" if several else s.target
        cols.append(col)
        for system in s.systems[1:] if s.has_baseline else []:
            if system not in rows:
                rows.append(system)
            if (system, AVERAGE) in s.deltas:
                cells[(system, col)] = s.deltas[(system, AVERAGE)]
    return rows, cols, cells
