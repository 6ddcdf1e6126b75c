"""Task kinds: preprocessing and decoding on crafted inputs, and every registered task run
through its head on the default backbone (one backbone per module): a few training steps
lower the loss on its training rows, and evaluation yields the task's metric."""

from __future__ import annotations

import pytest
import torch

from adaptxfer.metrics import primary_metric, score
from adaptxfer.tasks.heads import build_head
from adaptxfer.tasks.kinds import get_kind
from adaptxfer.tasks.kinds.extractive_qa import NO_OFFSET, decode_answers, encode_windows
from adaptxfer.tasks.kinds.multiple_choice import ChoiceCollator
from adaptxfer.tasks.kinds.tagging import IGNORE
from adaptxfer.tasks.loading import load_split
from adaptxfer.tasks.model import TaskModel
from adaptxfer.tasks.registry import all_tasks
from adaptxfer.tasks.settings import EvalSettings
from adaptxfer.tasks.spec import BuiltSource
from adaptxfer.training.settings import TrainSettings
from adaptxfer.training.task import train
from task_fixtures import eval_split_of, write_task_fixture

STUDY_TASKS = sorted(
    name for name, task in all_tasks().items() if not isinstance(task.source, BuiltSource)
)


@pytest.fixture(scope="module")
def backbone():
    from adaptxfer.backbones import load_backbone

    return load_backbone("e5-small")


@pytest.fixture(scope="module")
def tokenizer(backbone):
    return backbone.tokenizer


# -- tagging ------------------------------------------------------------------------------------
def test_the_first_subword_of_each_word_carries_its_label(tokenizer):
    import datasets

    task = all_tasks()["panx"]
    words = ["Kilimanjaro", "overshadows", "Moshi", "town"]
    tags = ["B-LOC", "O", "B-LOC", "O"]
    data = datasets.Dataset.from_list([{"tokens": words, "tags": tags}])
    features = get_kind("tagging").featurize(task, data, tokenizer, 64, train=True)
    labels = features[0]["labels"]
    word_ids = tokenizer(words, is_split_into_words=True).word_ids()
    assert len(labels) == len(word_ids)
    assert any(word_ids.count(w) > 1 for w in range(len(words))), "need a multi-piece word"
    seen = set()
    for position, word in enumerate(word_ids):
        if word is None or word in seen:
            assert labels[position] == IGNORE
        else:
            seen.add(word)
            assert labels[position] == task.label_names.index(tags[word])
    assert seen == set(range(len(words)))


# -- extractive QA ------------------------------------------------------------------------------
ANSWER = "the Treaty of Westphalia"


def _long_example(answer_at: int):
    words = [f"filler{i}" for i in range(120)]
    context = " ".join(words[:answer_at]) + f" {ANSWER} " + " ".join(words[answer_at:])
    return {
        "id": ["q0"],
        "question": ["Which treaty ended the war?"],
        "context": [context],
        "answers": [{"text": [ANSWER], "answer_start": [context.index(ANSWER)]}],
    }


def test_training_windows_point_at_the_answer_or_at_the_start_token(tokenizer):
    rows = _long_example(answer_at=70)
    train_windows = encode_windows(rows, tokenizer, 48, 16, train=True)
    eval_windows = encode_windows(rows, tokenizer, 48, 16, train=False)
    assert len(train_windows["labels"]) >= 3
    context = rows["context"][0]
    hits = 0
    for (start, end), offsets in zip(train_windows["labels"], eval_windows["offsets"], strict=True):
        if (start, end) == (0, 0):
            continue
        hits += 1
        assert context[offsets[start][0] : offsets[end][1]].strip() == ANSWER
    assert hits >= 1
    assert any(tuple(label) == (0, 0) for label in train_windows["labels"])


def _window_logits(eval_windows, plan):
    """Per-window [tokens, 2] logits: zeros, plus (window, position, column, value) bumps."""
    logits = [torch.zeros(len(ids), 2) for ids in eval_windows["input_ids"]]
    for window, position, column, value in plan:
        logits[window][position, column] = value
    return logits


def _token_at(offsets, char, *, end=False):
    for t, (a, b) in enumerate(offsets):
        if (a, b) != NO_OFFSET and (a < char <= b if end else a <= char < b):
            return t
    return None


