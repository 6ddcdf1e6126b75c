"""Studies: every study file validates and dry-runs (cells + peak memory), bad study files
fail with file/line/key, the Answer and the by-category aggregation on hand-made rows and
scores (no training), and the peak-memory estimate and its refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

from adaptxfer.cli import EXIT_BAD_INPUT, EXIT_OK, main
from adaptxfer.errors import RecipeError, UserError
from adaptxfer.memory import GIB, SHAPES, Estimate, check_fits, estimate
from adaptxfer.recipes.schema import Recipe
from adaptxfer.report.categories import category_rows
from adaptxfer.report.collect import Score
from adaptxfer.studies.answer import CONTRADICTED, INCONCLUSIVE, SUPPORTED, answer
from adaptxfer.studies.load import cell_estimates, load_study
from adaptxfer.studies.rows import StudyRow, describe_tasks, unit_tasks
from adaptxfer.studies.schema import Compare

ROOT = Path(__file__).resolve().parents[1]
STUDIES = sorted((ROOT / "recipes" / "studies").glob("*.yaml"))


def test_every_question_has_a_hub_and_an_offline_form():
    names = {p.name for p in STUDIES}
    assert len(names) == 10
    for path in STUDIES:
        if not path.stem.endswith("-offline"):
            assert f"{path.stem}-offline.yaml" in names
        assert path.read_text().startswith("# Q")  # the command to run it, first


@pytest.mark.parametrize("path", STUDIES, ids=lambda p: p.name)
def test_study_dry_run_lists_cells_and_peak_memory(path, tmp_path, capsys):
    assert main(["study", str(path), "--dry-run", "-o", str(tmp_path / "s")]) == EXIT_OK
    captured = capsys.readouterr()
    out = captured.out + captured.err  # a piped listing's title goes to stderr
    study = load_study(path, tmp_path / "s")
    assert f"study {study.name}: {len(study.grid.cells)} cells" in out
    assert "largest estimated peak:" in out and "question:" in out
    assert not (tmp_path / "s").exists()  # a dry run writes nothing
    if path.stem.endswith("-offline"):  # offline forms: offline tasks, e5-small
        assert {c.labels["backbone"] for c in study.grid.cells} == {"e5-small"}
        quick = load_study(path, tmp_path / "q", quick=True)
        assert len(quick.grid.cells) < len(study.grid.cells)
        assert 2 <= len(quick.spec.seeds) < len(study.spec.seeds) and len(study.spec.seeds) >= 3


def write_study(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "study.yaml"
    path.write_text(
        f"base: {ROOT / 'recipes/bible/para-en_to_para-x.yaml'}\n" + text, encoding="utf-8"
    )
    return path


GOOD = """\
question: Does it help?
intermediates: [vitaminc, siqa-offline]
targets: [multiemo, bible-next-x]
compare:
  hypothesis: classification gains more
  groups:
    classification: {target_category: classification}
    reasoning: {target_category: reasoning}
  expect: {higher: classification, lower: reasoning}
"""


def test_an_unknown_key_names_the_file_line_and_key(tmp_path, capsys):
    bad = GOOD.replace("  hypothesis:", "  hypothesiss: x\n  hypothesis:")
    path = write_study(tmp_path, bad)
    assert main(["study", str(path), "--dry-run"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert f"{path}:6: compare.hypothesiss: unknown key 'hypothesiss'" in err
    assert "expected one of: hypothesis, measure, where, groups, expect, across" in err


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("higher: classification", "higher: nlu"), "expect.higher: 'nlu' is not a group"),
        (("{target_category: reasoning}", "{target_category: multi-hop}"), "unknown target"),
        (
            ("{target_category: reasoning}", "{intermediate: [mnli]}"),
            ":9: compare.groups.reasoning.intermediate: ['mnli'] not in this study's cells",
        ),
        (("question: Does it help?\n", ""), "question: required key is missing"),
    ],
)
def test_bad_study_files_are_refused_with_what_was_expected(tmp_path, capsys, change, message):
    path = write_study(tmp_path, GOOD.replace(*change))
    assert main(["study", str(path), "--dry-run"]) == EXIT_BAD_INPUT
    assert message in capsys.readouterr().err


# -- the Answer on hand-made rows ---------------------------------------------------------------
def rows(gains: dict[str, list[float]], base: float = 50.0, backbone: str = "e5-small"):
    """Baseline and one intermediate on a classification and a reasoning target, with the
    intermediate's gain per seed given per target category."""
    out = []
    targets = {"classification": "multiemo", "reasoning": "bible-next-x"}
    for category, per_seed in gains.items():
        for seed, gain in enumerate(per_seed):
            common = dict(backbone=backbone, target=targets[category], target_category=category,
                          seed=seed, setup=f"{backbone} / none / lora")  # fmt: skip
            out.append(StudyRow(intermediate="baseline", intermediate_group="baseline",
                                composition="none", num_intermediates=0, score=base, **common))  # fmt: skip
            out.append(StudyRow(intermediate="vitaminc", intermediate_group="nlu",
                                composition="sequential", num_intermediates=1,
                                score=base + gain, **common))  # fmt: skip
    return out


