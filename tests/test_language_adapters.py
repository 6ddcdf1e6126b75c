"""MAD-X language adapters on the real e5-small and real Bible verses (train/dev books).

Budgets are tiny (2-core CPU): a German adapter trains for 16 steps on 4 x 24
tokens, enough to lower the held-out masked-LM loss with the head frozen.
"""

from __future__ import annotations

import json

import pytest
import torch

from adaptxfer.errors import UnknownNameError
from adaptxfer.language_adapters.artifact import (
    language_adapter_artifact,
    language_adapter_spec,
    load_language_adapter,
    read_language_manifest,
    save_language_adapter,
)
from adaptxfer.language_adapters.settings import LanguageAdapterSettings
from adaptxfer.language_adapters.texts import language_texts
from adaptxfer.language_adapters.training import adapter_parameters, train_language_adapter
from adaptxfer.store import AdapterStore
from adaptxfer.tasks.bible import language_names
from adaptxfer.tasks.bible.corpus import split_verses

BACKBONE = "e5-small"
SMALL = LanguageAdapterSettings(
    head_steps=4,
    max_steps=16,
    lr=3e-3,
    batch_size=4,
    max_length=24,
    max_texts=64,
    eval_texts=16,
)
TINY = SMALL.model_copy(update={"head_steps": 1, "max_steps": 1, "max_texts": 8, "eval_texts": 4})


@pytest.fixture(scope="module")
def trained():
    from adaptxfer.backbones import load_backbone

    backbone = load_backbone(BACKBONE)
    frozen = {k: v.clone() for k, v in backbone.model.state_dict().items()}
    result = train_language_adapter(backbone, "de", SMALL)
    return result, frozen, backbone.tokenizer


def test_training_lowers_held_out_mlm_loss(trained):
    result, _, _ = trained
    metrics = result.metrics
    assert metrics["translation"] == "e"  # Elberfelder 1932, the preferred German text
    assert metrics["mlm_before"]["masked_tokens"] == metrics["mlm_after"]["masked_tokens"] > 20
    assert metrics["mlm_after"]["loss"] < metrics["mlm_before"]["loss"] - 0.1
    assert metrics["adapter_training"]["steps"] == SMALL.max_steps


def test_only_the_adapter_changes(trained):
    result, frozen, _ = trained
    state = result.model.state_dict()
    # adapters adds only its own modules (and an alias of the word embeddings for prompt
    # tuning); every backbone tensor is bit-identical after training
    added = {k for k in state if k not in frozen}
    assert all(
        ".adapters." in k or "invertible_adapters." in k or "prompt_tuning" in k for k in added
    )
    assert all(torch.equal(state[k], frozen[k]) for k in frozen)
    adapter = adapter_parameters(result.model, "de")
    assert any("invertible_adapters.de." in n for n in adapter)
    trained_count = result.metrics["adapter_training"]["trainable_parameters"]
    assert trained_count == sum(p.numel() for p in adapter.values())
    assert not any(p.requires_grad for p in result.model.parameters())


def test_training_text_comes_from_train_books_only():
    train = set(split_verses("e", "train").values())
    texts = language_texts("de", "train")
    assert len(texts) > 15_000 and set(texts) <= train
    sample = language_texts("de", "train", n=50, seed=3)
    assert len(sample) == 50 and set(sample) <= train
    assert language_texts("de", "train", n=20, seed=3) == sample[:20]  # nested samples


def test_loaded_adapter_stacks_like_in_training(trained, tmp_path):
    import adapters
    from adapters.composition import Stack

    from adaptxfer.backbones import load_backbone

    result, _, tokenizer = trained
    save_language_adapter(result, tmp_path, backbone=BACKBONE, quantization="none", settings=SMALL)
    assert (tmp_path / "adapters" / "de" / "adapter.safetensors").is_file()
    assert read_language_manifest(tmp_path).metrics["mlm_after"] == result.metrics["mlm_after"]

    fresh = load_backbone(BACKBONE).model
    adapters.init(fresh)
    load_language_adapter(fresh, tmp_path, "lang_de")
    assert not any(p.requires_grad for p in adapter_parameters(fresh, "lang_de").values())

    task = adapters.SeqBnConfig(reduction_factor=16)
    result.model.add_adapter("task", config=task)
    fresh.add_adapter("task", config=task)
    with torch.no_grad():
        source = adapter_parameters(result.model, "task")
        for name, param in adapter_parameters(fresh, "task").items():
            param.copy_(source[name])
    batch = tokenizer(["Im Anfang schuf Gott die Himmel und die Erde."], return_tensors="pt")
    outputs = []
    for model, lang in ((result.model, "de"), (fresh, "lang_de")):
        model.set_active_adapters(Stack(lang, "task"))
        model.eval()
        with torch.no_grad():
            outputs.append(model(**batch).last_hidden_state)
        model.set_active_adapters(None)
    with torch.no_grad():
        plain = fresh(**batch).last_hidden_state
    assert torch.allclose(outputs[0], outputs[1], atol=1e-5)
    assert not torch.allclose(outputs[1], plain, atol=1e-3)


