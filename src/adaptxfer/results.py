"""Results of a run: the JSON record, the markdown table, the console table.

Scores are in percent. Per language, each arm's value is the mean over seeds (with a 95%
confidence half-width when there are several seeds); the average row averages languages.
"""

from __future__ import annotations

import json
import platform
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from adaptxfer import __version__

FORMAT = "adaptxfer/results-v1"
FLOORS = ("majority", "chance")  # the floor names task kinds report beside a score

SeedTable = Mapping[int, Mapping[str, float]]  # seed -> language -> score


@dataclass(frozen=True)
class Stat:
    """Mean over seeds with the half-width of its 95% t interval (0 for one seed)."""

    mean: float
    ci95: float
    n: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Stat:
        from adaptxfer.metrics import mean_ci95

        mean, half = mean_ci95(values)
        return cls(mean, half, len(values))

    def to_dict(self) -> dict[str, float | int]:
        return {"mean": self.mean, "ci95": self.ci95, "n": self.n}


def seed_summary(
    table: SeedTable, languages: Sequence[str], weights: Mapping[str, float] | None = None
) -> tuple[dict[str, Stat], dict[int, float]]:
    """Per-language stats over seeds, and each seed's average over ``languages`` (weighted
    by ``weights`` when the metric pools languages; seeds that lack a language are left
    out of the averages): what results tables and reports show for one system."""
    from adaptxfer.metrics import average

    per_language = {}
    for lang in languages:
        values = [by_lang[lang] for by_lang in table.values() if lang in by_lang]
        if values:
            per_language[lang] = Stat.of(values)
    averages = {
        seed: average({lang: by_lang[lang] for lang in languages}, weights)
        for seed, by_lang in table.items()
        if all(lang in by_lang for lang in languages)
    }
    return per_language, averages