COMPARE = Compare.model_validate(
    {
        "hypothesis": "classification gains more",
        "groups": {
            "classification": {"target_category": "classification"},
            "reasoning": {"target_category": "reasoning"},
        },
        "expect": {"higher": "classification", "lower": "reasoning"},
    }
)


def test_a_clear_positive_difference_supports_the_hypothesis():
    result = answer("q?", COMPARE, rows({"classification": [3, 4, 5], "reasoning": [1, 1, 2]}))
    assert result.verdict == SUPPORTED
    assert result.differences == {0: 2.0, 1: 3.0, 2: 3.0}
    stat = result.stat
    assert stat is not None and stat.mean == pytest.approx(8 / 3)
    assert stat.ci95 == pytest.approx(4.303 * (1 / 3) ** 0.5 / 3**0.5, rel=1e-3)
    assert result.sentence.startswith("Supported: classification − reasoning")
    assert "+2.67 points (95% CI +1.23 to +4.10, 3 seeds)" in result.sentence


def test_a_clear_negative_difference_contradicts_it():
    result = answer("q?", COMPARE, rows({"classification": [0, 1, 0], "reasoning": [4, 5, 5]}))
    assert result.verdict == CONTRADICTED
    assert result.sentence.startswith("Contradicted:") and "-4.33 points" in result.sentence


def test_a_ci_that_includes_zero_is_inconclusive():
    result = answer("q?", COMPARE, rows({"classification": [3, -1, 1], "reasoning": [1, 1, 0]}))
    assert result.verdict == INCONCLUSIVE
    assert result.sentence.startswith("Inconclusive (the CI includes 0):")
    one_seed = answer("q?", COMPARE, rows({"classification": [3], "reasoning": [1]}))
    assert one_seed.verdict == INCONCLUSIVE and "needs at least 2 seeds" in one_seed.sentence
    nothing = answer("q?", COMPARE, rows({"classification": [3, 4]}))
    assert nothing.verdict == INCONCLUSIVE and "reasoning: 0 cells" in nothing.sentence
    flat = answer("q?", COMPARE, rows({"classification": [0, 0, 0], "reasoning": [0, 0, 0]}))
    assert flat.verdict == INCONCLUSIVE  # every cell scored the same: say so, not "CI +0 to +0"
    assert "exactly 0 in all 3 seeds" in flat.sentence and "CI" not in flat.sentence


ACROSS = Compare.model_validate(
    {
        "hypothesis": "the gain shrinks with scale",
        "measure": "score",
        "groups": {"trained": {"intermediate": "vitaminc"}, "none": {"intermediate": "baseline"}},
        "expect": {"higher": "trained", "lower": "none"},
        "across": {"by": "backbone", "expect": "shrinks"},
    }
)


def test_across_backbones_tests_the_change_and_one_backbone_cannot_answer():
    small = rows({"classification": [6, 5, 7]}, backbone="xlm-roberta-base")
    large = rows({"classification": [1, 2, 1]}, backbone="xlm-roberta-large")
    order = ["xlm-roberta-base", "xlm-roberta-large"]
    result = answer("q?", ACROSS, small + large, axis=order)
    assert result.verdict == SUPPORTED and [v for v, _ in result.across] == order
    assert result.differences == {0: -5.0, 1: -3.0, 2: -6.0}
    alone = answer("q?", ACROSS, small, axis=order)
    assert alone.verdict == INCONCLUSIVE
    assert (
        "cover 1 backbone value(s)" in alone.sentence and "shrinks with backbone" in alone.sentence
    )


def test_units_count_tasks_of_mixtures_and_languages():
    assert unit_tasks("siqa+copa@de") == ["siqa", "copa"]
    assert describe_tasks(["mnli", "anli-plus"]) == ("nlu", 2)
    assert describe_tasks(["mnli+gsm8k"]) == ("mixed", 2)
    assert describe_tasks(["bible-para-en", "bible-para-x@de"])[1] == 2


