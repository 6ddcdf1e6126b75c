"""The task catalog: every entry, its languages, loading from local files in the Hub's own
schema, the offline Hub error, the data formulations, and ``adaptxfer tasks``."""

from __future__ import annotations

import os
import subprocess
import sys
from itertools import pairwise

import pytest

from adaptxfer.errors import DataError, MissingAssetError
from adaptxfer.tasks import languages as L
from adaptxfer.tasks.catalog.intermediate import gsm8k_choice_set, gsm8k_final_answer
from adaptxfer.tasks.catalog.xtreme import sentence_spans
from adaptxfer.tasks.conllu import parse_conllu, read_conllu
from adaptxfer.tasks.kinds import get_kind
from adaptxfer.tasks.loading import load_split
from adaptxfer.tasks.registry import all_tasks
from adaptxfer.tasks.spec import BuiltSource, LocalSource
from task_fixtures import eval_split_of, local_paths, write_task_fixture

STUDY_TASKS = sorted(
    name for name, task in all_tasks().items() if not isinstance(task.source, BuiltSource)
)

INTERMEDIATE = {
    "mnli",
    "anli-plus",
    "qqp",
    "squad",
    "squad-v2",
    "hellaswag",
    "commonsenseqa",
    "cosmosqa",
    "ccg",
    "mmlu",
    "gsm8k",
    "siqa",
    "copa",
}
TARGET_LANGUAGES = {
    "xnli": 15,
    "pawsx": 7,
    "udpos": 33,
    "udpos-r": 38,
    "panx": 40,
    "xquad": 11,
    "mlqa": 7,
    "tydiqa": 9,
    "bucc2018": 4,
    "tatoeba": 36,
    "xcopa": 11,
    "wikiann": 48,
    "mewsli-x": 11,
    "lareqa": 11,
    "tatoeba-r": 41,
    "xquad-ro": 12,
}


def test_the_catalog_has_the_papers_tasks_with_each_benchmarks_language_list():
    tasks = all_tasks()
    assert INTERMEDIATE | set(TARGET_LANGUAGES) <= set(tasks)
    for name in INTERMEDIATE:
        assert tasks[name].role == "intermediate" and tasks[name].languages == ("en",)
    for name, count in TARGET_LANGUAGES.items():
        languages = tasks[name].languages
        assert tasks[name].role == "target"
        assert len(languages) == len(set(languages)) == count, name
    assert set(L.TATOEBA) < set(L.TATOEBA_R) and set(L.PANX) < set(L.WIKIANN_R)
    assert "en" not in L.TATOEBA and "en" in L.XNLI
    for table, codes in (
        (L.UD_NAMES, L.UDPOS_R),
        (L.TATOEBA_ISO3, L.TATOEBA_R),
        (L.TYDIQA_NAMES, L.TYDIQA),
    ):
        assert set(codes) <= set(table)


@pytest.mark.parametrize("name", STUDY_TASKS)
def test_every_task_loads_from_local_files_in_the_hub_schema(name, tmp_path):
    task = all_tasks()[name]
    kind = get_kind(task.kind)
    wanted = [(task.languages[-1], eval_split_of(task))]
    if kind.trainable:
        wanted.append((task.train_language, "train"))
    for lang, split in wanted:
        write_task_fixture(task, lang, split, tmp_path)
        data = load_split(task, lang, split, data_dir=tmp_path)
        assert len(data) > 0
        assert (
            set(kind.columns)
            <= set(data.column_names)
            <= set(kind.columns) | set(kind.optional_columns)
        )
        if "label" in data.column_names and kind.name == "classification":
            assert set(data["label"]) <= set(range(task.num_labels))
        if kind.name == "multiple_choice":
            assert all(
                0 <= lab < len(ch) for lab, ch in zip(data["label"], data["choices"], strict=True)
            )
        if kind.name == "tagging":
            assert all(set(tags) <= set(task.label_names) for tags in data["tags"])
    capped = load_split(task, *wanted[0], data_dir=tmp_path, max_examples=2, seed=1)
    assert len(capped) == 2


@pytest.mark.parametrize("name", STUDY_TASKS)
def test_offline_without_local_files_the_error_names_the_task_and_the_local_path(name, tmp_path):
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    task = all_tasks()[name]
    lang, split = task.languages[-1], eval_split_of(task)
    with pytest.raises(MissingAssetError) as caught:
        load_split(task, lang, split, data_dir=tmp_path)
    message = str(caught.value)
    assert repr(name) in message
    assert str(local_paths(task, lang, split, tmp_path)[0]) in message
    if isinstance(task.source, LocalSource):
        assert task.source.how_to_obtain[:40] in message


