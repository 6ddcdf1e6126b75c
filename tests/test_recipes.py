"""Recipe loading: every recipe in recipes/ validates; bad recipes fail with the file, key
and line named."""

from __future__ import annotations

from pathlib import Path

import pytest

from adaptxfer.errors import RecipeError
from adaptxfer.recipes.loading import load_recipe

ROOT = Path(__file__).resolve().parents[1]
RECIPES = sorted((ROOT / "recipes").rglob("*.yaml"))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "recipe.yaml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """\
backbone: e5-small
method: {name: lora, lora: {r: 4}}
intermediate: bible-para-en
target: {task: bible-para-x, train: {max_steps: 3}}
composition: sequential
languages: [fr, de]
train: {max_steps: 5, batch_size: 4}
eval: {max_examples: 10}
seeds: [0, 1]
"""


@pytest.mark.parametrize("path", RECIPES, ids=[str(p.relative_to(ROOT)) for p in RECIPES])
def test_every_shipped_recipe_validates(path: Path) -> None:
    recipe = load_recipe(path)
    assert recipe.target.task
    assert recipe.target_languages()
    first = path.read_text(encoding="utf-8").splitlines()[:3]
    assert any("adaptxfer run" in line for line in first), (
        "a recipe opens with the command that runs it"
    )


def test_short_forms_and_phase_overrides(tmp_path: Path) -> None:
    recipe = load_recipe(write(tmp_path, GOOD))
    assert recipe.intermediate.tasks == ["bible-para-en"]
    assert recipe.method.lora.r == 4
    assert recipe.phase_train("target").max_steps == 3
    assert recipe.phase_train("intermediate").max_steps == 5
    assert recipe.phase_train("target").batch_size == 4
    assert recipe.target_languages() == ["fr", "de"]
    assert recipe.name == "recipe"


def test_set_overrides_parse_yaml_values(tmp_path: Path) -> None:
    recipe = load_recipe(
        write(tmp_path, GOOD),
        ["train.max_steps=7", "seeds=[3]", "method.name=seq_bn", "intermediate.train.lr=0.01"],
    )
    assert recipe.train.max_steps == 7
    assert recipe.seeds == [3]
    assert recipe.method.name == "seq_bn"
    assert recipe.phase_train("intermediate").lr == 0.01


@pytest.mark.parametrize(
    ("text", "overrides", "expected"),
    [
        (GOOD + "colour: blue\n", [], ["recipe.yaml:10", "colour", "unknown key", "backbone"]),
        (
            GOOD.replace("{r: 4}", "{r: 4, rank: 2}"),
            [],
            ["recipe.yaml:2", "method.lora.rank", "unknown key"],
        ),
        (
            GOOD.replace("bible-para-en", "mnli-typo"),
            [],
            ["recipe.yaml:3", "intermediate.tasks.0", "mnli-typo", "bible-para-en"],
        ),
        (
            GOOD.replace("task: bible-para-x", "task: nope"),
            [],
            ["target.task", "'nope'", "bible-tatoeba"],
        ),
        (GOOD.replace("[fr, de]", "[fr, xx]"), [], ["recipe.yaml:6", "languages", "xx"]),
        (
            GOOD,
            ["train.max_steps=many"],
            ["train.max_steps", "'many'", "--set train.max_steps=many"],
        ),
        (GOOD, ["train.max_steps=0"], ["train.max_steps", "greater than or equal to 1"]),
        (GOOD, ["quantization=int4"], ["quantization", "int4", "'none', 'int8' or 'nf4'"]),
        (GOOD, ["composition=none"], ["composition.name", "baseline"]),
        (GOOD, ["target.train.epochs=2"], ["target.train.epochs", "unknown key"]),
        (GOOD, ["seeds=[1,1]"], ["seeds", "distinct"]),
        (
            GOOD.replace("target: {task: bible-para-x, train: {max_steps: 3}}\n", ""),
            [],
            ["target", "required"],
        ),
        ("target: [unclosed\n", [], ["recipe.yaml:2", "not valid YAML"]),
        ("", [], ["empty"]),
        ("- just\n- a list\n", [], ["mapping"]),
    ],
)
def test_bad_recipes_name_file_key_and_expectation(
    tmp_path: Path, text: str, overrides: list[str], expected: list[str]
) -> None:
    with pytest.raises(RecipeError) as info:
        load_recipe(write(tmp_path, text), overrides)
    message = str(info.value)
    for needle in expected:
        assert needle in message, f"{needle!r} not in:\n{message}"


def test_missing_recipe_file(tmp_path: Path) -> None:
    with pytest.raises(RecipeError, match="recipe file not found"):
        load_recipe(tmp_path / "nope.yaml")


def test_bad_override_syntax(tmp_path: Path) -> None:
    with pytest.raises(RecipeError, match="expected KEY=VALUE"):
        load_recipe(write(tmp_path, GOOD), ["train.max_steps"])
    with pytest.raises(RecipeError, match="is a value, not a section"):
        load_recipe(write(tmp_path, GOOD), ["backbone.name=x"])