@dataclass
class RunResult:
    """One run's record. ``metric`` is the headline value's name; ``scoring`` says what
    the numbers are: ``metric`` (the registered metric), ``headline`` (in words),
    ``task_score`` (the value a benchmark average reads), ``pooled_by`` (the count that
    weights languages in averages, or None) and ``protocol`` (the evaluation settings that
    matter when comparing with published numbers). Older files have no ``scoring``."""

    name: str
    recipe: dict[str, Any]
    target: str
    metric: str
    languages: list[str]
    arms: list[str]
    outcomes: list[dict[str, Any]]
    environment: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    recipe_file: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    skipped: list[dict[str, Any]] = field(default_factory=list)  # see adaptxfer.tasks.skips
    scoring: dict[str, Any] = field(default_factory=dict)
    format: str = FORMAT

    # -- aggregation ---------------------------------------------------------------
    def seed_table(self, arm: str) -> dict[int, dict[str, float]]:
        """One arm's scores: seed -> language -> the run's metric."""
        return {
            int(o["seed"]): {lang: s[self.metric] for lang, s in o["scores"].items()}
            for o in self.outcomes
            if o["arm"] == arm
        }

    def language_average(self, scores: dict[str, dict[str, float]], key: str) -> float:
        """One outcome's average of ``key`` over the run's languages (pooled when the
        metric pools, see ``scoring``)."""
        from adaptxfer.metrics import average

        pooled_by = self.scoring.get("pooled_by")
        values = {lang: scores[lang][key] for lang in self.languages}
        weights = {lang: scores[lang][pooled_by] for lang in self.languages} if pooled_by else None
        return average(values, weights)

    def language_weights(self) -> dict[str, float] | None:
        """Each language's weight in averages when the metric pools languages (its count
        of ``pooled_by``, the same in every outcome); None for XTREME's plain mean."""
        pooled_by = self.scoring.get("pooled_by")
        if not pooled_by:
            return None
        for o in self.outcomes:
            if all(lang in o["scores"] for lang in self.languages):
                return {lang: o["scores"][lang][pooled_by] for lang in self.languages}
        return None

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for arm in self.arms:
            per_language, averages = seed_summary(
                self.seed_table(arm), self.languages, self.language_weights()
            )
            average = Stat.of(list(averages.values())) if averages else Stat(float("nan"), 0.0, 0)
            out[arm] = {
                "per_language": {lang: stat.to_dict() for lang, stat in per_language.items()},
                "average": average.to_dict(),
            }
        return out

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "summary": self.summary()}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_file(cls, path: Path) -> RunResult:
        from adaptxfer.errors import UserError

        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:  # ValueError: bad JSON or bad UTF-8
            raise UserError(f"{path}: unreadable results file ({err})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise UserError(f"{path}: not an adaptxfer results file (format {FORMAT!r})")
        data.pop("summary", None)
        try:
            result = cls(**data)
            result.summary()  # every outcome has the scores the tables read
        except (TypeError, KeyError, AttributeError, ValueError) as err:
            raise UserError(f"{path}: damaged results file ({type(err).__name__}: {err})") from None
        return result

    def floor(self) -> tuple[str, dict[str, float]]:
        """The floor the scores were reported with (``"majority"`` or ``"chance"``, see
        :class:`adaptxfer.tasks.spec.Floor`) and its value per language; ``("", {})`` if
        none. Every arm and seed scores the same examples, so any outcome gives it."""
        for outcome in self.outcomes:
            for name in FLOORS:
                values = {
                    lang: scores[name]
                    for lang, scores in outcome["scores"].items()
                    if isinstance(scores, dict) and name in scores
                }
                if values:
                    return name, values
        return "", {}

    # -- tables --------------------------------------------------------------------
    def table_rows(self) -> tuple[list[str], list[list[str]]]:
        """Header and rows: language, each arm, the delta of the last arm over the first,
        and the floor (majority class or chance) where the scores carry one."""
        summary = self.summary()
        compare = len(self.arms) > 1
        floor_name, floors = self.floor()
        header = ["language", *self.arms] + (
            [f"Δ {self.arms[-1]} − {self.arms[0]}"] if compare else []
        )
        header += [floor_name] if floor_name else []
        rows = []
        for lang in [*self.languages, "average"]:
            cells = [lang]
            means = []
            for arm in self.arms:
                stat = (
                    summary[arm]["average"]
                    if lang == "average"
                    else summary[arm]["per_language"].get(lang)
                )
                means.append(stat["mean"] if stat else float("nan"))
                cells.append(_fmt(stat))
            if compare:
                cells.append(f"{means[-1] - means[0]:+.1f}")
            if floor_name:
                cells.append(_floor_cell(floors, self.languages if lang == "average" else [lang]))
            rows.append(cells)
        return header, rows

    def scoring_lines(self) -> list[str]:
        """What the numbers are: the headline value and the evaluation protocol, in words."""
        scoring, lines = self.scoring, []
        if scoring.get("headline"):
            pooled = " (languages pooled)" if scoring.get("pooled_by") else ""
            lines.append(f"Headline: {scoring['headline']}{pooled}.")
        if scoring.get("protocol"):
            lines.append(f"Protocol: {scoring['protocol']}.")
        return lines

    def _other_values(self) -> list[str]:
        """The metric's values beside the headline (the other Tatoeba direction, EM, token
        accuracy, ...) per arm: averaged over languages, then over seeds."""
        skip = {self.metric, "examples", "seconds", "threshold", self.scoring.get("pooled_by")}
        lines = []
        for arm in self.arms:
            complete = [
                o["scores"]
                for o in self.outcomes
                if o["arm"] == arm and all(lang in o["scores"] for lang in self.languages)
            ]
            if not complete or not self.languages:
                continue
            keys = [
                key
                for key in complete[0][self.languages[0]]
                if key not in skip
                and all(key in scores[lang] for scores in complete for lang in self.languages)
            ]
            means = {
                key: sum(self.language_average(scores, key) for scores in complete) / len(complete)
                for key in keys
            }
            if means:
                lines.append(f"- {arm}: " + ", ".join(f"{k} {v:.1f}" for k, v in means.items()))
        return lines

    def markdown(self) -> str:
        header, rows = self.table_rows()
        lines = [
            f"# {self.name}",
            "",
            f"Target **{self.target}**, metric **{self.metric}** (percent), zero-shot from English; "
            f"seeds: {sorted({o['seed'] for o in self.outcomes})}; arms: {', '.join(self.arms)}.",
            "",
            "| " + " | ".join(header) + " |",
            "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|",
        ]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        about = self.scoring_lines()
        if about:
            lines += ["", *about]
        others = self._other_values()
        if others:
            lines += ["", "Other values (average over languages):", "", *others]
        inter = _intermediate_lines(self.outcomes)
        if inter:
            lines += [
                "",
                "Intermediate adapters (dev, in each task's training language):",
                "",
                *inter,
            ]
        if self.skipped:
            lines += ["", "Rows left out (counted, by convention):", ""]
            lines += [
                f"- {s['task']} ({s['lang']}, {s['split']}): {s['count']} of {s['total']}: "
                f"{s['reason']} ({s['source']})"
                for s in self.skipped
            ]
        env = self.environment
        lines += [
            "",
            f"Backbone `{self.recipe.get('backbone')}` ({self.recipe.get('quantization')}), method "
            f"`{self.recipe.get('method', {}).get('name')}`; device {env.get('device', '?')}; "
            f"{self.seconds:.0f} s; adaptxfer {env.get('adaptxfer', '?')}.",
        ]
        return "\n".join(lines) + "\n"


def _floor_cell(floors: dict[str, float], languages: list[str]) -> str:
    values = [floors[lang] for lang in languages if lang in floors]
    return f"{sum(values) / len(values):.1f}" if len(values) == len(languages) else "–"


def _fmt(stat: dict[str, Any] | None) -> str:
    if not stat:
        return "–"
    if stat.get("n", 1) > 1:
        return f"{stat['mean']:.1f} ± {stat['ci95']:.1f}"
    return f"{stat['mean']:.1f}"


def _intermediate_lines(outcomes: list[dict[str, Any]]) -> list[str]:
    seen: dict[tuple[str, int], dict[str, Any]] = {}
    for o in outcomes:
        for chain, metrics in (o.get("intermediates") or {}).items():
            seen[(chain, o["seed"])] = metrics
    lines = []
    for (chain, seed), metrics in sorted(seen.items()):
        dev = {
            k: v
            for k, v in (metrics.get("dev") or {}).items()
            if k.rsplit("/", 1)[-1] not in ("examples", "seconds", "masked_tokens")
        }
        shown = ", ".join(f"{k} {v:.1f}" for k, v in dev.items())
        lines.append(f"- {chain} (seed {seed}): {shown}")
    return lines


def environment(device: str) -> dict[str, Any]:
    """Versions, device and commit: results describe themselves."""
    import importlib.metadata as md

    def version(name: str) -> str:
        try:
            return md.version(name)
        except md.PackageNotFoundError:
            return "-"

    return {
        "adaptxfer": __version__,
        "commit": _commit(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "device": device,
        **{
            name: version(name)
            for name in ("torch", "transformers", "peft", "adapters", "bitsandbytes", "datasets")
        },
    }


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        return out.stdout.strip() or "-"
    except (OSError, subprocess.SubprocessError):
        return "-"


def load_finished_run(run_dir: Path) -> RunResult:
    """A finished run's results, after checking the run dir against its integrity record;
    a UserError says what is damaged."""
    from adaptxfer import integrity
    from adaptxfer.errors import UserError
    from adaptxfer.output_dirs import RESULTS_JSON

    problem = integrity.check(run_dir)
    if problem is not None:
        raise UserError(problem)
    path = Path(run_dir) / RESULTS_JSON
    try:
        return RunResult.from_file(path)
    except UserError as err:
        raise UserError(str(err).removeprefix(f"{path}: ")) from None
