"""The Answer of a study, computed from its rows, never written by hand.

For each seed, a group's value is the mean over its cells (after ``where``) of the
measure: the cell's score, or its gain over the no-intermediate baseline of the same
setup, target and seed. The tested quantity is the paired difference ``higher − lower``
per seed (with ``across``: that difference at the last value of the axis minus at the
first, e.g. the largest backbone minus the smallest). Over seeds: mean and 95 % t
interval. The verdict: "supported" when the interval lies on the side the hypothesis
predicts, "contradicted" when on the other side, else "inconclusive" (the interval
includes 0, or it cannot be computed: fewer than 2 seeds, a group with no cells, one
value of the ``across`` axis, a difference of exactly 0 in every seed).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from adaptxfer.arms import BASELINE
from adaptxfer.results import Stat
from adaptxfer.studies.rows import StudyRow
from adaptxfer.studies.schema import Compare, Selection

SUPPORTED, CONTRADICTED, INCONCLUSIVE = "supported", "contradicted", "inconclusive"


@dataclass
class GroupValues:
    name: str
    selection: str
    cells: int
    by_seed: dict[int, float]

    @property
    def stat(self) -> Stat | None:
        return Stat.of(list(self.by_seed.values())) if self.by_seed else None


@dataclass
class Answer:
    question: str
    hypothesis: str
    measure: str
    tested: str  # what the differences are, in words
    higher: GroupValues
    lower: GroupValues
    differences: dict[int, float]  # seed -> tested quantity
    verdict: str
    sentence: str
    across: list[tuple[str, Stat]] = field(default_factory=list)  # value -> higher − lower

    @property
    def stat(self) -> Stat | None:
        return Stat.of(list(self.differences.values())) if self.differences else None


def with_gains(rows: list[StudyRow]) -> list[StudyRow]:
    """Each intermediate row's score minus its baseline's (same setup, target, seed);
    baseline rows (gain 0 by definition) and rows without a baseline are dropped."""
    base = {(r.setup, r.target, r.seed): r.score for r in rows if r.intermediate == BASELINE}
    out = []
    for r in rows:
        key = (r.setup, r.target, r.seed)
        if key in base and r.intermediate != BASELINE:
            out.append(replace(r, score=r.score - base[key]))
    return out


def group_values(rows: list[StudyRow], name: str, selection: Selection) -> GroupValues:
    chosen = [r for r in rows if r.matches(selection)]
    by_seed: dict[int, list[float]] = {}
    for r in chosen:
        by_seed.setdefault(r.seed, []).append(r.score)
    means = {seed: sum(v) / len(v) for seed, v in sorted(by_seed.items())}
    return GroupValues(name, selection.describe(), len(chosen), means)


def _paired(a: GroupValues, b: GroupValues) -> dict[int, float]:
    return {s: a.by_seed[s] - b.by_seed[s] for s in a.by_seed if s in b.by_seed}


def _interval(stat: Stat) -> str:
    return (
        f"{stat.mean:+.2f} points (95% CI {stat.mean - stat.ci95:+.2f} to "
        f"{stat.mean + stat.ci95:+.2f}, {stat.n} seeds)"
    )


def _verdict(stat: Stat | None, positive_supports: bool) -> str:
    if stat is None or stat.n < 2:
        return INCONCLUSIVE
    low, high = stat.mean - stat.ci95, stat.mean + stat.ci95
    if low > 0:
        return SUPPORTED if positive_supports else CONTRADICTED
    if high < 0:
        return CONTRADICTED if positive_supports else SUPPORTED
    return INCONCLUSIVE


def answer(
    question: str, compare: Compare, rows: list[StudyRow], axis: list[str] | None = None
) -> Answer:
    """The study's Answer; ``axis`` orders the ``across`` values (default: the compare
    block's ``order``, else ascending)."""
    rows = with_gains(rows) if compare.measure == "gain" else list(rows)
    rows = [r for r in rows if r.matches(compare.where)]
    hi_name, lo_name = compare.expect.higher, compare.expect.lower
    higher = group_values(rows, hi_name, compare.groups[hi_name])
    lower = group_values(rows, lo_name, compare.groups[lo_name])
    what = "gain over the baseline" if compare.measure == "gain" else "score"
    tested = f"{hi_name} − {lo_name} ({what}, mean over each group's cells per seed)"
    build = dict(question=question, hypothesis=compare.hypothesis, measure=compare.measure)
    if not higher.by_seed or not lower.by_seed:
        sentence = (
            f"Inconclusive: no runs to compare ({hi_name}: {higher.cells} cells, "
            f"{lo_name}: {lower.cells} cells)."
        )
        return Answer(**build, tested=tested, higher=higher, lower=lower, differences={},
                      verdict=INCONCLUSIVE, sentence=sentence)  # fmt: skip
    if compare.across is None:
        differences = _paired(higher, lower)
        stat = Stat.of(list(differences.values())) if differences else None
        verdict = _verdict(stat, positive_supports=True)
        return Answer(**build, tested=tested, higher=higher, lower=lower,
                      differences=differences, verdict=verdict,
                      sentence=_sentence(verdict, tested, stat, "above 0"))  # fmt: skip
    return _across(build, compare, rows, higher, lower, tested, axis)