def _straddling_windows(tokenizer):
    """An example whose answer starts in one window and ends past it, and the windows:
    (rows, windows, window cutting the answer, window holding all of it)."""
    for answer_at in range(1, 40):
        rows = _long_example(answer_at)
        start_char = rows["answers"][0]["answer_start"][0]
        end_char = start_char + len(ANSWER)
        windows = encode_windows(rows, tokenizer, 24, 8, train=False)
        starts = [_token_at(o, start_char) is not None for o in windows["offsets"]]
        ends = [_token_at(o, end_char, end=True) is not None for o in windows["offsets"]]
        cut = [w for w, (a, b) in enumerate(zip(starts, ends, strict=True)) if a and not b]
        full = [w for w, (a, b) in enumerate(zip(starts, ends, strict=True)) if a and b]
        if cut and full:
            return rows, windows, cut[0], full[0]
    raise AssertionError("no window boundary cuts the answer")


def test_an_answer_cut_by_a_window_boundary_is_recovered_from_the_next_window(tokenizer):
    rows, windows, cut, full = _straddling_windows(tokenizer)
    context = rows["context"][0]
    start_char = rows["answers"][0]["answer_start"][0]
    end_char = start_char + len(ANSWER)
    offsets = windows["offsets"]
    last_context = max(t for t, o in enumerate(offsets[cut]) if tuple(o) != NO_OFFSET)
    plan = [
        (cut, _token_at(offsets[cut], start_char), 0, 10.0),
        (cut, last_context, 1, 10.0),  # truncated span, score 20
        (full, _token_at(offsets[full], start_char), 0, 12.0),
        (full, _token_at(offsets[full], end_char, end=True), 1, 12.0),  # full span, score 24
    ]
    logits = _window_logits(windows, plan)
    contexts = {"q0": context}
    ids = windows["example_id"]
    decoded = decode_answers(
        logits, ids, offsets, contexts, n_best=5, max_answer_length=30, allow_null=False
    )
    assert decoded == {"q0": ANSWER}
    # a null score above every span predicts "no answer" only where that is allowed
    for window in range(len(logits)):
        logits[window][0] = torch.tensor([20.0, 20.0])
    assert decode_answers(
        logits, ids, offsets, contexts, n_best=5, max_answer_length=30, allow_null=True
    ) == {"q0": ""}
    assert decode_answers(
        logits, ids, offsets, contexts, n_best=5, max_answer_length=30, allow_null=False
    ) == {"q0": ANSWER}
    # spans longer than max_answer_length are never chosen
    short = decode_answers(
        logits, ids, offsets, contexts, n_best=5, max_answer_length=2, allow_null=False
    )
    assert short["q0"] != ANSWER


# -- multiple choice ----------------------------------------------------------------------------
def test_choices_are_padded_per_question_and_missing_ones_never_win(backbone, tokenizer):
    import datasets

    task = all_tasks()["copa"]
    kind = get_kind("multiple_choice")
    data = datasets.Dataset.from_list(
        [
            {"context": "It rained.", "question": "Effect?", "choices": ["Wet", "Dry"], "label": 0},
            {"context": "", "question": "Pick one", "choices": ["a", "b", "c"], "label": 2},
        ]
    )
    features = kind.featurize(task, data, tokenizer, 32, train=True)
    batch = ChoiceCollator(tokenizer)([features[0], features[1]])
    assert batch["input_ids"].shape[:2] == (2, 3)
    assert batch["attention_mask"][0, 2].sum() == 0
    config = kind.head_config(task, backbone.hidden_size)
    model = TaskModel(backbone.model, build_head(config).to(backbone.device), config)
    with torch.no_grad():
        logits = kind.logits(model, {k: v.to(backbone.device) for k, v in batch.items()})
    assert logits.shape == (2, 3)
    assert logits[0, 2] < logits[0, :2].min() - 1e30


# -- every task through its head ----------------------------------------------------------------
@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("task-data")


def loss_on(kind, model: TaskModel, batch: dict[str, torch.Tensor]) -> float:
    """The kind's training loss on ``batch``, without dropout or gradients."""
    model.eval()
    with torch.no_grad():
        batch = {k: v.to(model.device) for k, v in batch.items()}
        return kind.loss(kind.logits(model, batch), batch).item()