def test_store_trains_each_language_adapter_once(tmp_path):
    store = AdapterStore(tmp_path / "store")
    first = language_adapter_artifact(BACKBONE, "none", "de", store, TINY)
    second = language_adapter_artifact(BACKBONE, "none", "de", store, TINY)
    assert first == second
    assert len(store.trainings()) == 1
    spec = json.loads((first / "spec.json").read_text(encoding="utf-8"))
    assert spec["kind"] == "language-adapter" and spec["lang"] == "de"
    manifest = read_language_manifest(first)
    assert {"mlm_before", "mlm_after", "mlm_backbone_only"} <= set(manifest.metrics)
    explicit = TINY.model_copy(update={"translation": "e"})
    assert language_adapter_spec(BACKBONE, "none", "de", explicit) == spec


def test_bad_inputs_name_the_language_and_the_choices(tmp_path):
    store = AdapterStore(tmp_path)
    with pytest.raises(UnknownNameError) as error:
        language_adapter_artifact(BACKBONE, "none", "xx", store, TINY)
    assert "'xx'" in str(error.value) and "de" in error.value.known
    assert set(error.value.known) == set(language_names)
    with pytest.raises(UnknownNameError, match=r"'k'.*e, s"):
        language_adapter_spec(BACKBONE, "none", "de", TINY.model_copy(update={"translation": "k"}))
    with pytest.raises(UnknownNameError, match="quantization"):
        language_adapter_spec(BACKBONE, "fp4", "de", TINY)
    with pytest.raises(ValueError, match="extra"):
        LanguageAdapterSettings(reduction=2)
    assert store.trainings() == []


@pytest.mark.slow
def test_nf4_backbone_trains_a_language_adapter():
    from adaptxfer.backbones import load_backbone

    backbone = load_backbone(BACKBONE, quantization="nf4")
    result = train_language_adapter(
        backbone, "ru", SMALL.model_copy(update={"head_steps": 4, "max_steps": 12})
    )
    assert result.metrics["translation"] == "r"
    assert result.metrics["mlm_after"]["loss"] < result.metrics["mlm_before"]["loss"]


class _StopAt:
    """Stops the adapter stage at ``step`` (as a crash would), after its checkpoint."""

    def __init__(self, step: int, stage_steps: int) -> None:
        self.step, self.stage_steps = step, stage_steps

    def on_train_start(self, state) -> None:
        pass

    def on_step_end(self, state, event) -> None:
        if event.max_steps == self.stage_steps and state.step == self.step:
            raise KeyboardInterrupt

    def on_train_end(self, state) -> None:
        pass


@pytest.mark.slow
def test_a_stopped_language_adapter_training_resumes_to_the_same_adapter(tmp_path) -> None:
    from adaptxfer.backbones import load_backbone
    from adaptxfer.language_adapters.training import Resumable

    settings = SMALL.model_copy(
        update={
            "head_steps": 3,
            "max_steps": 5,
            "batch_size": 4,
            "max_length": 32,
            "eval_texts": 16,
        }
    )

    def run(folder, callbacks=()):
        backbone = load_backbone(BACKBONE)
        resumable = Resumable(folder, every=2, callbacks=callbacks)
        result = train_language_adapter(backbone, "de", settings, resumable=resumable)
        return result, {k: v.clone() for k, v in adapter_parameters(result.model, "de").items()}

    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "stopped", [_StopAt(3, stage_steps=5)])  # the adapter stage saved 2
    assert (tmp_path / "stopped" / "head" / "step-00000003").is_dir()
    assert (tmp_path / "stopped" / "adapter" / "step-00000002").is_dir()
    resumed, resumed_weights = run(tmp_path / "stopped")
    whole, whole_weights = run(tmp_path / "whole")
    assert resumed_weights.keys() == whole_weights.keys() and whole_weights
    for name, weight in whole_weights.items():
        assert torch.equal(resumed_weights[name], weight), name
    assert resumed.metrics["mlm_after"] == whole.metrics["mlm_after"]
