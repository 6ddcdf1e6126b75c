"""Reports: per-target tables (mean ± 95% CI over seeds), deltas paired by seed, CSV,
heatmap and bar charts, from results.json files written by RunResult; report.html holds
every table and figure inline and renders in a real browser."""

from __future__ import annotations

import base64
import csv
import io
import re
import shutil
import subprocess
from html.parser import HTMLParser
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


def _grid_report(root: Path):
    for target, system, seed in SCORES:
        write_run(root / "grid" / "cells", target, system, seed)
    return build_report([root / "grid"], root / "report")


class _Tables(HTMLParser):
    """Every table of an HTML page as rows of cell texts, and every image source."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.images: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "img":
            self.images.append(dict(attrs)["src"] or "")

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None


def _markdown_tables(text: str) -> list[list[list[str]]]:
    tables: list[list[list[str]]] = []
    previous = ""
    for line in text.splitlines():
        if line.startswith("|") and not previous.startswith("|"):
            tables.append([])
        if line.startswith("|") and not line.startswith("|---"):
            tables[-1].append([cell.strip() for cell in line.strip("|").split("|")])
        previous = line
    return tables


def test_report_html_holds_every_table_and_figure_inline(tmp_path: Path) -> None:
    files = _grid_report(tmp_path)
    page = _Tables()
    page.feed(files.html.read_text(encoding="utf-8"))
    expected = _markdown_tables(files.markdown.read_text(encoding="utf-8"))
    assert len(expected) == 4  # the Δ matrix, by target category, one table per target
    assert page.tables == expected
    inline = {
        "data:image/png;base64," + base64.b64encode(p.read_bytes()).decode() for p in files.images
    }
    assert len(files.images) == 3 and set(page.images) == inline  # nothing read from disk


CHROMIUM = next(
    (shutil.which(name) for name in ("chromium", "chromium-browser") if shutil.which(name)),
    None,
)


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium to render report.html in (Debian: apt-get install chromium)",
)
def test_report_html_renders_in_headless_chromium(tmp_path: Path) -> None:
    """Chromium, offline, screenshots the page: the bar charts' bars (matplotlib's first
    two colours) and the heatmap's strongest cell (RdBu's blue end) are on screen."""
    from PIL import Image

    files = _grid_report(tmp_path)
    shot = tmp_path / "report.png"
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars",
        "--window-size=1280,3200", f"--screenshot={shot}", files.html.as_uri(),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=180)
    assert shot.is_file(), done.stderr[-2000:]
    pixels = set(Image.open(shot).convert("RGB").getdata())

    def shown(rgb: tuple[int, int, int]) -> bool:
        return any(all(abs(a - b) <= 12 for a, b in zip(p, rgb, strict=True)) for p in pixels)

    assert shown((31, 119, 180)) and shown((255, 127, 14))  # baseline and para-en bars
    assert shown((5, 48, 97))  # the heatmap cell of the largest Δ
    assert re.search(r"<h1>adaptxfer report</h1>", files.html.read_text(encoding="utf-8"))


# -- benchmark scores ------------------------------------------------------------------------
BENCHMARK_RUNS = {  # (target, seed) -> (metric, scoring, per-language scores); baseline only
    ("xnli", 0): ("accuracy", {}, {"de": {"accuracy": 70.0}, "fr": {"accuracy": 80.0}}),
    ("xnli", 1): ("accuracy", {}, {"de": {"accuracy": 72.0}, "fr": {"accuracy": 82.0}}),
    ("xquad", 0): ("f1", {"task_score": "em_f1"}, {
        "en": {"f1": 80.0, "exact_match": 60.0, "em_f1": 70.0},
        "es": {"f1": 70.0, "exact_match": 50.0, "em_f1": 60.0}}),
    ("lareqa", 0): ("map@20", {"pooled_by": "queries", "headline": "mAP@20 pooled"}, {
        "de": {"map@20": 100.0, "queries": 10.0}, "en": {"map@20": 0.0, "queries": 30.0}}),
    ("bible-para-x", 0): ("accuracy", {}, {"de": {"accuracy": 50.0}}),
}  # fmt: skip


def test_report_shows_benchmark_averages_over_the_targets_present(tmp_path: Path) -> None:
    for (target, seed), (metric, scoring, scores) in BENCHMARK_RUNS.items():
        result = RunResult(
            name=f"{target}-{seed}", recipe={"backbone": "xlm-roberta-large"}, target=target,
            metric=metric, languages=list(scores), arms=[BASELINE],
            outcomes=[{"arm": BASELINE, "seed": seed, "scores": scores}],
            scoring={"metric": metric, **scoring},
        )  # fmt: skip
        run = tmp_path / "grid" / f"{target}-{seed}"
        run.mkdir(parents=True)
        (run / "results.json").write_text(result.to_json(), encoding="utf-8")
    files = build_report([tmp_path / "grid"], tmp_path / "report")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "report" / "benchmarks.csv").read_text())))
    by = {(r["benchmark"], r["task"]): r for r in rows}
    # xnli: seeds average (70+80)/2 = 75 and (72+82)/2 = 77 -> 76, in 2 of 15 languages;
    # xquad: (EM + F1) / 2 per language, 70 and 60 -> 65; LAReQA pooled: 10*100/40 = 25
    assert float(by[("XTREME", "xnli")]["score"]) == pytest.approx(76.0)
    assert (by[("XTREME", "xnli")]["present"], by[("XTREME", "xnli")]["total"]) == ("2", "15")
    assert float(by[("XTREME", "xquad")]["score"]) == pytest.approx(65.0)
    assert float(by[("XTREME-R", "lareqa")]["score"]) == pytest.approx(25.0)
    # XTREME: (76 + 65) / 2 over 2 of its 9 tasks; XTREME-R: xnli and lareqa of 10
    xtreme, xtreme_r = by[("XTREME", "average")], by[("XTREME-R", "average")]
    assert float(xtreme["score"]) == pytest.approx(70.5) and xtreme["total"] == "9"
    assert float(xtreme_r["score"]) == pytest.approx(50.5) and xtreme_r["present"] == "2"
    assert not any(r["task"] == "bible-para-x" for r in rows)
    text = files.markdown.read_text()
    assert "### XTREME (Hu et al. 2020)" in text
    assert "| baseline | 76.0 (2/15) | – | – | – | 65.0 (2/11) |" in text
    assert "| 70.5 | 2/9 (0 with all languages) |" in text
    assert "Headline: mAP@20 pooled (languages pooled)." in text
    assert "Benchmark scores" in files.html.read_text(encoding="utf-8")
    summary = list(csv.DictReader(io.StringIO((tmp_path / "report" / "summary.csv").read_text())))
    lareqa = next(r for r in summary if r["target"] == "lareqa" and r["language"] == "average")
    assert float(lareqa["mean"]) == pytest.approx(25.0)  # the target table pools too


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
