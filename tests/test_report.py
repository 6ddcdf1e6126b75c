"""Reports: per-target tables (mean ± 95% CI over seeds), deltas paired by seed, CSV,
heatmap and bar charts, from results.json files written by RunResult."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from adaptxfer.arms import BASELINE
from adaptxfer.errors import UserError
from adaptxfer.report import build_report
from adaptxfer.results import RunResult

T975_1 = 12.706205  # Student t quantile t(0.975, df=1)
SCORES = {  # (target, intermediate or baseline, seed) -> per-language accuracy
    ("bible-para-x", "baseline", 0): {"de": 60.0, "fr": 70.0},
    ("bible-para-x", "baseline", 1): {"de": 62.0, "fr": 66.0},
    ("bible-para-x", "para-en", 0): {"de": 65.0, "fr": 71.0},
    ("bible-para-x", "para-en", 1): {"de": 70.0, "fr": 69.0},
    ("bible-tatoeba", "baseline", 0): {"de": 90.0, "fr": 80.0},
    ("bible-tatoeba", "para-en", 0): {"de": 88.0, "fr": 83.0},
}


def write_run(root: Path, target: str, system: str, seed: int) -> Path:
    arm = BASELINE if system == BASELINE else "sequential"
    tasks = [] if system == BASELINE else ["bible-para-en"]
    result = RunResult(
        name=f"{system}-{target}-{seed}",
        recipe={"backbone": "e5-small", "quantization": "none", "method": {"name": "lora"},
                "intermediate": {"tasks": tasks}},
        target=target,
        metric="accuracy",
        languages=["de", "fr"],
        arms=[arm],
        outcomes=[{"arm": arm, "composition": "none" if arm == BASELINE else "sequential",
                   "seed": seed, "train": None,
                   "scores": {k: {"accuracy": v} for k, v in SCORES[(target, system, seed)].items()}}],
        labels={"intermediate": system},
    )  # fmt: skip
    run = root / target / f"{system}-seed{seed}"
    run.mkdir(parents=True)
    (run / "results.json").write_text(result.to_json(), encoding="utf-8")
    return run


def test_report_tables_deltas_and_figures(tmp_path: Path) -> None:
    for target, system, seed in SCORES:
        write_run(tmp_path / "grid" / "cells", target, system, seed)
    (tmp_path / "grid" / "cells" / ".x.partial-1").mkdir()  # unfinished runs are ignored
    files = build_report([tmp_path / "grid"], tmp_path / "report")
    assert files.runs == len(SCORES)

    rows = list(csv.DictReader(io.StringIO((tmp_path / "report" / "summary.csv").read_text())))
    by = {(r["target"], r["system"], r["language"]): r for r in rows}
    para = by[("bible-para-x", "para-en (sequential)", "average")]
    # deltas of the language averages, paired by seed: 68 - 65 = 3.0 and 69.5 - 64 = 5.5;
    # 95% CI half-width of two values: t(0.975, 1) * |a - b| / 2
    assert float(para["delta"]) == pytest.approx(4.25, abs=1e-4)
    assert float(para["delta_ci95"]) == pytest.approx(T975_1 * 2.5 / 2, abs=1e-4)
    assert float(para["mean"]) == pytest.approx(68.75, abs=1e-4)
    assert float(para["ci95"]) == pytest.approx(T975_1 * 1.5 / 2, abs=1e-4)
    de = by[("bible-para-x", "baseline", "de")]
    assert float(de["mean"]) == pytest.approx(61.0) and de["n"] == "2"
    assert by[("bible-tatoeba", "para-en (sequential)", "fr")]["delta"] == "3.0000"

    text = files.markdown.read_text()
    assert "| para-en (sequential) |" in text and "## bible-tatoeba" in text
    assert "![Δ heatmap](heatmap.png)" in text
    for image in files.images:
        assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert {p.name for p in files.images} == {
        "heatmap.png", "bars_bible-para-x.png", "bars_bible-tatoeba.png"
    }  # fmt: skip
    scores = list(csv.DictReader(io.StringIO((tmp_path / "report" / "scores.csv").read_text())))
    assert len(scores) == 2 * len(SCORES)


def test_report_without_baseline_has_no_heatmap(tmp_path: Path) -> None:
    run = write_run(tmp_path, "bible-para-x", "para-en", 0)
    files = build_report([run], tmp_path / "report")
    assert [p.name for p in files.images] == ["bars_bible-para-x.png"]
    assert "no Δ heatmap" in files.markdown.read_text()


def test_report_needs_finished_runs(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"no results\.json"):
        build_report([tmp_path], tmp_path / "report")
    with pytest.raises(UserError, match="not a directory"):
        build_report([tmp_path / "missing"], tmp_path / "report")


def test_a_run_and_its_report_agree_on_mean_and_ci(tmp_path: Path) -> None:
    """results.json's summary and the report compute mean ± CI over seeds the same way."""
    outcomes = [
        {"arm": arm, "composition": comp, "seed": seed, "train": None,
         "scores": {k: {"accuracy": v} for k, v in SCORES[("bible-para-x", system, seed)].items()}}
        for arm, comp, system in (("baseline", "none", "baseline"),
                                  ("sequential", "sequential", "para-en"))
        for seed in (0, 1)
    ]  # fmt: skip
    result = RunResult(
        name="two-seeds",
        recipe={"backbone": "e5-small", "method": {"name": "lora"},
                "intermediate": {"tasks": ["bible-para-en"]}},
        target="bible-para-x", metric="accuracy", languages=["de", "fr"],
        arms=["baseline", "sequential"], outcomes=outcomes,
    )  # fmt: skip
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "results.json").write_text(result.to_json(), encoding="utf-8")
    summary = result.summary()
    assert summary["sequential"]["average"] == pytest.approx(
        {"mean": 68.75, "ci95": T975_1 * 1.5 / 2, "n": 2}
    )
    assert summary["baseline"]["per_language"]["de"] == pytest.approx(
        {"mean": 61.0, "ci95": T975_1 * 2 / 2, "n": 2}
    )
    build_report([tmp_path / "run"], tmp_path / "report")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "report" / "summary.csv").read_text())))
    by = {(r["system"], r["language"]): r for r in rows}
    average = by[("bible-para-en (sequential)", "average")]
    assert float(average["mean"]) == pytest.approx(68.75, abs=1e-4)
    assert float(average["ci95"]) == pytest.approx(
        summary["sequential"]["average"]["ci95"], abs=1e-4
    )
