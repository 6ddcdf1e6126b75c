"""The ``adaptxfer`` command: help everywhere, exit codes 0 / 1 / 2, messages that name
the file and key, recipe listing and the generated-recipe check."""

from __future__ import annotations

from pathlib import Path

import pytest

from adaptxfer.cli import EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, main

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = ["run", "grid", "study", "report", "status", "tasks", "recipes"]


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_on_every_command(command: str | None, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as info:
        main([command, "--help"] if command else ["--help"])
    assert info.value.code == EXIT_OK
    assert "usage: adaptxfer" in capsys.readouterr().out


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture) -> None:
    for argv in (["nope"], ["run"], ["grid", "g.yaml", "--engine", "slurm"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == EXIT_BAD_INPUT
    assert "error" in capsys.readouterr().err


def test_bad_recipe_exits_2_naming_file_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    recipe = tmp_path / "bad.yaml"
    recipe.write_text("target: bible-para-x\ntrain: {max_stepz: 3}\n", encoding="utf-8")
    assert main(["run", str(recipe)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "bad.yaml:2" in err and "train.max_stepz" in err and "max_steps" in err
    assert "Traceback" not in err
    assert main(["run", str(recipe), "--set", "train={max_steps: 0}"]) == EXIT_BAD_INPUT
    assert "greater than or equal to 1" in capsys.readouterr().err


def test_bad_grid_and_report_inputs_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    grid = tmp_path / "grid.yaml"
    grid.write_text("intermediates: [bible-para-en]\ntargets: [nope]\n", encoding="utf-8")
    assert main(["grid", str(grid), "-o", str(tmp_path / "out")]) == EXIT_BAD_INPUT
    assert "unknown target task 'nope'" in capsys.readouterr().err
    assert main(["report", str(tmp_path)]) == EXIT_BAD_INPUT
    assert "no results.json" in capsys.readouterr().err


def test_shipped_grid_dry_run(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    grid = ROOT / "recipes" / "grids" / "bible-small.yaml"
    assert main(["grid", str(grid), "-o", str(tmp_path / "g"), "--dry-run"]) == EXIT_OK
    captured = capsys.readouterr()  # piped: the title on stderr, the cells on stdout
    assert "16 cells" in captured.err and "4 intermediate adapters" in captured.err
    assert len(captured.out.splitlines()) == 1 + 16


def test_recipes_lists_and_filters(capsys: pytest.CaptureFixture) -> None:
    root = str(ROOT / "recipes")
    assert main(["recipes", "--dir", root, "--target", "xnli"]) == EXIT_OK
    captured = capsys.readouterr()
    assert (
        "mnli_to_xnli" in captured.out
        and "multitask_to_xnli" in captured.out
        and "recipes (10)" in captured.err
    )
    assert main(["recipes", "--dir", root, "--benchmark", "bible"]) == EXIT_OK
    assert "recipes (3)" in capsys.readouterr().err
    assert main(["recipes", "--dir", root, "--intermediate", "nope"]) == EXIT_BAD_INPUT


def test_recipes_check_detects_drift(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["recipes", "--dir", str(tmp_path), "--write"]) == EXIT_OK
    assert main(["recipes", "--dir", str(tmp_path), "--check"]) == EXIT_OK
    edited = tmp_path / "xtreme" / "mnli_to_xnli.yaml"
    edited.write_text(edited.read_text().replace("max_steps: 4000", "max_steps: 5"))
    capsys.readouterr()
    assert main(["recipes", "--dir", str(tmp_path), "--check"]) == EXIT_FAILURE
    assert "mnli_to_xnli.yaml: differs" in capsys.readouterr().err