@pytest.mark.parametrize("name", STUDY_TASKS)
def test_every_task_trains_and_scores_on_the_default_backbone(name, backbone, data_dir):
    task = all_tasks()[name]
    kind = get_kind(task.kind)
    lang = task.languages[-1]
    split = eval_split_of(task)
    settings = EvalSettings(split=split, max_length=64, batch_size=8, doc_stride=32)
    for needed in kind.eval_splits(settings):
        write_task_fixture(task, lang, needed, data_dir)
    splits = {s: load_split(task, lang, s, data_dir=data_dir) for s in kind.eval_splits(settings)}
    if kind.trainable:
        write_task_fixture(task, task.train_language, "train", data_dir)
        data = load_split(task, task.train_language, "train", data_dir=data_dir)
        config = kind.head_config(task, backbone.hidden_size)
        torch.manual_seed(0)
        model = TaskModel(backbone.model, build_head(config).to(backbone.device), config)
        features = kind.featurize(task, data, backbone.tokenizer, 64, train=True)
        rows = features.with_format(None)
        batch = kind.collator(backbone.tokenizer)([rows[i] for i in range(len(rows))])
        before = loss_on(kind, model, batch)
        # every step sees all training rows (full batch): the loss on them must go down
        budget = TrainSettings(max_steps=5, batch_size=32, max_length=64, lr=1e-3, warmup_ratio=0)
        report = train(model, kind, features, backbone.tokenizer, budget, seed=0)
        assert report.steps == 5
        assert loss_on(kind, model, batch) < before  # the head learns its training rows
    else:
        model = TaskModel(backbone.model, None)
    scores = kind.evaluate(task, model, splits, backbone.tokenizer, settings, lang)
    headline = primary_metric(task.metric)
    assert next(iter(scores)) == headline
    assert 0.0 <= scores[headline] <= 100.0


# -- the tasks' metric names, on crafted predictions ----------------------------------------------
def test_task_metrics_score_crafted_predictions_as_computed_by_hand():
    # MLQA scores Chinese per character (mixed segmentation): 2 of 4 gold characters
    # found, all predicted ones right -> F1 = 2 * 1 * 0.5 / 1.5; SQuAD rules see one token.
    zh = score("mlqa", {"q": "北京"}, {"q": ["北京大学"]}, lang="zh")
    assert zh["f1"] == pytest.approx(100 * 2 / 3) and zh["exact_match"] == 0.0
    assert score("squad", {"q": "北京"}, {"q": ["北京大学"]}, lang="zh")["f1"] == 0.0
    # SQuAD 2.0: an empty prediction for an unanswerable question is right
    v2 = score("squad_v2", {"a": "", "b": "Paris"}, {"a": [], "b": ["paris"]}, lang="en")
    assert v2["exact_match"] == pytest.approx(100.0)
    ner = score(
        "entity_f1", [["B-PER", "I-PER", "O", "O"]], [["B-PER", "I-PER", "O", "B-LOC"]], lang="de"
    )
    assert (ner["precision"], ner["recall"]) == pytest.approx((100.0, 50.0))
    assert ner["f1"] == pytest.approx(100 * 2 / 3)
    tokens = score("token_accuracy", [["1", "2"], ["3", "9"]], [["1", "2"], ["3", "4"]], lang="en")
    assert tokens == {"accuracy": pytest.approx(75.0)}
    assert score("accuracy", [0, 1, 1, 2], [0, 1, 2, 2], lang="en") == {"accuracy": 75.0}
    ranked = score("map@20", [["x", "a", "y", "b"]], [{"a", "b"}], lang="en")
    assert ranked == {"map@20": pytest.approx(50.0), "queries": 1.0}


# -- retrieval, mining: XTREME's protocols on the default backbone --------------------------------
GERMAN = ["Guten Morgen.", "Der Hund schläft.", "Ich trinke Kaffee.", "Es regnet heute."]
ENGLISH = ["Good morning.", "The dog is sleeping.", "I drink coffee.", "It is raining today."]
DISTRACTORS = ["The train leaves at noon.", "She plays the violin.", "Prices rose sharply."]


