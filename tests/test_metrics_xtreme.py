"""Where adaptxfer's values once differed from google-research/xtreme's evaluation: each
case on crafted input, with the reference's value derived by hand from the reference's
semantics (``evaluate.py``, ``third_party/utils_retrieve.py``, ``evaluate_retrieval.py``,
``utils_lareqa.py``, ``utils_mewslix.py``) in the comments."""

from __future__ import annotations

import numpy as np
import pytest

from adaptxfer.metrics import (
    Mined,
    average,
    bucc_optimal_threshold,
    mine_texts,
    pos_scores,
    score,
    unify_texts,
)
from adaptxfer.metrics.mining import bucc_scorer
from adaptxfer.results import RunResult

approx = pytest.approx


# -- Tatoeba: the reference scores one direction ------------------------------------------------
def test_tatoeba_headline_is_english_queries_as_the_reference():
    # other o0..o3 = (1,0) (0,1) (-1,0) (0.8,-0.6); English e0..e3 = (1,0) (0,1) (-1,0) (0,-1)
    # English queries (the reference searches the other side with English vectors):
    #   e3 -> cos o3 0.6, o0 0, o1 -1, o2 0: o3, right; e0..e2 find their twin -> 4/4 = 100
    # other queries: o3 -> cos e0 0.8 > e3 0.6: wrong; o0..o2 right -> 3/4 = 75
    other = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.8, -0.6]])
    english = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    scores = score("tatoeba", other, english, lang="de")
    assert scores == {
        "accuracy": approx(100.0),  # the reference's value (was the mean, 87.5)
        "accuracy_xx_en": approx(75.0),
        "accuracy_both": approx(87.5),
    }


# -- QA: XTREME's task score is (EM + F1) / 2 ---------------------------------------------------
def test_qa_task_score_is_the_mean_of_em_and_f1():
    # q1 "Paris" == "Paris": EM 1, F1 1; q2 "Eiffel" vs "the Eiffel Tower" -> eiffel vs
    # eiffel/tower: P 1, R 1/2, F1 2/3, EM 0. EM 50, F1 (1 + 2/3) / 2 = 83.3
    refs = {"q1": ["Paris"], "q2": ["the Eiffel Tower"]}
    de = score("squad", {"q1": "Paris", "q2": "Eiffel"}, refs, lang="de")
    assert de["f1"] == approx(100 * 5 / 6) and de["exact_match"] == 50.0
    assert de["em_f1"] == approx((50.0 + 100 * 5 / 6) / 2)
    # es: q1 wrong (EM 0, F1 0), q2 exact (EM 1, F1 1): EM 50, F1 50
    es = score("squad", {"q1": "Rome", "q2": "Eiffel Tower"}, refs, lang="es")
    assert es["em_f1"] == 50.0
    # evaluate.py: avg_metric = (mean EM + mean F1) / 2 = ((50+50)/2 + (83.3+50)/2) / 2
    reference = ((50 + 50) / 2 + (100 * 5 / 6 + 50) / 2) / 2
    assert average({"de": de["em_f1"], "es": es["em_f1"]}) == approx(reference)
    mlqa = score("mlqa", {"q": "北京"}, {"q": ["北京大学"]}, lang="zh")  # EM 0, F1 66.7
    assert mlqa["em_f1"] == approx(100 / 3)