def test_combined_sources_concatenate_parts_and_name_their_local_files(tmp_path):
    task = all_tasks()["anli-plus"]
    paths = write_task_fixture(task, "en", "train", tmp_path)
    assert sorted(p.name for p in paths) == [
        "train.anli.jsonl",
        "train.mnli.jsonl",
        "train.snli.jsonl",
    ]
    assert len(load_split(task, "en", "train", data_dir=tmp_path)) == 3 * 6
    xquad = all_tasks()["xquad"]
    with pytest.raises(MissingAssetError, match="no 'train' split for language 'de'"):
        load_split(xquad, "de", "train", data_dir=tmp_path)


def test_tydiqa_keeps_only_the_requested_language(tmp_path):
    task = all_tasks()["tydiqa"]
    write_task_fixture(task, "fi", "test", tmp_path)  # 6 Finnish rows + 2 English ones
    data = load_split(task, "fi", "test", data_dir=tmp_path)
    assert len(data) == 6 and all(i.startswith("finnish-") for i in data["id"])


def test_hub_class_ids_become_tag_names(tmp_path):
    task = all_tasks()["panx"]
    write_task_fixture(task, "de", "test", tmp_path)
    data = load_split(task, "de", "test", data_dir=tmp_path)
    assert data[0]["tags"] == ["B-PER", "I-PER", "O", "B-ORG", "O", "B-LOC", "I-LOC"]


# -- formulations -------------------------------------------------------------------------------
SOLUTION = "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nAltogether 48+24 = <<48+24=72>>72 clips.\n#### 72"
QUESTION = (
    "Natalia sold clips to 48 of her friends in April, and then half as many in May. How many?"
)


def test_gsm8k_becomes_deterministic_answer_selection():
    assert gsm8k_final_answer(SOLUTION) == "72"
    assert gsm8k_final_answer("... #### 1,200") == "1200"
    choices, label = gsm8k_choice_set(QUESTION, SOLUTION)
    assert choices[label] == "72"
    assert len(choices) == len(set(choices)) == 4
    assert gsm8k_choice_set(QUESTION, SOLUTION) == (choices, label)
    # an arithmetic progression around the gold: no cue in size or in the solution
    values = [int(c) for c in choices]
    assert values == sorted(values) and len({b - a for a, b in pairwise(values)}) == 1
    decimal, gold = gsm8k_choice_set("q", "It is 2.5.\n#### 2.5")
    assert decimal[gold] == "2.5" and len(set(decimal)) == 4  # perturbations of the gold


def test_gsm8k_choices_carry_no_surface_cue() -> None:
    """Over many answers, the gold is the largest choice about a quarter of the time."""
    largest = 0
    for i in range(400):
        answer = 7 * i + 3
        choices, label = gsm8k_choice_set(f"question {i}", f"so {answer // 2} ...\n#### {answer}")
        largest += max(range(4), key=lambda k: int(choices[k])) == label
    assert 0.18 < largest / 400 < 0.32


def test_copa_and_lareqa_reshaping(tmp_path):
    task = all_tasks()["copa"]
    write_task_fixture(task, "en", "dev", tmp_path)
    row = load_split(task, "en", "dev", data_dir=tmp_path)[1]
    assert row["question"] == "What happened as a result?" and len(row["choices"]) == 2

    lareqa = all_tasks()["lareqa"]
    write_task_fixture(lareqa, "de", "test", tmp_path)
    data = load_split(lareqa, "de", "test", data_dir=tmp_path).to_list()
    queries = [r for r in data if r["side"] == "query"]
    candidates = [r for r in data if r["side"] == "candidate"]
    assert {r["language"] for r in queries} == set(L.LAREQA)
    first = next(r for r in queries if r["id"] == "de:x0")
    relevant = [c for c in candidates if set(first["keys"]) & set(c["keys"])]
    assert len(relevant) == len(L.LAREQA)  # its answer sentence in every language
    assert all("answer 0 is here" in c["text"] for c in relevant)


def test_sentence_spans_split_at_final_punctuation_in_several_scripts():
    text = "One here. Two there! 三。四？ Last one"
    pieces = [text[a:b].strip() for a, b in sentence_spans(text)]
    assert pieces == ["One here.", "Two there!", "三。", "四？", "Last one"]


# -- CoNLL-U ------------------------------------------------------------------------------------
CONLLU = """# sent_id = 1
1-2\tdel\t_\t_\t_\t_\t_\t_\t_\t_
1\tde\tde\tADP\t_\t_\t_\t_\t_\t_
2\tel\tel\tDET\t_\t_\t_\t_\t_\t_
3\tgato\tgato\tNOUN\tNN\t_\t_\t_\t_\t_
3.1\tes\t_\tAUX\t_\t_\t_\t_\t_\t_

1\tHola\thola\tINTJ\tUH\t_\t_\t_\t_\t_
"""