def mining_rows(gold: bool = True) -> list[dict[str, str]]:
    """Four German sentences with their English translations among distractors; the first
    German text appears twice (the copy has no gold)."""
    rows = [
        {"side": "source", "id": f"de-{i}", "text": text, "gold": f"en-{i}" if gold else ""}
        for i, text in enumerate(GERMAN)
    ]
    rows.append({"side": "source", "id": "de-9", "text": GERMAN[0], "gold": ""})
    rows += [
        {"side": "target", "id": f"en-{i}", "text": text, "gold": ""}
        for i, text in enumerate(ENGLISH + DISTRACTORS)
    ]
    return rows


def test_mining_drops_repeated_texts_and_tunes_the_threshold_by_protocol(backbone):
    import datasets

    task, kind = all_tasks()["bucc2018"], get_kind("mining")
    model = TaskModel(backbone.model, None)
    test = datasets.Dataset.from_list(mining_rows())
    oracle = EvalSettings(bucc_threshold="oracle", batch_size=8)
    assert kind.eval_splits(oracle) == ("test",)
    scores = kind.evaluate(task, model, {"test": test}, backbone.tokenizer, oracle, "de")
    # "Guten Morgen." has two ids: its pair is dropped, the other three are mined and kept
    # by the threshold tuned on test itself -> P 1, R 3/4, F1 6/7
    assert scores["f1"] == pytest.approx(100 * 6 / 7)
    assert (scores["precision"], scores["recall"]) == pytest.approx((100.0, 75.0))

    on_dev = EvalSettings(batch_size=8)  # bucc_threshold: dev, the default
    assert kind.eval_splits(on_dev) == ("dev", "test")
    # dev = the same sentences: the same threshold, so the same F1
    same = kind.evaluate(task, model, {"dev": test, "test": test}, backbone.tokenizer, on_dev, "de")
    assert same["f1"] == pytest.approx(scores["f1"])
    assert same["threshold"] == pytest.approx(scores["threshold"])
    # a dev split whose gold pairs are never mined tunes to the reference's default 0.0
    wrong = [{**r, "gold": "en-6" if r["gold"] else ""} for r in mining_rows()]
    dev = datasets.Dataset.from_list(wrong)
    other = kind.evaluate(task, model, {"dev": dev, "test": test}, backbone.tokenizer, on_dev, "de")
    assert other["threshold"] == 0.0 and scores["threshold"] > 1.0
    assert "tuned on dev" in kind.protocol(task, on_dev)
    assert "oracle" in kind.protocol(task, oracle)


def test_the_xtreme_preset_reads_the_scripts_layer_and_pooling(backbone):
    from adaptxfer.backbones import encode_pooled
    from adaptxfer.tasks.kinds.retrieval import SentenceEncoding, sentence_encoding, xtreme_layer

    # run_tatoeba.sh: XLM-R large reads --specific_layer 13 of the last 24 hidden states
    # (index 14 of 0..24), mBERT 7 of the last 12 (index 8); run_bucc2018.sh: layer 7 of
    # the last 12 (the default --num_layers): index 24 + 1 - 12 + 7 = 20, 12 + 1 - 12 + 7 = 8
    assert [xtreme_layer("retrieval", d) for d in (24, 12)] == [14, 8]
    assert [xtreme_layer("mining", d) for d in (24, 12)] == [20, 8]
    model = TaskModel(backbone.model, None)
    preset = EvalSettings(retrieval_preset="xtreme")
    assert sentence_encoding(model, preset, "retrieval") == SentenceEncoding(8, "mean", 512)
    assert sentence_encoding(model, preset, "mining") == SentenceEncoding(8, "cls", 512)
    assert sentence_encoding(model, EvalSettings(), "retrieval") == SentenceEncoding(6, "mean", 128)
    # cls pooling is the first token (<s>) of the chosen hidden state
    ids = backbone.tokenizer(["Guten Morgen."], return_tensors="pt").to(backbone.device)
    with torch.no_grad():
        hidden = backbone.model(**ids, output_hidden_states=True).hidden_states[8]
    cls = encode_pooled(backbone.model, backbone.tokenizer, ["Guten Morgen."], 8, "cls")
    assert torch.allclose(cls, hidden[:, 0].float().cpu(), atol=1e-5)
    with pytest.raises(ValueError, match="remove layer"):
        EvalSettings(retrieval_preset="xtreme", layer=-1)