# -- BUCC: repeated texts -----------------------------------------------------------------------
def test_identical_texts_are_merged_and_candidates_with_repeated_texts_dropped():
    # sources s1 and s2 are both "Hallo Welt" (s1's gold is t1), s3 "Guten Morgen" (gold t3)
    source = [("s1", "Hallo Welt"), ("s2", "Hallo Welt "), ("s3", "Guten Morgen")]
    target = [("t1", "Hello world"), ("t3", "Good morning")]
    vectors = {
        "Hallo Welt": [1.0, 0.0],
        "Guten Morgen": [0.0, 1.0],
        "Hello world": [1.0, 0.0],
        "Good morning": [0.0, 1.0],
    }
    encoded: list[list[str]] = []

    def encode(texts: list[str], side: str) -> np.ndarray:
        encoded.append(texts)
        return np.array([vectors[t] for t in texts])

    # unique texts: x = (1,0) (0,1), y = (1,0) (0,1); k = 4 covers both rows: every
    # kNN mean is (1 + 0) / 2 = 0.5, so both translation pairs score 1 / 0.5 = 2. The pair
    # of "Hallo Welt" is dropped: the text has two ids (the reference's read_sent2id).
    candidates = mine_texts(source, target, encode)
    assert encoded == [["Hallo Welt", "Guten Morgen"], ["Hello world", "Good morning"]]
    assert candidates == [("s3", "t3", approx(2.0))]
    # gold keeps (s1, t1), which can no longer be found: P 1/1, R 1/2 -> F1 66.7
    # (kept, the two "Hallo Welt" would give (s1, t1) and (s3, t3): F1 100)
    scores = bucc_scorer(Mined(candidates), {("s1", "t1"), ("s3", "t3")}, "de")
    assert scores["f1"] == approx(100 * 2 / 3)
    assert (scores["precision"], scores["recall"]) == approx((100.0, 50.0))
    assert unify_texts([("a", "x"), ("b", " x"), ("c", "y")]) == (["x", "y"], [None, "c"])


# -- BUCC: ties at the threshold ------------------------------------------------------------------
DEV = [("a", "A", 1.2), ("b", "B", 1.1), ("c", "C", 1.1), ("d", "D", 0.5), ("e", "E", 0.4)]
DEV_GOLD = {("a", "A"), ("b", "B"), ("x", "X")}
TEST = [("p", "P", 1.0), ("q", "Q", 0.9)]
TEST_GOLD = {("p", "P"), ("q", "Q")}


def test_threshold_sweep_cuts_between_equal_scores_as_the_reference():
    # bucc_optimize walks every prefix: 1 -> P 1, R 1/3, F1 .5, cut (1.2+1.1)/2 = 1.15;
    # 2 -> P 1, R 2/3, F1 .8, cut (1.1+1.1)/2 = 1.1; 3 -> P 2/3, R 2/3, F1 .67; 4, 5 lower.
    assert bucc_optimal_threshold(DEV, DEV_GOLD) == approx(1.1)  # was 0.8
    # applied to test (scores 1.0 and 0.9, both gold): nothing reaches 1.1 -> F1 0
    scores = bucc_scorer(Mined(TEST, tune_on=(DEV, DEV_GOLD)), TEST_GOLD, "de")
    assert scores["f1"] == 0.0 and scores["threshold"] == approx(1.1)
    # the order among equal scores is the given one: non-gold 1.1 first -> prefix 2 has
    # P 1/2, R 1/3 (F1 .4), prefix 3 P 2/3, R 2/3 (F1 .67 > .5) -> cut (1.1+0.5)/2 = 0.8
    swapped = [DEV[0], DEV[2], DEV[1], *DEV[3:]]
    assert bucc_optimal_threshold(swapped, DEV_GOLD) == approx(0.8)


def test_oracle_threshold_retunes_on_the_scored_split_and_survives_the_last_cut():
    # XTREME's code re-tunes on test's own gold: 1 -> F1 2/3 (cut .95), 2 -> F1 1 at the
    # last candidate, where the reference's items[i + 1] raises IndexError; we cut at 0.9
    scores = bucc_scorer(Mined(TEST), TEST_GOLD, "de")
    assert scores["threshold"] == approx(0.9)
    assert scores["f1"] == approx(100.0)


# -- Mewsli-X and LAReQA ----------------------------------------------------------------------------
def test_a_query_whose_gold_is_not_in_the_pool_scores_zero():
    # query 1 ranks its gold e1 first: AP 1; query 2's gold e9 is missing from the pool:
    # utils_mewslix scores it 0 -> (1 + 0) / 2 = 50 (the old rule dropped it: 100)
    scores = score("map@20", [["e1", "e2"], ["e1", "e2"]], [{"e1"}, set()], lang="de")
    assert scores == {"map@20": approx(50.0), "queries": 2.0}


