"""Recipe loading: every recipe in recipes/ validates; bad recipes fail with the file, key
and line named."""

from __future__ import annotations

from pathlib import Path

import pytest

from adaptxfer.errors import RecipeError
from adaptxfer.recipes.loading import load_recipe

ROOT = Path(__file__).resolve().parents[1]
RECIPES = sorted(
    p
    for p in (ROOT / "recipes").rglob("*.yaml")
    if p.relative_to(ROOT / "recipes").parts[0] not in ("grids", "studies")  # their own tests
)


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
    assert recipe.problems() == []
    first = path.read_text(encoding="utf-8").splitlines()[:3]
    assert any("adaptxfer run" in line for line in first), (
        "a recipe opens with the command that runs it"
    )


def test_committed_recipes_equal_the_generator() -> None:
    """Generated recipes cannot drift: regenerate with `adaptxfer recipes --write`."""
    from adaptxfer.recipes.generate import differences, generate

    assert differences(ROOT / "recipes") == []
    generated = {ROOT / "recipes" / rel for rel in generate()}
    # (9 intermediates + the multi-task mixture) x (9 XTREME + 7 XTREME-R targets) + 3 Bible
    assert len(generated) == 10 * 16 + 3
    assert set(RECIPES) == generated, "a recipe outside the generator: add it to generate.py"


def test_bible_recipes_keep_their_tuned_settings() -> None:
    """The README's main job is tuned for <= 10 min on 2 CPU cores (8 m 16 s measured): keep it so."""
    para = load_recipe(ROOT / "recipes" / "bible" / "para-en_to_para-x.yaml")
    tatoeba = load_recipe(ROOT / "recipes" / "bible" / "para-en_to_tatoeba.yaml")
    for recipe in (para, tatoeba):
        assert (recipe.backbone, recipe.quantization, recipe.method.name) == (
            "e5-small", "none", "lora"
        )  # fmt: skip
        lora = recipe.method.lora
        assert (lora.r, lora.alpha, lora.dropout, lora.target_modules) == (
            8, 16, 0.05, ["query", "value"]
        )  # fmt: skip
        assert recipe.intermediate.tasks == ["bible-para-en"]
        assert recipe.phase_train("intermediate").max_steps == 100
        assert (recipe.train.lr, recipe.train.batch_size, recipe.train.max_length) == (
            1e-3,
            16,
            128,
        )
        assert (recipe.eval.split, recipe.eval.max_examples, recipe.eval.batch_size) == (
            "test",
            250,
            64,
        )
        assert recipe.seeds == [0] and recipe.composition.name == "sequential"
        assert recipe.languages == "all"
    assert para.target.task == "bible-para-x"
    assert para.target.train == {"max_steps": 40, "max_train_examples": 256}
    assert tatoeba.target.task == "bible-tatoeba" and tatoeba.target.train == {}
    # one intermediate adapter serves both (same store key)
    from adaptxfer.arms import intermediate_spec

    assert intermediate_spec(para, ("bible-para-en",), 0) == intermediate_spec(
        tatoeba, ("bible-para-en",), 0
    )


def test_generated_xtreme_recipes_share_intermediate_adapters() -> None:
    """Per-target settings never change the intermediate adapter's store key."""
    from adaptxfer.arms import intermediate_spec

    keys = {
        str(intermediate_spec(load_recipe(p), ("mnli",), 0))
        for p in RECIPES
        if p.name.startswith("mnli_to_")
    }
    assert len(keys) == 1


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
        (GOOD, ["composition=merge"], ["composition.name", "merge", "several"]),
        (
            GOOD,
            ["composition=madx"],
            ["composition.name", "madx", "needs method seq_bn, double_seq_bn or par_bn"],
        ),
        (
            GOOD,
            ["method.name=seq_bn", "composition=madx", "composition.madx.source_language=xx"],
            ["composition.madx", "'xx'", "languages with text"],
        ),
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


def test_a_recipe_that_is_not_utf8_names_the_file_and_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    from adaptxfer.grid import load_grid

    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"target: bible-para-x\ndescription: caf\xe9 au lait\n")
    with pytest.raises(RecipeError, match=r"latin1\.yaml:2: not UTF-8 text \(byte 0xe9"):
        load_recipe(path)
    with pytest.raises(RecipeError, match=r"latin1\.yaml:2: not UTF-8 text"):
        load_grid(path, tmp_path / "out")
    done = subprocess.run(
        [sys.executable, "-m", "adaptxfer.cli", "run", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "latin1.yaml:2: not UTF-8 text" in done.stderr and "Traceback" not in done.stderr
