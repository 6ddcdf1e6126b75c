"""The metric registry: one seam between tasks and scoring functions."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Collection, Sequence
from pathlib import Path

import pytest

from adaptxfer.errors import UnknownNameError
from adaptxfer.metrics import registry
from adaptxfer.metrics.registry import all_metrics, get_metric, register_metric, score
from adaptxfer.tasks.registry import all_tasks

METRICS_DIR = Path(__file__).parents[1] / "src" / "adaptxfer" / "metrics"


def mrr_at_10_scorer(
    ranked: Sequence[Sequence[str]], relevant: Sequence[Collection[str]], lang: str
) -> dict[str, float]:
    """README's worked example: mean reciprocal rank of the first relevant id in the top 10."""
    ranks = [
        next((1 / r for r, item in enumerate(row[:10], start=1) if item in gold), 0.0)
        for row, gold in zip(ranked, relevant, strict=True)
    ]
    return {"mrr@10": 100.0 * sum(ranks) / len(ranks)}


@pytest.fixture
def scratch_registry(monkeypatch):
    monkeypatch.setattr(registry, "_METRICS", dict(registry._METRICS))


def test_a_new_metric_is_one_function_and_one_registry_line(scratch_registry):
    register_metric("mrr@10", "test_metrics_registry:mrr_at_10_scorer", primary="mrr@10")
    # first relevant at rank 2, at rank 1, never -> (1/2 + 1 + 0) / 3
    ranked = [["x", "a"], ["b", "x"], ["x", "y"]]
    assert score("mrr@10", ranked, [{"a"}, {"b"}, {"z"}], lang="de") == {
        "mrr@10": pytest.approx(50.0)
    }
    assert get_metric("mrr@10").benchmark_value == "mrr@10"
    # the same line twice is harmless; a different metric under a taken name is not
    register_metric("mrr@10", "test_metrics_registry:mrr_at_10_scorer", primary="mrr@10")
    with pytest.raises(ValueError, match="registered twice"):
        register_metric("mrr@10", mrr_at_10_scorer, primary="mrr@10")


def test_the_primary_value_comes_first_and_must_be_there(scratch_registry):
    register_metric("two", lambda p, r, lang: {"b": 1.0, "a": 2.0}, primary="a")
    assert list(score("two", None, None, lang="en")) == ["a", "b"]
    register_metric("broken", lambda p, r, lang: {"b": 1.0}, primary="a")
    with pytest.raises(ValueError, match="metric 'broken': its scorer returned no 'a'"):
        score("broken", None, None, lang="en")
    with pytest.raises(UnknownNameError, match=r"'nope'.*accuracy"):
        get_metric("nope")


def test_every_task_names_a_registered_metric_whose_scorer_imports():
    names = {task.metric for task in all_tasks().values()}
    assert names <= set(all_metrics())
    for metric in all_metrics().values():
        assert callable(metric.resolve()), metric.name
    assert get_metric("squad").benchmark_value == "em_f1"
    assert get_metric("map@20_pooled").pooled_by == "queries"
    assert get_metric("map@20").pooled_by is None  # Mewsli-X: languages averaged as they are


def test_metrics_import_no_higher_layer_and_no_torch_up_front():
    # metrics sit below tasks: a task kind imports metrics, never the other way round
    for path in METRICS_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("adaptxfer.tasks"), path.name
    code = (
        "import sys, adaptxfer.metrics as m; m.score('accuracy', [1], [1], lang='en'); "
        "print(sorted(x for x in ('torch', 'seqeval') if x in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
