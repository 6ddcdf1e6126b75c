"""adaptxfer.metrics on crafted inputs whose scores are derived by hand in the comments."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

from adaptxfer.errors import UnknownNameError
from adaptxfer.metrics import (
    accuracy,
    answer_tokens,
    average,
    average_precision_at_k,
    bucc_f1,
    bucc_optimal_threshold,
    cosine_similarity_matrix,
    entity_f1,
    knn_mean_similarity,
    margin_scores,
    mean_average_precision_at_k,
    mean_ci95,
    mine_candidates,
    normalize_answer,
    pos_scores,
    retrieval_accuracy,
    squad_scores,
    t_quantile_975,
)

approx = pytest.approx


# -- classification -------------------------------------------------------------------
def test_accuracy_percent_over_lists_arrays_and_tensors():
    # matches at positions 0 and 2 of 4 -> 50 %
    preds, refs = [1, 0, 2, 2], [1, 1, 2, 0]
    assert accuracy(preds, refs) == 50.0
    assert accuracy(np.array(preds), torch.tensor(refs)) == 50.0
    assert accuracy(["yes", "no"], ["yes", "yes"]) == 50.0
    with pytest.raises(ValueError, match="3 predictions but 2"):
        accuracy([1, 2, 3], [1, 2])
    with pytest.raises(ValueError):
        accuracy([], [])


# -- extractive QA: SQuAD v1.1 -----------------------------------------------------------
def test_squad_v11_exact_match_and_f1():
    refs = {
        "q1": ["The Eiffel Tower", "Eiffel Tower"],
        "q2": ["Denver Broncos"],
        "q3": ["1969", "July 1969"],
        "q4": ["Paris"],
    }
    preds = {
        # lower, drop ".", drop "the" -> "eiffel tower" == gold: EM 1, F1 1
        "q1": "the eiffel tower.",
        # "broncos" vs "denver broncos": 1 common, P 1/1, R 1/2 -> F1 2/3; EM 0
        "q2": "the Broncos",
        # tokens in/1969/july (comma dropped). vs "1969": P 1/3, R 1 -> 1/2;
        # vs "july 1969": P 2/3, R 1 -> 0.8; max over golds 0.8; EM 0
        "q3": "in 1969, July",
        # q4 missing -> 0
        "extra": "ignored",
    }
    scores = squad_scores(preds, refs)
    assert scores["exact_match"] == approx(100 * 1 / 4)
    # (1 + 2/3 + 4/5 + 0) / 4 = (37/15) / 4 = 37/60
    assert scores["f1"] == approx(100 * 37 / 60)


def test_squad_normalisation_is_ascii_only():
    # SQuAD keeps non-ASCII punctuation: "¿dónde" stays one token, unlike MLQA-es.
    assert answer_tokens("¿Dónde?") == ["¿dónde"]
    assert answer_tokens("¿Dónde?", "es") == ["dónde"]
    # articles only as whole words: "theatre" keeps its "the"
    assert normalize_answer("A theatre, the stage") == "theatre stage"


def test_squad_v11_empty_normalisation_quirk_and_errors():
    # "a" and "The" both normalise to "": EM 1, but v1.1 F1 has no common token -> 0
    scores = squad_scores({"q": "a"}, {"q": ["The"]})
    assert scores == {"exact_match": 100.0, "f1": 0.0}
    with pytest.raises(ValueError, match="'q' has no gold answer"):
        squad_scores({"q": ""}, {"q": []})
    with pytest.raises(ValueError, match="is a string"):
        squad_scores({"q": "x"}, {"q": "x"})
    with pytest.raises(ValueError, match="version"):
        squad_scores({"q": "x"}, {"q": ["x"]}, version="3")  # type: ignore[arg-type]


# -- extractive QA: MLQA normalisation ----------------------------------------------------
def test_mlqa_chinese_mixed_segmentation():
    # each ideograph in U+4E00-U+9FA5 is a token; digit runs stay whole
    assert answer_tokens("2008年奥运会", "zh") == ["2008", "年", "奥", "运", "会"]
    # "。" (U+3002, category Po) is dropped
    assert normalize_answer("北京。", "zh") == "北 京"
    # gold 北/京/大/学 vs pred 北/京: 2 common, P 2/2, R 2/4 -> F1 2/3; EM 0
    scores = squad_scores({"q": "北京"}, {"q": ["北京大学"]}, lang="zh")
    assert scores["exact_match"] == 0.0
    assert scores["f1"] == approx(100 * 2 / 3)
    # SQuAD rules see two different single tokens -> F1 0
    assert squad_scores({"q": "北京"}, {"q": ["北京大学"]}, normalization="squad")["f1"] == 0.0


def test_mlqa_hindi_drops_danda_and_arabic_drops_al():
    # "।" (U+0964 DEVANAGARI DANDA) is Unicode punctuation: MLQA-hi gives an exact match
    hi = squad_scores({"q": "नई दिल्ली।"}, {"q": ["नई दिल्ली"]}, lang="hi")
    assert hi == {"exact_match": 100.0, "f1": 100.0}
    # SQuAD rules keep it: tokens नई/दिल्ली। vs नई/दिल्ली, 1 common, P = R = 1/2 -> F1 1/2
    sq = squad_scores({"q": "नई दिल्ली।"}, {"q": ["नई दिल्ली"]}, normalization="squad")
    assert sq == {"exact_match": 0.0, "f1": 50.0}
    # Arabic: "ال" -> " ", so "الكتاب" (the book) matches "كتاب" (book)
    ar = squad_scores({"q": "كتاب"}, {"q": ["الكتاب"]}, lang="ar")
    assert ar == {"exact_match": 100.0, "f1": 100.0}
    # the reference replaces every "ال", also inside words: "المال" -> " م " -> "م"
    assert normalize_answer("المال", "ar") == "م"


def test_mlqa_spanish_and_german_articles():
    # es drops "la": "la casa blanca" == "casa blanca"
    es = squad_scores({"q": "Casa Blanca"}, {"q": ["la casa blanca"]}, lang="es")
    assert es == {"exact_match": 100.0, "f1": 100.0}
    # English rules keep "la": P 2/2, R 2/3 -> F1 0.8
    en = squad_scores({"q": "Casa Blanca"}, {"q": ["la casa blanca"]})
    assert en["exact_match"] == 0.0
    assert en["f1"] == approx(80.0)
    assert normalize_answer("der Hund", "de") == "hund"
    assert normalize_answer("Die Katze und das Haus", "de") == "katze und haus"
    # MLQA-en also drops non-ASCII punctuation, SQuAD does not
    assert normalize_answer("“Hello”", "en", "mlqa") == "hello"
    assert normalize_answer("“Hello”", "en") == "“hello”"


def test_unknown_mlqa_language_is_named():
    with pytest.raises(UnknownNameError, match="'ru'"):
        squad_scores({"q": "x"}, {"q": ["x"]}, lang="ru")


# -- extractive QA: SQuAD 2.0 -----------------------------------------------------------
def test_squad_v2_no_answer():
    refs = {"a": ["Paris"], "u1": [], "u2": [""]}
    preds = {
        "a": "Paris",  # EM 1, F1 1
        "u1": "",  # unanswerable, empty prediction: EM 1, F1 1
        "u2": "London",  # gold "" -> unanswerable; non-empty prediction: EM 0, F1 0
    }
    scores = squad_scores(preds, refs, version="2.0")
    assert scores["exact_match"] == approx(100 * 2 / 3)
    assert scores["f1"] == approx(100 * 2 / 3)
    assert scores["HasAns_f1"] == 100.0
    assert scores["HasAns_exact_match"] == 100.0
    assert scores["NoAns_f1"] == 50.0
    assert scores["NoAns_exact_match"] == 50.0
    # an empty prediction on an answerable question scores 0 in v2.0
    assert squad_scores({"a": ""}, {"a": ["Paris"]}, version="2.0")["f1"] == 0.0


# -- tagging ---------------------------------------------------------------------------
def test_entity_f1_default_mode_counts_i_after_o():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O", "B-PER"]]
    pred = [["B-PER", "I-PER", "B-MISC", "B-ORG"], ["B-ORG", "O", "I-PER"]]
    # gold entities: PER(0-1), LOC(3) | ORG(0), PER(2)                      -> 4
    # pred entities: PER(0-1), MISC(2), ORG(3) | ORG(0), PER(2) (I- after O) -> 5
    # correct: PER(0-1), ORG(0), PER(2) -> 3; P 3/5, R 3/4, F1 = 2*.6*.75/1.35 = 2/3
    scores = entity_f1(pred, gold)
    assert all(type(v) is float for v in scores.values())  # JSON-ready, not numpy
    assert scores["precision"] == approx(60.0)
    assert scores["recall"] == approx(75.0)
    assert scores["f1"] == approx(100 * 2 / 3)


def test_tagging_length_checks_name_the_sentence():
    with pytest.raises(ValueError, match="sentence 1 has 1 predicted tags but 2 gold"):
        entity_f1([["O"], ["O"]], [["O"], ["O", "O"]])
    with pytest.raises(ValueError, match="2 predicted sentences but 1"):
        pos_scores([["NOUN"], ["NOUN"]], [["NOUN"]])


def test_pos_scores_seqeval_runs_and_token_accuracy():
    gold = [["DET", "NOUN", "NOUN", "VERB", "PUNCT"], ["PRON", "AUX", "VERB"]]
    pred = [["DET", "NOUN", "VERB", "VERB", "PUNCT"], ["PRON", "VERB", "VERB"]]
    # seqeval merges runs of equal un-prefixed tags into one chunk:
    # gold chunks: DET(0) NOUN(1-2) VERB(3) PUNCT(4) | PRON(0) AUX(1) VERB(2)  -> 7
    # pred chunks: DET(0) NOUN(1) VERB(2-3) PUNCT(4) | PRON(0) VERB(1-2)       -> 6
    # correct: DET(0), PUNCT(4), PRON(0) -> 3; P 3/6, R 3/7, F1 = (3/7)/(13/14) = 6/13
    # tokens right: 4 of 5 + 2 of 3 = 6 of 8 -> 75 %
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scores = pos_scores(pred, gold)
    assert not [w for w in caught if "NE tag" in str(w.message)]
    assert scores["precision"] == approx(50.0)
    assert scores["recall"] == approx(100 * 3 / 7)
    assert scores["f1"] == approx(100 * 6 / 13)
    assert scores["accuracy"] == approx(75.0)


# -- retrieval ---------------------------------------------------------------------------
def test_cosine_and_retrieval_accuracy():
    # cos((3,4), (1,0)) = 3/5, cos((3,4), (0,2)) = 4/5, cos((3,4), (-3,-4)) = -1
    sims = cosine_similarity_matrix([[3.0, 4.0]], [[1.0, 0.0], [0.0, 2.0], [-3.0, -4.0]])
    assert sims.shape == (1, 3)
    assert sims[0] == approx([0.6, 0.8, -1.0], abs=1e-6)
    source = torch.tensor([[3.0, 0.0], [0.0, 1.0], [0.0, 2.0]])
    target = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    # row 0 -> target 0 (cos 1) right; row 1 (0,1) -> target 2 (cos 1), gold 1: wrong;
    # row 2 (0,2) -> target 2 right -> 2/3
    assert retrieval_accuracy(source, target) == approx(100 * 2 / 3)
    with pytest.raises(ValueError, match="3 source rows but 2 target rows"):
        retrieval_accuracy(source, target[:2])
    with pytest.raises(ValueError, match="embedding sizes differ"):
        cosine_similarity_matrix([[1.0, 0.0]], [[1.0, 0.0, 0.0]])


# x0=(1,0), x1=(0,1); y0=(1,0), y1=(0.6,0.8), y2=(0,1). Cosines (rows x, columns y):
#   x0: 1, 0.6, 0      x1: 0, 0.8, 1
# k=2: r_x0 = (1+0.6)/2 = 0.8, r_x1 = (1+0.8)/2 = 0.9
#      r_y0 = (1+0)/2 = 0.5, r_y1 = (0.8+0.6)/2 = 0.7, r_y2 = (1+0)/2 = 0.5
# avg_ij = (r_xi + r_yj)/2:  x0: 0.65, 0.75, 0.65   x1: 0.7, 0.8, 0.7
MARGIN_X = np.array([[1.0, 0.0], [0.0, 1.0]])
MARGIN_Y = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])


def test_margin_scores_by_hand():
    ratio = margin_scores(MARGIN_X, MARGIN_Y, k=2, margin="ratio")
    assert ratio[0] == approx([1 / 0.65, 0.6 / 0.75, 0.0])
    assert ratio[1] == approx([0.0, 0.8 / 0.8, 1 / 0.7])
    distance = margin_scores(MARGIN_X, MARGIN_Y, k=2, margin="distance")
    assert distance[0] == approx([1 - 0.65, 0.6 - 0.75, 0 - 0.65])
    assert distance[1] == approx([0 - 0.7, 0.8 - 0.8, 1 - 0.7])
    absolute = margin_scores(MARGIN_X, MARGIN_Y, k=2, margin="absolute")
    assert absolute == approx(np.array([[1.0, 0.6, 0.0], [0.0, 0.8, 1.0]]))
    # k above the number of rows uses all of them: x0 averages 1, 0.6, 0
    assert knn_mean_similarity(MARGIN_X, MARGIN_Y, k=5) == approx([1.6 / 3, 1.8 / 3])
    with pytest.raises(UnknownNameError, match="margin"):
        margin_scores(MARGIN_X, MARGIN_Y, margin="cosine")  # type: ignore[arg-type]


def test_margin_scores_blocked_equals_unblocked(monkeypatch):
    import adaptxfer.metrics.retrieval as retrieval

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(37, 8)), rng.normal(size=(29, 8))
    whole = margin_scores(x, y, k=3)
    monkeypatch.setattr(retrieval, "_BLOCK_ELEMENTS", 50)  # blocks of one row
    assert margin_scores(x, y, k=3) == approx(whole)
    assert retrieval_accuracy(x, x + 0.01) == 100.0


# -- BUCC mining -----------------------------------------------------------------------
# x0=(1,0), x1=(0.8,0.6); y0=(1,0), y1=(0,1); k=1. Cosines: x0: 1, 0 | x1: 0.8, 0.6
# r_x = row maxima (1, 0.8), r_y = column maxima (1, 0.6)
# ratio: x0y0 = 1/((1+1)/2) = 1; x1y0 = 0.8/((0.8+1)/2) = 8/9; x1y1 = 0.6/((0.8+0.6)/2) = 6/7
# forward (1-NN by cosine): x0->y0 (1), x1->y0 (8/9); backward: y0->x0 (1), y1->x1 (6/7)
MINE_X = np.array([[1.0, 0.0], [0.8, 0.6]])
MINE_Y = np.array([[1.0, 0.0], [0.0, 1.0]])
MINE_IDS = (["s0", "s1"], ["t0", "t1"])


def _pairs(cands):
    return [(s, t) for s, t, _ in cands]


def test_mine_candidates_strategies():
    def mine(mode, margin="ratio"):
        return mine_candidates(MINE_X, MINE_Y, *MINE_IDS, k=1, mode=mode, margin=margin)

    forward = mine("forward")
    assert _pairs(forward) == [("s0", "t0"), ("s1", "t0")]
    assert [s for *_, s in forward] == approx([1.0, 8 / 9])
    backward = mine("backward")
    assert _pairs(backward) == [("s0", "t0"), ("s1", "t1")]
    assert [s for *_, s in backward] == approx([1.0, 6 / 7])
    # only s0->t0 is also t0's backward choice
    assert _pairs(mine("intersection")) == [("s0", "t0")]
    # max: pooled 1 (s0,t0) x2, 8/9 (s1,t0), 6/7 (s1,t1); greedy skips (s1,t0) since t0 is taken
    best = mine("max")
    assert _pairs(best) == [("s0", "t0"), ("s1", "t1")]
    assert best[1][2] == approx(6 / 7)
    # absolute margin scores are the cosines
    assert [s for *_, s in mine("forward", "absolute")] == approx([1.0, 0.8])
    with pytest.raises(UnknownNameError, match="mining mode"):
        mine("intersect")
    with pytest.raises(ValueError, match="not unique"):
        mine_candidates(MINE_X, MINE_Y, ["s", "s"], ["t0", "t1"])


def test_mining_threshold_and_f1_end_to_end():
    gold = {("s0", "t0"), ("s1", "t1")}
    # max: [(s0,t0,1), (s1,t1,6/7)], both gold: best cut keeps both -> threshold 6/7, F1 100
    cands = mine_candidates(MINE_X, MINE_Y, *MINE_IDS, k=1)
    threshold = bucc_optimal_threshold(cands, gold)
    assert threshold == approx(6 / 7)
    assert bucc_f1(cands, gold, threshold)["f1"] == approx(100.0)
    # forward: [(s0,t0,1), (s1,t0,8/9)]: keep 1 -> P 1, R 1/2, F1 2/3; keep 2 -> P = R = 1/2.
    # best after the first: threshold (1 + 8/9)/2 = 17/18
    fwd = mine_candidates(MINE_X, MINE_Y, *MINE_IDS, k=1, mode="forward")
    threshold = bucc_optimal_threshold(fwd, gold)
    assert threshold == approx(17 / 18)
    scores = bucc_f1(fwd, gold, threshold)
    assert scores["precision"] == approx(100.0)
    assert scores["recall"] == approx(50.0)
    assert scores["f1"] == approx(100 * 2 / 3)


def test_bucc_threshold_sweep_and_transfer():
    dev = [("a", "A", 0.9), ("b", "B", 0.8), ("c", "C", 0.7), ("d", "D", 0.6)]
    dev_gold = {("a", "A"), ("c", "C"), ("x", "X")}  # (x, X) was never mined
    # keep 1: P 1, R 1/3, F1 1/2; keep 2: P 1/2, R 1/3, F1 0.4;
    # keep 3: P 2/3, R 2/3, F1 2/3 (best); keep 4: P 1/2, R 2/3, F1 4/7
    # -> cut between 0.7 and 0.6: 0.65
    threshold = bucc_optimal_threshold(dev, dev_gold)
    assert threshold == approx(0.65)
    dev_scores = bucc_f1(dev, dev_gold, threshold)
    assert dev_scores["f1"] == approx(100 * 2 / 3)
    assert dev_scores["threshold"] == approx(0.65)
    # test split: keeps p (0.95) and q (0.66); r (0.64) falls below -> P 1, R 2/3, F1 0.8
    test = [("p", "P", 0.95), ("q", "Q", 0.66), ("r", "R", 0.64), ("s", "S", 0.3)]
    test_scores = bucc_f1(test, {("p", "P"), ("q", "Q"), ("r", "R")}, threshold)
    assert test_scores["precision"] == approx(100.0)
    assert test_scores["recall"] == approx(100 * 2 / 3)
    assert test_scores["f1"] == approx(80.0)


def test_bucc_threshold_ties_duplicates_and_no_hits():
    # keep 1 -> F1 0; keep 2 -> P 1/2, R 1, F1 2/3, cut midway to the tied 0.5 = 0.5;
    # keep 3 -> F1 1/2. At 0.5, ">=" extracts both tied pairs: F1 1/2, as the reference
    cands = [("a", "A", 0.9), ("b", "B", 0.5), ("c", "C", 0.5)]
    gold = {("b", "B")}
    threshold = bucc_optimal_threshold(cands, gold)
    assert threshold == 0.5
    assert bucc_f1(cands, gold, threshold)["f1"] == approx(50.0)
    # a pair listed twice keeps its higher score: (b, B) at 0.95 is kept alone -> F1 100
    dup = [*cands, ("b", "B", 0.95)]
    assert bucc_optimal_threshold(dup, gold) == approx((0.95 + 0.9) / 2)
    # no correct pair anywhere: the reference's default 0.0, and F1 0
    assert bucc_optimal_threshold(cands, {("z", "Z")}) == 0.0
    assert bucc_f1(cands, {("z", "Z")}, 0.0)["f1"] == 0.0
    with pytest.raises(ValueError, match="gold set is empty"):
        bucc_f1(cands, set(), 0.5)


# -- ranking -----------------------------------------------------------------------------
def test_average_precision_at_k_matches_hand_computed_values():
    # hits at ranks 2 and 4: (1/2 + 2/4) / min(20, 2)
    assert average_precision_at_k({"a", "b"}, ["x", "a", "y", "b"], k=20) == approx(0.5)
    # k = 2 sees only the hit at rank 2: (1/2) / min(2, 2)
    assert average_precision_at_k({"a", "b"}, ["x", "a", "y", "b"], k=2) == approx(0.25)
    assert average_precision_at_k({"a"}, ["a", "a"], k=20) == 1.0  # a repeat is no new hit
    # AP 1, 1/2 and 0 for the query with nothing relevant (it counts, as in Mewsli-X)
    ranked = [["a", "x"], ["x", "y"], ["q"]]
    assert mean_average_precision_at_k(ranked, [{"a"}, {"y"}, set()], k=20) == approx(50.0)
    with pytest.raises(ValueError, match="2 ranked lists but 1 queries"):
        mean_average_precision_at_k(ranked[:2], [{"a"}], k=20)


# -- aggregation --------------------------------------------------------------------------
def test_average_and_mean_ci95():
    assert average({"de": 80.0, "fr": 70.0, "zh": 60.0}) == 70.0
    # weighted by 1, 1, 2: (80 + 70 + 120) / 4
    assert average({"de": 80.0, "fr": 70.0, "zh": 60.0}, {"de": 1, "fr": 1, "zh": 2}) == 67.5
    with pytest.raises(ValueError):
        average({})
    with pytest.raises(ValueError, match="no weight for fr"):
        average({"de": 1.0, "fr": 2.0}, {"de": 1.0})
    assert mean_ci95([42.0]) == (42.0, 0.0)
    # [1, 2, 3]: mean 2, sample std 1, t(0.975, 2) = 4.302653 -> 4.302653 / sqrt(3)
    mean, half = mean_ci95([1.0, 2.0, 3.0])
    assert mean == 2.0
    assert half == approx(4.302653 / math.sqrt(3), rel=1e-6)
    # [10, 12]: std sqrt(2), t(0.975, 1) = 12.706205 -> 12.706205 * sqrt(2) / sqrt(2)
    assert mean_ci95([10.0, 12.0]) == approx((11.0, 12.706205), rel=1e-6)


def test_t_quantiles_without_scipy_match_standard_values():
    from adaptxfer.metrics import aggregate

    # standard table values t(0.975, df)
    assert aggregate._T975[0] == 12.706205
    assert aggregate._T975[9] == 2.228139  # df 10
    assert aggregate._T975[29] == 2.042272  # df 30
    assert aggregate._t975_series(60) == approx(2.000298, abs=1e-6)
    assert aggregate._t975_series(120) == approx(1.979930, abs=1e-6)
    assert t_quantile_975(10) == approx(2.228139, abs=1e-6)
    stats = pytest.importorskip("scipy.stats")
    for df in range(1, 31):
        assert aggregate._T975[df - 1] == approx(stats.t.ppf(0.975, df), abs=1e-6)
    for df in (31, 45, 100, 1000):
        assert aggregate._t975_series(df) == approx(stats.t.ppf(0.975, df), abs=1e-6)
