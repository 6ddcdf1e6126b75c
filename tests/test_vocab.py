"""Vocabulary pruning (``prune_vocab``): the kept rows reproduce the full model exactly,
training on a pruned backbone is the same training, adapters move between pruned and full
backbones, and a run records what it kept. Real default backbone, Bible verses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from adaptxfer.arms import intermediate_spec
from adaptxfer.backbones import load_backbone
from adaptxfer.backbones.vocab import (
    PrunedEmbedding,
    kept_ids,
    prune_vocabulary,
    splits_on_spaces,
    texts_of,
    token_ids_of,
)
from adaptxfer.compose.assemble import Assembly
from adaptxfer.errors import UnsupportedError
from adaptxfer.methods import MethodConfig, backend_library
from adaptxfer.recipes.loading import load_recipe
from adaptxfer.store import content_key
from adaptxfer.study_vocabulary import load_study_backbone, study_kept_ids
from test_compose import FEW_STEPS, features, make_tiny_backbone, task_model

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "recipes/bible/para-en_to_para-x.yaml"
ROWS = [
    {"id": "1:1.1.1", "sentence1": "In the beginning God created the heaven and the earth."},
    {"id": "x", "sentence1": "Au commencement, Dieu créa les cieux et la terre.", "label": 1},
    {"tokens": ["Im", "Anfang", "schuf", "Gott", "Himmel", "und", "Erde", "."]},
]


@pytest.fixture(scope="module")
def e5():
    return load_backbone("e5-small")


def hidden(model, tokenizer, texts) -> torch.Tensor:
    batch = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        return model(**batch).last_hidden_state


def test_pruned_encoder_gives_bit_identical_hidden_states(e5):
    tokenizer = e5.tokenizer
    assert splits_on_spaces(tokenizer)
    kept = kept_ids(tokenizer, token_ids_of(tokenizer, texts_of(ROWS)))
    assert {0, 1, 2, 3, tokenizer.mask_token_id} <= set(kept)  # specials keep their ids
    assert len(kept) < 100  # ids are not text: "1:1.1.1" is not tokenised
    texts = [row.get("sentence1") or " ".join(row["tokens"]) for row in ROWS]
    full = hidden(e5.model, tokenizer, texts)
    pruned = load_backbone("e5-small")
    info = prune_vocabulary(pruned.model, kept)
    rows = e5.model.get_input_embeddings().num_embeddings  # 250,037: padded past 250,002
    assert (info.rows_before, info.rows_kept) == (rows, len(kept))
    embeddings = pruned.model.get_input_embeddings()
    assert isinstance(embeddings, PrunedEmbedding)
    assert embeddings.weight.shape == (len(kept), 384) and not embeddings.weight.requires_grad
    assert torch.equal(hidden(pruned.model, tokenizer, texts), full)

    with pytest.raises(UnsupportedError, match=r"prune_vocab: token ids \[.*\] are not in"):
        hidden(pruned.model, tokenizer, ["Zebras quarrel in Ulaanbaatar"])
    with pytest.raises(UnsupportedError, match="already pruned"):
        prune_vocabulary(pruned.model, kept)


def test_word_level_shortcut_gives_the_ids_of_whole_texts(e5):
    from adaptxfer.tasks.loading import load_split
    from adaptxfer.tasks.registry import get_task

    texts: set[str] = set()
    for lang in ("fr", "es", "it", "de", "tl"):
        texts |= texts_of(load_split(get_task("bible-para-x"), lang, "test", max_examples=150))
    ordered = sorted(texts)
    whole = {i for ids in e5.tokenizer(ordered)["input_ids"] for i in ids}
    assert token_ids_of(e5.tokenizer, texts) == whole


def _short_training(backbone, method: MethodConfig, seed: int = 0):
    assembly = Assembly.create(backbone, backend_library(method))
    assembly.backend.add("adapter", method, seed=seed)
    assembly.train_alone("adapter")
    model = task_model(assembly, seed)
    from adaptxfer.tasks.kinds import get_kind
    from adaptxfer.training.task import train

    data = features(backbone.tokenizer, "bible-para-en", "en", n=24)
    report = train(model, get_kind("classification"), data, backbone.tokenizer,
                   FEW_STEPS.model_copy(update={"max_steps": 3}), seed=seed)  # fmt: skip
    return assembly, report


def test_training_on_the_pruned_backbone_is_the_same_training_and_adapters_move(tmp_path):
    """A few LoRA steps on the tiny backbone, full and pruned to the verses trained on."""
    tiny = str(make_tiny_backbone())
    full = load_backbone(tiny)
    data = features(full.tokenizer, "bible-para-en", "en", n=24)
    found = {i for ids in data["input_ids"] for i in ids}
    pruned = load_backbone(tiny)
    prune_vocabulary(pruned.model, kept_ids(pruned.tokenizer, found))
    method = MethodConfig(name="lora")
    full_assembly, full_report = _short_training(full, method)
    pruned_assembly, pruned_report = _short_training(pruned, method)
    assert pruned_report.losses == pytest.approx(full_report.losses, rel=1e-5)

    # the adapter trained on the pruned backbone, loaded on the full one, is the same
    pruned_assembly.backend.save("adapter", tmp_path / "adapter")
    reloaded = Assembly.create(load_backbone(tiny), "peft")
    reloaded.backend.load("adapter", tmp_path / "adapter", method)
    reloaded.backend.activate(["adapter"])
    texts = ["In the beginning God created the heaven and the earth."]
    expected = hidden(full_assembly.encoder.eval(), full.tokenizer, texts)
    assert torch.allclose(hidden(reloaded.encoder.eval(), full.tokenizer, texts), expected,
                          atol=1e-5)  # fmt: skip


def test_the_study_vocabulary_covers_its_splits_and_stays_out_of_the_key(e5):
    recipe = load_recipe(RECIPE, ["languages=[de]", "prune_vocab=true"])
    chain = ("bible-para-en",)
    plain = load_recipe(RECIPE, ["languages=[de]"])
    assert content_key(intermediate_spec(recipe, chain, 0)) == content_key(
        intermediate_spec(plain, chain, 0)
    )
    kept = study_kept_ids(recipe, e5.tokenizer)
    assert 1000 < len(kept) < e5.tokenizer.vocab_size // 5
    backbone = load_study_backbone(recipe)
    assert backbone.vocabulary is not None and backbone.vocabulary.rows_kept == len(kept)
    from adaptxfer.tasks.loading import load_split
    from adaptxfer.tasks.registry import get_task

    german = load_split(get_task("bible-para-x"), "de", "test", max_examples=16)
    texts = list(german["sentence1"])
    assert torch.equal(hidden(backbone.model, e5.tokenizer, texts),
                       hidden(e5.model, e5.tokenizer, texts))  # fmt: skip


@pytest.mark.slow  # a whole run in a subprocess: ~40 s here
def test_a_run_with_prune_vocab_records_what_it_kept(tmp_path):
    recipe = tmp_path / "pruned.yaml"
    recipe.write_text(
        f"backbone: {make_tiny_backbone()}\nprune_vocab: true\nmethod: lora\n"
        "intermediate: {tasks: [bible-para-en]}\ntarget: bible-para-x\nlanguages: [de]\n"
        "train: {max_steps: 2, batch_size: 4, max_length: 32, dev_examples: 8}\n"
        "eval: {max_examples: 8}\nbaseline: false\n",
        encoding="utf-8",
    )
    env = {**os.environ, "ADAPTXFER_PROGRESS": "0", "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "adaptxfer.cli", "run", str(recipe), "-o", str(tmp_path / "r")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    manifests = list((tmp_path / "r").rglob("artifact.json"))
    assert manifests
    for path in manifests:
        record = json.loads(path.read_text(encoding="utf-8"))["provenance"]["pruned_vocabulary"]
        assert record["rows_before"] == 250002 and 1000 < record["rows_kept"] < 50000


def test_pruning_a_quantised_backbone_keeps_its_outputs():
    """nf4 leaves the embedding table unquantised: it is pruned like any other, before
    the quantised model is prepared for training."""
    tiny = str(make_tiny_backbone())
    texts = ["In the beginning God created the heaven and the earth."]
    full = load_backbone(tiny, "nf4")
    pruned = load_backbone(
        tiny, "nf4", keep_vocabulary=lambda tok: kept_ids(tok, token_ids_of(tok, texts))
    )
    assert pruned.vocabulary is not None and pruned.vocabulary.rows_kept < 40
    assert isinstance(pruned.model.get_input_embeddings(), PrunedEmbedding)
    assert torch.equal(hidden(pruned.model, pruned.tokenizer, texts),
                       hidden(full.model, full.tokenizer, texts))  # fmt: skip
