"""Bad local data (``data_dir`` / ``ADAPTXFER_DATA``): every problem is an error naming
the file, line and field before anything trains; rows skipped by convention (no gold
label, QA answers outside every window) are counted on the console and in results.json."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from adaptxfer.errors import DataError, MissingAssetError
from adaptxfer.tasks import skips
from adaptxfer.tasks.loading import load_split
from adaptxfer.tasks.registry import get_task
from task_fixtures import local_paths, pawsx, squad_like

ROOT = Path(__file__).resolve().parents[1]


def write_rows(path: Path, rows: list[Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def pawsx_file(data_dir: Path, change: Any = None, split: str = "test") -> Path:
    """PAWS-X (de) rows in the Hub's schema; ``change(rows)`` edits them first."""
    rows = pawsx("de", split)
    if change is not None:
        change(rows)
    return write_rows(local_paths(get_task("pawsx"), "de", split, data_dir)[0], rows)


def load_pawsx(data_dir: Path, split: str = "test") -> Any:
    return load_split(get_task("pawsx"), "de", split, data_dir=data_dir)


def setitem(index: int, key: str, value: Any):
    return lambda rows: rows[index].__setitem__(key, value)


@pytest.mark.parametrize(
    ("change", "line", "needles"),
    [
        (lambda rows: rows[2].pop("label"), 3, ["field 'label'", "missing or null"]),
        (setitem(1, "label", None), 2, ["field 'label'", "missing or null"]),
        (setitem(3, "label", 99), 4, ["field 'label'", "got 99", "0..1", "paraphrase"]),
        (setitem(4, "label", "yes"), 5, ["field 'label'", '"yes" (text)', "line 1: 0"]),
        (setitem(0, "sentence1", None), 1, ["field 'sentence1'", "missing or null"]),
        (setitem(5, "sentence2", "  "), 6, ["field 'sentence2'", "is empty"]),
        (setitem(2, "sentence1", 7), 3, ["field 'sentence1'", "(a number)"]),
    ],
)
def test_a_bad_row_names_file_line_and_field(tmp_path: Path, change, line, needles) -> None:
    path = pawsx_file(tmp_path, change)
    with pytest.raises(DataError) as caught:
        load_pawsx(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: "), message
    for needle in needles:
        assert needle in message, f"{needle!r} not in {message}"


def test_a_label_name_outside_the_label_set_is_an_error(tmp_path: Path) -> None:
    names = ["paraphrase", "not_paraphrase", "paraphrase", "maybe", "paraphrase", "paraphrase"]
    path = pawsx_file(
        tmp_path, lambda rows: [r.__setitem__("label", n) for r, n in zip(rows, names, strict=True)]
    )
    with pytest.raises(DataError, match=rf"^{path}:4: field 'label': got 'maybe'; expected"):
        load_pawsx(tmp_path)


def test_unreadable_files_name_the_line(tmp_path: Path) -> None:
    path = pawsx_file(tmp_path)
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join([*lines[:3], b'{"id": 9, "sentence1": "caf\xe9"}\n', *lines[3:]]))
    with pytest.raises(DataError, match=rf"^{path}:4: not UTF-8 text \(byte 0xe9 at column 28\)"):
        load_pawsx(tmp_path)

    path.write_bytes(b"".join(lines[:-1]) + lines[-1][:25])  # a truncated last line
    with pytest.raises(DataError, match=rf"^{path}:6: not a JSON object \(.*truncated"):
        load_pawsx(tmp_path)

    path.write_text('{"id": 1}\n[1, 2]\n', encoding="utf-8")
    with pytest.raises(DataError, match=rf"^{path}:2: expected a JSON object"):
        load_pawsx(tmp_path)

    path.write_text("\n", encoding="utf-8")
    with pytest.raises(DataError, match=rf"^{path}: the file is empty"):
        load_pawsx(tmp_path)


def test_a_field_no_row_has_names_the_file(tmp_path: Path) -> None:
    path = pawsx_file(tmp_path, lambda rows: [r.pop("sentence2") for r in rows])
    with pytest.raises(
        DataError, match=rf"^{path}: task 'pawsx' \(de, test\): no field\(s\) \['sentence2'\]"
    ):
        load_pawsx(tmp_path)