# -- reports by target category ---------------------------------------------------------------
def test_category_rows_average_targets_and_pair_deltas_by_seed():
    def score(target, inter, seed, lang, value):
        comp = "none" if inter == "baseline" else "sequential"
        return Score("s", target, "accuracy", inter, comp, seed, lang, value, "run")

    scores = []
    for seed, (a, b) in enumerate([(60, 40), (62, 44)]):
        for lang in ("de", "fr"):
            scores += [
                score("multiemo", "baseline", seed, lang, 50),
                score("multiemo", "x", seed, lang, a),
            ]
            scores += [
                score("bible-para-x", "baseline", seed, lang, 50),
                score("bible-para-x", "x", seed, lang, b),
            ]
    found = {r.system: r for r in category_rows(scores) if r.category == "classification"}
    assert found["baseline"].score.mean == 50 and found["baseline"].delta is None
    trained = found["x (sequential)"]
    assert trained.targets == ("bible-para-x", "multiemo")
    assert trained.score.mean == pytest.approx(51.5) and trained.delta.mean == pytest.approx(1.5)
    assert trained.delta.n == 2 and trained.delta.ci95 == pytest.approx(12.706 * 1.5, rel=1e-3)


# -- peak memory ---------------------------------------------------------------------------------
def recipe(**changes) -> Recipe:
    data = {"backbone": "xlm-roberta-large", "intermediate": ["mnli"], "target": "xnli"}
    return Recipe.model_validate({**data, **changes})


def test_the_estimate_follows_quantisation_batch_and_length():
    full = estimate(recipe(), "cuda")
    nf4 = estimate(recipe(quantization="nf4"), "cuda")
    assert full is not None and nf4 is not None
    large = SHAPES["xlm-roberta-large"]
    embeddings = large.vocab * large.hidden * 2
    assert full.weights == pytest.approx(large.params * 2, rel=1e-6)
    linear = large.linear_params
    assert nf4.weights - embeddings < linear * 0.6 < full.weights - embeddings  # 4-bit + absmax
    assert embeddings < nf4.weights  # the 250k x 1024 embedding table stays 16-bit
    assert nf4.activations == full.activations
    longer = estimate(recipe(train={"max_length": 256}), "cuda")
    assert longer.activations > 2 * full.activations  # attention grows with length squared
    cpu = estimate(recipe(), "cpu")
    assert cpu.weights == 2 * full.weights and cpu.activations == 2 * full.activations
    assert estimate(recipe(backbone="someone/unknown-model"), "cuda") is None


def test_a_cell_that_does_not_fit_is_refused_naming_it_and_what_to_change(tmp_path, capsys):
    small = Estimate(GIB, 0, GIB, 0, "small")
    big = Estimate(30 * GIB, GIB, 60 * GIB, GIB, "xlm-roberta-xxl (nf4, lora), batch 32 x 128")
    check_fits({"a": small, "b": None}, "cuda", 4 * GIB)  # fits: no error
    with pytest.raises(
        UserError,
        match=r"b will not fit: estimated peak 92\.00 GiB .* cuda has 4\.00 GiB free.*train\.batch_size",
    ):
        check_fits({"a": small, "b": big}, "cuda", 4 * GIB)
    path = ROOT / "recipes/studies/q3-model-scale.yaml"
    study = load_study(path, tmp_path)
    estimates = cell_estimates(study.grid, "cuda")
    xxl = [e for cid, e in estimates.items() if cid.startswith("xlm-roberta-xxl")]
    assert xxl and all(e is not None and e.total > 20 * GIB for e in xxl)
    with pytest.raises(RecipeError):
        load_study(write_study(tmp_path, GOOD.replace("vitaminc", "nonsense")), tmp_path)


def test_trends_over_the_number_of_intermediate_tasks_are_plotted(tmp_path):
    from adaptxfer.report import plots
    from adaptxfer.studies.report import trend_series
    from adaptxfer.studies.schema import Selection

    made = []
    for n, score in ((1, 40.0), (2, 42.0), (4, 45.0)):
        for comp in ("stack", "fuse"):
            for seed in (0, 1):
                made.append(StudyRow("e5-small", "bible-next-x", "reasoning", f"{comp}-{n}", "mixed",
                                     comp, n, seed, score + seed))  # fmt: skip
    series = trend_series(
        made,
        "num_intermediates",
        {c: Selection(composition=[c]) for c in ("stack", "fuse")},
        ["1", "2", "4"],
    )
    assert [x for x, _ in series["fuse"]] == ["1", "2", "4"]
    assert [s.mean for _, s in series["stack"]] == [40.5, 42.5, 45.5]
    path = plots.trend(series, "intermediate tasks", "score (%)", "t", tmp_path / "n.png")
    assert path.stat().st_size > 1000


VALIDATE_STUDIES = """
import sys
from pathlib import Path
from adaptxfer.studies.load import cell_estimates, load_study
skip = set(sys.argv[1:])
for path in sorted(Path("recipes/studies").glob("*.yaml")):
    if path.name not in skip:
        cell_estimates(load_study(path, Path("/nonexistent-study-dir")).grid, "cuda")
print(sorted(m for m in ("torch", "transformers", "peft", "adapters") if m in sys.modules))
"""


def test_validating_and_estimating_studies_leaves_torch_unloaded():
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-c", VALIDATE_STUDIES],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == "[]"