def test_conllu_keeps_surface_tokens_with_the_first_words_tag(tmp_path):
    sentences = parse_conllu(CONLLU)
    assert [s["tokens"] for s in sentences] == [["del", "gato"], ["Hola"]]
    assert sentences[0]["pos_tags"] == ["ADP", "NOUN"] and sentences[0]["xpos"] == ["_", "NN"]
    path = tmp_path / "x.conllu"
    path.write_text(CONLLU, encoding="utf-8")
    assert read_conllu(path)["upos"] == [["ADP", "NOUN"], ["INTJ"]]
    path.write_text("1\tbroken line\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"x\.conllu:1"):
        read_conllu(path)


# -- the CLI ------------------------------------------------------------------------------------
def test_adaptxfer_tasks_lists_every_task_with_kind_and_source():
    result = subprocess.run(
        [sys.executable, "-m", "adaptxfer.cli", "tasks"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "400"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    for name in STUDY_TASKS:
        assert name in result.stdout
    assert "google/xtreme" in result.stdout and "multiple_choice" in result.stdout


def test_benchmarks_name_registered_targets_in_their_languages():
    from adaptxfer.tasks.benchmarks import BENCHMARKS

    # XTREME_R_TASK2LANGS["udpos"] of google-research/xtreme's evaluate.py
    reference = [
        "af",
        "ar",
        "bg",
        "de",
        "el",
        "en",
        "es",
        "et",
        "eu",
        "fa",
        "fi",
        "fr",
        "he",
        "hi",
        "hu",
        "id",
        "it",
        "ja",
        "kk",
        "ko",
        "mr",
        "nl",
        "pt",
        "ru",
        "ta",
        "te",
        "th",
        "tl",
        "tr",
        "ur",
        "vi",
        "yo",
        "zh",
        "lt",
        "pl",
        "uk",
        "wo",
        "ro",
    ]
    assert list(L.UDPOS_R) == reference
    assert [len(b.targets) for b in BENCHMARKS.values()] == [9, 10]
    tasks = all_tasks()
    for benchmark in BENCHMARKS.values():
        for target, languages in benchmark.targets.items():
            assert tasks[target].role == "target"
            assert tasks[target].languages == languages, (benchmark.name, target)


# -- categories and the studies' reasoning targets -------------------------------------------
def test_every_task_has_a_category_or_group_of_its_role():
    from adaptxfer.tasks.spec import CATEGORIES

    tasks = all_tasks()
    for name, task in tasks.items():
        assert task.category in CATEGORIES[task.role], (name, task.category)
    assert tasks["pos-x"].category == "structured-prediction"
    assert tasks["mnli"].category == "nlu" and tasks["gsm8k"].category == "reasoning"
    with pytest.raises(ValueError, match="category 'syntax' is not one of"):
        type(tasks["xnli"])(**{**tasks["xnli"].__dict__, "category": "syntax"})


def test_mmmlu_trains_on_english_mmlu_and_tests_on_the_translations(tmp_path):
    task = all_tasks()["mmmlu"]
    assert len(task.languages) == 15 and task.category == "reasoning"
    paths = write_task_fixture(task, "de", "test", tmp_path)
    assert paths == [tmp_path / "mmmlu" / "de" / "test.jsonl"]
    german = load_split(task, "de", "test", data_dir=tmp_path)
    assert german[1]["choices"] == ["Berlin", "river", "bank", "light"]
    assert german["label"] == [0, 1, 2, 3, 0, 1]  # the letters A-D as indices
    write_task_fixture(task, "en", "train", tmp_path)
    assert load_split(task, "en", "train", data_dir=tmp_path)["label"][:2] == [0, 1]
    with pytest.raises(MissingAssetError, match="no 'train' split for language 'de'"):
        load_split(task, "de", "train", data_dir=tmp_path)


def test_mgsm_is_answer_selection_with_the_same_choices_in_every_language(tmp_path):
    task = all_tasks()["mgsm"]
    loaded = {}
    for lang in ("en", "de", "sw"):
        write_task_fixture(task, lang, "test", tmp_path)
        loaded[lang] = load_split(task, lang, "test", data_dir=tmp_path)
    for i, row in enumerate(loaded["de"]):
        assert row["choices"][row["label"]] == str(2 * i + 5)
        numbers = [int(c) for c in row["choices"]]
        assert numbers == sorted(numbers) and len(set(numbers)) == 4 and min(numbers) >= 0
    assert loaded["de"]["choices"] == loaded["sw"]["choices"] == loaded["en"]["choices"]
    assert loaded["de"]["question"][0].startswith("de:")
    write_task_fixture(task, "en", "train", tmp_path)
    train = load_split(task, "en", "train", data_dir=tmp_path)
    assert [r["choices"][r["label"]] for r in train] == [str(4 * i + 10) for i in range(6)]


def test_a_non_integer_gsm8k_answer_is_a_data_error_naming_the_row(tmp_path):
    import datasets

    from adaptxfer.tasks.catalog.reasoning import mgsm_selection

    rows = datasets.Dataset.from_list([{"question": "q", "answer_number": 2.5}])
    with pytest.raises(DataError, match=r"MGSM de row 1: the answer 2.5 is not an integer"):
        mgsm_selection(rows, "de")