def test_conllu_ids_that_are_not_word_indices_name_the_line(tmp_path: Path) -> None:
    path = local_paths(get_task("udpos"), "de", "test", tmp_path)[0]
    path.parent.mkdir(parents=True)
    good = "1\tDas\t_\tDET\t_\t_\t_\t_\t_\t_\n2\tHaus\t_\tNOUN\t_\t_\t_\t_\t_\t_\n"
    for bad, needle in (
        ("four\tdrei\t_\tNUM\t_\t_\t_\t_\t_\t_\n", "column 1 (ID) is 'four'"),
        ("1-x\tzum\t_\t_\t_\t_\t_\t_\t_\t_\n", "column 1 (ID) is '1-x'"),
        ("3-3\tzum\t_\t_\t_\t_\t_\t_\t_\t_\n", "column 1 (ID) is the range '3-3'"),
    ):
        path.write_text(f"# sent 1\n{good}\n{good}{bad}", encoding="utf-8")
        with pytest.raises(DataError, match=rf"^{re.escape(f'{path}:7: {needle}')}"):
            load_split(get_task("udpos"), "de", "test", data_dir=tmp_path)
    path.write_text(f"{good}1\tDach\t_\tNOUNS\t_\t_\t_\t_\t_\t_\n", encoding="utf-8")
    with pytest.raises(DataError, match=rf"^{path}:1: field 'pos_tags' \(tags\): tag 3 'NOUNS'"):
        load_split(get_task("udpos"), "de", "test", data_dir=tmp_path)


def test_qa_answers_must_be_in_their_context(tmp_path: Path) -> None:
    squad = get_task("squad")
    rows = squad_like("en", "train")
    rows[2]["answers"]["answer_start"] = [rows[2]["answers"]["answer_start"][0] + 3]
    path = write_rows(local_paths(squad, "en", "train", tmp_path)[0], rows)
    with pytest.raises(DataError) as caught:
        load_split(squad, "en", "train", data_dir=tmp_path)
    assert str(caught.value).startswith(f"{path}:3: field 'answers': answer ")
    assert "is not in its context at answer_start" in str(caught.value)

    # Scoring reads only the text: an offset that is off is fine there, a text that is
    # not in the context is not; a question with no answer is not either (SQuAD v1.1).
    dev = squad_like("en", "dev")
    dev[1]["answers"]["answer_start"] = [0]
    path = write_rows(local_paths(squad, "en", "dev", tmp_path)[0], dev)
    assert len(load_split(squad, "en", "dev", data_dir=tmp_path)) == len(dev)
    dev[4]["answers"]["text"] = ["not in there"]
    write_rows(path, dev)
    with pytest.raises(DataError, match=rf"^{path}:5: field 'answers': answer 'not in there'"):
        load_split(squad, "en", "dev", data_dir=tmp_path)
    dev[4]["answers"] = {"text": [], "answer_start": []}
    write_rows(path, dev)
    with pytest.raises(DataError, match="no unanswerable questions"):
        load_split(squad, "en", "dev", data_dir=tmp_path)


def test_no_gold_labels_are_skipped_and_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pawsx_file(tmp_path, setitem(2, "label", -1))
    with skips.collecting() as noted:
        data = load_pawsx(tmp_path)
    assert len(data) == 5 and data["label"] == [0, 1, 1, 0, 1]
    assert [(s.reason, s.count, s.total) for s in noted] == [("no gold label (-1)", 1, 6)]
    assert (
        "note: pawsx (de, test): skipped 1 of 6 rows: no gold label (-1)" in capsys.readouterr().out
    )


def test_qa_answers_outside_every_training_window_are_skipped_and_counted(tokenizer) -> None:
    import datasets

    from adaptxfer.tasks.kinds import get_kind

    rows = squad_like("en", "train")
    long_answer = " ".join(["verylongwordindeed"] * 40)
    rows[0]["context"] = rows[0]["context"] + " " + long_answer
    rows[0]["answers"] = {
        "text": [long_answer],
        "answer_start": [rows[0]["context"].index(long_answer)],
    }
    data = datasets.Dataset.from_list(rows)
    squad = get_task("squad")
    with skips.collecting() as noted:
        features = get_kind("extractive_qa").featurize(squad, data, tokenizer, 64, train=True)
    assert [(s.reason, s.count, s.total) for s in noted] == [
        ("answer outside every 64-token window", 1, len(rows))
    ]
    assert features.column_names == ["input_ids", "attention_mask", "labels"]
    assert any(tuple(label) != (0, 0) for label in features["labels"])


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    from adaptxfer.backbones import e5_small_dir

    return AutoTokenizer.from_pretrained(
        str(e5_small_dir()), use_fast=True, fix_mistral_regex=False
    )