def test_lareqa_pools_the_questions_of_every_language():
    # de: 10 questions, mAP 100; en: 30 questions, mAP 0. utils_lareqa averages AP over
    # all 40 questions: 10 * 100 / 40 = 25 (the per-language mean would be 50)
    run = RunResult(
        name="lareqa", recipe={}, target="lareqa", metric="map@20", languages=["de", "en"],
        arms=["baseline"],
        outcomes=[{"arm": "baseline", "seed": 0, "scores": {
            "de": {"map@20": 100.0, "queries": 10.0}, "en": {"map@20": 0.0, "queries": 30.0}}}],
        scoring={"metric": "map@20_pooled", "pooled_by": "queries"},
    )  # fmt: skip
    assert run.summary()["baseline"]["average"]["mean"] == approx(25.0)
    assert average({"de": 100.0, "en": 0.0}, {"de": 10.0, "en": 30.0}) == approx(25.0)
    assert "(languages pooled)" not in run.markdown()  # no headline text given here


# -- UD-POS with seqeval 1.2.2 ---------------------------------------------------------------------
def test_pos_x_is_not_counted_at_the_end_of_a_sentence():
    # "X" has seqeval type "_", that of the "O" it appends to each sentence: the final X
    # run is never closed. gold NOUN VERB -> chunks NOUN(0) VERB(1); pred NOUN X -> NOUN(0)
    # only: P 1/1, R 1/2 -> F1 66.7; token accuracy 1/2 -> 50
    scores = pos_scores([["NOUN", "X"]], [["NOUN", "VERB"]])
    assert scores["f1"] == approx(100 * 2 / 3) and scores["accuracy"] == 50.0
    # a sentence-final X in gold is not counted either: gold NOUN X -> NOUN(0); pred
    # NOUN VERB -> NOUN(0) VERB(1): P 1/2, R 1/1 -> 66.7
    assert pos_scores([["NOUN", "VERB"]], [["NOUN", "X"]])["f1"] == approx(100 * 2 / 3)
    # across sentences: gold [NOUN X] [X VERB] reads NOUN X O X VERB O -> NOUN(0), X(1-3)
    # (the O does not close X, the next X opens nothing), VERB(4); pred [NOUN X] [NOUN VERB]
    # -> NOUN(0), NOUN(3), VERB(4) (its X is never closed). 2 of 3 each way -> F1 66.7;
    # tokens 3 of 4 -> 75
    scores = pos_scores([["NOUN", "X"], ["NOUN", "VERB"]], [["NOUN", "X"], ["X", "VERB"]])
    assert scores["f1"] == approx(100 * 2 / 3) and scores["accuracy"] == 75.0
    # mid-sentence X is an ordinary chunk: gold NOUN X NOUN == pred -> 100
    assert pos_scores([["NOUN", "X", "NOUN"]], [["NOUN", "X", "NOUN"]])["f1"] == 100.0


def test_pos_f1_is_seqeval_1_2_2_not_0_0_x():
    # 1.2.2: type = tag minus its first letter, CCONJ and SCONJ are both "CONJ" and the
    # S-prefixed SCONJ starts a new chunk, so gold CCONJ SCONJ NOUN -> CONJ(1) OUN(2);
    # pred NOUN SCONJ NOUN -> OUN(0) CONJ(1) OUN(2): P 2/3, R 2/2 -> F1 80
    # (seqeval 0.0.12 types by the whole tag: 3 gold chunks, 2 right -> 66.7)
    from importlib.metadata import version

    assert version("seqeval") == "1.2.2"
    scores = score("pos", [["NOUN", "SCONJ", "NOUN"]], [["CCONJ", "SCONJ", "NOUN"]], lang="de")
    assert scores["f1"] == approx(80.0)
    assert scores["accuracy"] == approx(100 * 2 / 3)