def _across(
    build: dict, compare: Compare, rows: list[StudyRow], higher: GroupValues,
    lower: GroupValues, tested: str, axis: list[str] | None,
) -> Answer:  # fmt: skip
    assert compare.across is not None
    by = compare.across.by
    present = {str(getattr(r, by)) for r in rows}
    order = [str(v) for v in (compare.across.order or axis or sorted(present, key=_natural))]
    values = [v for v in order if v in present]
    per_value: list[tuple[str, dict[int, float]]] = []
    for value in values:
        mine = [r for r in rows if str(getattr(r, by)) == value]
        a = group_values(mine, higher.name, compare.groups[higher.name])
        b = group_values(mine, lower.name, compare.groups[lower.name])
        if _paired(a, b):
            per_value.append((value, _paired(a, b)))
    across = [(v, Stat.of(list(d.values()))) for v, d in per_value]
    if len(per_value) < 2:
        seen = ", ".join(f"{v}: {_interval(s)}" for v, s in across) or "no paired seeds"
        sentence = (
            f"Inconclusive: the runs cover {len(per_value)} {by} value(s) ({seen}), so they "
            f"cannot say whether {higher.name} − {lower.name} {compare.across.expect} with {by}."
        )
        return Answer(**build, tested=tested, higher=higher, lower=lower, differences={},
                      verdict=INCONCLUSIVE, sentence=sentence, across=across)  # fmt: skip
    (first, d_first), (last, d_last) = per_value[0], per_value[-1]
    differences = {s: d_last[s] - d_first[s] for s in d_last if s in d_first}
    stat = Stat.of(list(differences.values())) if differences else None
    shrinks = compare.across.expect == "shrinks"
    verdict = _verdict(stat, positive_supports=not shrinks)
    tested = f"({tested}) at {by} {last} minus at {first}"
    side = "below 0" if shrinks else "above 0"
    return Answer(**build, tested=tested, higher=higher, lower=lower, differences=differences,
                  verdict=verdict, sentence=_sentence(verdict, tested, stat, side),
                  across=across)  # fmt: skip


def _natural(value: str) -> tuple[int, float | str]:
    try:
        return (0, float(value))
    except ValueError:
        return (1, value)


def _sentence(verdict: str, tested: str, stat: Stat | None, predicted: str) -> str:
    if stat is None:
        return f"Inconclusive: no seed has runs in both groups, so {tested} was not measured."
    if stat.n < 2:
        return (
            f"Inconclusive: {tested} is {stat.mean:+.2f} points from a single seed; a 95% CI "
            "needs at least 2 seeds."
        )
    if stat.mean == 0 and stat.ci95 == 0:  # e.g. every cell still predicts the majority class
        return (
            f"Inconclusive: {tested} is exactly 0 in all {stat.n} seeds; the two groups scored "
            "the same every time (as when the target has not left its majority class), so "
            "these runs cannot tell them apart."
        )
    said = f"{tested} is {_interval(stat)}"
    if verdict == SUPPORTED:
        return f"Supported: {said}, {predicted} as the hypothesis predicts."
    if verdict == CONTRADICTED:
        return f"Contradicted: {said}, on the other side of 0 from the hypothesis."
    return f"Inconclusive (the CI includes 0): {said}."