def test_a_missing_local_only_file_says_how_to_pass_a_data_dir(monkeypatch) -> None:
    monkeypatch.delenv("ADAPTXFER_DATA", raising=False)
    with pytest.raises(MissingAssetError) as caught:
        load_split(get_task("ccg"), "en", "train")
    message = str(caught.value)
    assert "--data-dir" not in message
    assert "data_dir: DIR" in message and "--set data_dir=DIR" in message
    assert "ADAPTXFER_DATA" in message


def test_bad_target_data_fails_the_cli_before_any_training(tmp_path: Path) -> None:
    """A real `adaptxfer run`: the intermediate phase would train first; the bad target
    file stops the run at once, with exit 2, the file and line, and no traceback."""
    path = pawsx_file(tmp_path / "data", setitem(3, "label", "yes"))
    out = tmp_path / "run"
    command = [
        sys.executable, "-m", "adaptxfer.cli", "run",
        str(ROOT / "recipes/bible/para-en_to_para-x.yaml"), "-o", str(out),
        "--set", "target.task=pawsx", "--set", "languages=[de]",
        "--set", f"data_dir={tmp_path / 'data'}", "--store", str(tmp_path / "store"),
    ]  # fmt: skip
    env = {**os.environ, "ADAPTXFER_PROGRESS": "0"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 2, done.stderr[-2000:]
    assert f"{path}:4: field 'label'" in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists() and not (tmp_path / "store").exists()  # nothing trained


def test_a_missing_data_dir_is_an_error(tmp_path: Path) -> None:
    from adaptxfer.preflight import check_local_data
    from adaptxfer.recipes.loading import load_recipe

    recipe = load_recipe(
        ROOT / "recipes/bible/para-en_to_para-x.yaml", [f"data_dir={tmp_path / 'nope'}"]
    )
    with pytest.raises(DataError, match=r"data_dir .*nope: no such folder"):
        check_local_data(recipe)


def test_skipped_rows_are_counted_in_results_json(tmp_path: Path) -> None:
    """A run on local PAWS-X with one no-gold row in train and one in test: the run
    trains and scores on the rest and records both skips (tiny random backbone)."""
    from adaptxfer.recipes.loading import load_recipe
    from adaptxfer.run import run_recipe
    from test_compose import make_tiny_backbone

    data = tmp_path / "data"
    pawsx_file(data, setitem(0, "label", -1), split="test")
    rows = pawsx("en", "train")
    rows[1]["label"] = -1
    write_rows(local_paths(get_task("pawsx"), "en", "train", data)[0], rows)
    recipe_file = tmp_path / "recipe.yaml"
    recipe_file.write_text(
        f"backbone: {make_tiny_backbone()}\ntarget: pawsx\nlanguages: [de]\n"
        f"data_dir: {data}\ntrain: {{max_steps: 2, batch_size: 4, max_length: 32}}\n",
        encoding="utf-8",
    )
    result, out = run_recipe(load_recipe(recipe_file), tmp_path / "run")
    skipped = json.loads((out / "results.json").read_text(encoding="utf-8"))["skipped"]
    assert [(s["lang"], s["split"], s["count"], s["total"]) for s in skipped] == [
        ("en", "train", 1, 6),
        ("de", "test", 1, 6),
    ]
    assert result.outcomes[0]["scores"]["de"]["examples"] == 5
    assert "pawsx (de, test): 1 of 6: no gold label (-1)" in (out / "results.md").read_text()


def test_tagging_and_multiple_choice_rows_are_checked(tmp_path: Path) -> None:
    from task_fixtures import cosmos_qa, ner

    panx = get_task("panx")
    rows = ner("de", "test")
    rows[2]["ner_tags"] = rows[2]["ner_tags"][:-1]
    path = write_rows(local_paths(panx, "de", "test", tmp_path)[0], rows)
    with pytest.raises(
        DataError, match=rf"^{path}:3: field 'ner_tags' \(tags\): 6 tags for 7 words"
    ):
        load_split(panx, "de", "test", data_dir=tmp_path)
    rows[2] = ner("de", "test")[2] | {"ner_tags": [0, 1, 2, 3, 4, 5, 70]}
    write_rows(path, rows)
    with pytest.raises(DataError, match=rf"^{path}:3: .*tag 7 is 70; expected a tag index 0\.\.6"):
        load_split(panx, "de", "test", data_dir=tmp_path)

    cosmos = get_task("cosmosqa")
    rows = cosmos_qa("en", "dev")
    rows[4]["label"] = 4  # four answers: 0..3
    path = write_rows(local_paths(cosmos, "en", "dev", tmp_path)[0], rows)
    with pytest.raises(
        DataError, match=rf"^{path}:5: field 'label': got 4; expected an index 0\.\.3"
    ):
        load_split(cosmos, "en", "dev", data_dir=tmp_path)
