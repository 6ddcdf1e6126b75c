"""Multi-task intermediate adapters (``a+b``, ``mode: multitask``), intermediate tasks in
other languages (``task@lang``) and masked-LM intermediates (``mlm@lang``), on the real
e5-small backbone and real packaged data."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import torch

from adaptxfer.arms import intermediate_spec
from adaptxfer.recipes.schema import Recipe
from adaptxfer.tasks.loading import load_split
from adaptxfer.tasks.registry import all_tasks
from adaptxfer.tasks.units import Member, member_spec, parse_unit, unit_problem
from adaptxfer.training.mixture import MixedStream, MixtureSettings, mixture_rates


# -- names ------------------------------------------------------------------------------
def test_units_parse_into_members_with_their_languages() -> None:
    unit = parse_unit("bible-para-en+bible-para-x@de+mlm@fr")
    assert unit.members == (
        Member("bible-para-en"),
        Member("bible-para-x", "de"),
        Member("mlm", "fr"),
    )
    assert unit.is_mixture and unit.name == "bible-para-en+bible-para-x@de+mlm@fr"
    assert not parse_unit("pos-en").is_mixture


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a++b", "malformed intermediate 'a++b'"),
        ("pos-x@", "malformed intermediate 'pos-x@'"),
        ("pos-en+pos-en", "names a task twice"),
        ("xnli", "'xnli' is a target task; as an intermediate it needs a training language"),
        ("pos-x@fr", "'pos-x' has no training data in 'fr'; pos-x@LANG takes LANG from: de"),
        ("mlm", "mlm needs a language with Bible text (mlm@LANG), got no language"),
        ("mlm@xx", "mlm needs a language with Bible text (mlm@LANG), got 'xx'"),
        ("pos-en+no-such-task", "in mixture 'pos-en+no-such-task': unknown intermediate task"),
    ],
)
def test_a_bad_unit_says_what_is_wrong_and_what_is_allowed(text: str, expected: str) -> None:
    problem = unit_problem(text, all_tasks())
    assert problem is not None and expected in problem


def test_a_target_task_in_another_language_is_an_intermediate_task_in_that_language() -> None:
    spec = member_spec(Member("bible-para-x", "de"))
    assert (spec.name, spec.role, spec.train_language, spec.languages) == (
        "bible-para-x",
        "intermediate",
        "de",
        ("de",),
    )
    german = load_split(spec, "de", "train", max_examples=30, seed=0)
    english = load_split(member_spec(Member("bible-para-en")), "en", "train", max_examples=30)
    words = Counter(w for row in german["sentence1"] for w in row.lower().split())
    assert words["und"] > 5 and words["the"] == 0  # German verses, not English ones
    assert set(german["sentence1"]).isdisjoint(english["sentence1"])


@pytest.mark.parametrize("name", ["bible-para-x", "bible-next-x", "multiemo", "pos-x"])
def test_every_offered_training_language_has_training_data(name: str) -> None:
    spec = all_tasks()[name]
    assert spec.other_train_languages
    for lang in spec.other_train_languages[:3]:
        data = load_split(member_spec(Member(name, lang)), lang, "train", max_examples=4)
        assert len(data) == 4


# -- recipes ----------------------------------------------------------------------------
def _recipe(intermediate: object, **extra: object) -> Recipe:
    return Recipe.model_validate(
        {"target": "bible-para-x", "intermediate": intermediate, "languages": ["de"], **extra}
    )


def test_multitask_mode_is_one_mixture_unit_with_its_own_store_key() -> None:
    tasks = ["bible-para-en", "pos-en"]
    multitask = _recipe({"tasks": tasks, "mode": "multitask"})
    assert multitask.intermediate.tasks == ["bible-para-en+pos-en"]
    assert multitask.problems() == []
    key = intermediate_spec(multitask, ("bible-para-en+pos-en",), 0)
    written = _recipe(["bible-para-en+pos-en"])  # the same adapter, written as one unit
    assert intermediate_spec(written, ("bible-para-en+pos-en",), 0) == key
    chain = _recipe(tasks)
    assert key["mixture"] == {"cap": None, "temperature": 1.0}
    assert "mixture" not in intermediate_spec(chain, ("bible-para-en", "pos-en"), 0)
    hotter = _recipe({"tasks": tasks, "mode": "multitask", "mixture": {"temperature": 2}})
    assert intermediate_spec(hotter, ("bible-para-en+pos-en",), 0) != key


def test_units_are_checked_where_they_are_written(tmp_path: Path) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        "target: bible-para-x\nintermediate:\n  tasks: [bible-para-en, pos-x@fr]\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "adaptxfer.cli", "run", str(recipe), "-o", str(tmp_path / "o")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2, done.stderr
    assert f"{recipe}:3" in done.stderr and "intermediate.tasks.1:" in done.stderr
    assert "'pos-x' has no training data in 'fr'" in done.stderr
    assert not (tmp_path / "o").exists()


# -- mixing -----------------------------------------------------------------------------
def test_mixture_rates_are_proportional_capped_and_tempered() -> None:
    assert mixture_rates([300, 100], MixtureSettings()) == [0.75, 0.25]
    assert mixture_rates([300, 100], MixtureSettings(cap=100)) == [0.5, 0.5]
    hot = mixture_rates([900, 100], MixtureSettings(temperature=2.0))
    assert hot == pytest.approx([0.75, 0.25])
    with pytest.raises(ValueError, match="needs training examples"):
        mixture_rates([10, 0], MixtureSettings())


def test_a_mixed_stream_draws_at_its_rates_and_the_same_sequence_again() -> None:
    def streams():
        return [iter(range(0, 10**6)), iter(range(10**6, 2 * 10**6))]

    first = MixedStream(streams(), [0.8, 0.2], seed=3)
    drawn = [next(first) for _ in range(2000)]
    assert 0.77 < first.drawn[0] / 2000 < 0.83
    again = MixedStream(streams(), [0.8, 0.2], seed=3)
    assert [next(again) for _ in range(2000)] == drawn


# -- training (real backbone, real data) --------------------------------------------------
SMALL = {"batch_size": 8, "max_length": 64, "dev_examples": 48, "checkpoint_every": 2}


def _intermediate(recipe: Recipe, unit: str, store_dir: Path) -> Path:
    from adaptxfer.experiment import intermediate_artifact
    from adaptxfer.store import AdapterStore

    return intermediate_artifact(recipe, (unit,), 0, AdapterStore(store_dir))


def test_a_multitask_adapter_trains_one_head_per_task_and_records_the_mixture(
    tmp_path: Path,
) -> None:
    from adaptxfer.artifacts import Manifest

    recipe = _recipe(
        {"tasks": ["bible-para-en", "pos-en"], "mode": "multitask", "train": {"max_steps": 6}},
        train=SMALL,
    )
    out = _intermediate(recipe, "bible-para-en+pos-en", tmp_path / "store")
    manifest = Manifest.read(out)
    dev = manifest.metrics["dev"]
    assert {"bible-para-en/accuracy", "pos-en/accuracy"} <= set(dev)
    assert dev["mean"] == pytest.approx(
        (dev["bible-para-en/accuracy"] + dev["pos-en/accuracy"]) / 2
    )
    mixture = manifest.provenance["mixture"]
    assert [m["task"] for m in mixture] == ["bible-para-en", "pos-en"]
    assert sum(m["batches"] for m in mixture) == 6  # one batch per step (grad_accum 1)
    assert sum(m["rate"] for m in mixture) == pytest.approx(1.0, abs=1e-3)
    assert manifest.metrics["train"]["steps"] == 6
    # the same unit again is the stored adapter, not a new training
    assert _intermediate(recipe, "bible-para-en+pos-en", tmp_path / "store") == out


class _StopAfter:
    """A callback that stops training (as a crash would) after step ``step``."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_start(self, state) -> None:
        pass

    def on_step_end(self, state, event) -> None:
        if state.step == self.step:
            raise KeyboardInterrupt

    def on_train_end(self, state) -> None:
        pass


def _mixture_training(folder: Path, callbacks=()) -> dict[str, torch.Tensor]:
    """4 steps of bible-para-en + mlm@de on a fresh LoRA adapter; the trained weights."""
    from adaptxfer.backbones import load_backbone
    from adaptxfer.compose.assemble import Assembly
    from adaptxfer.experiment import task_model
    from adaptxfer.methods.settings import MethodConfig
    from adaptxfer.tasks.kinds import get_kind
    from adaptxfer.training.checkpoint import Checkpointing
    from adaptxfer.training.settings import TrainSettings
    from adaptxfer.training.task import train_mixture

    backbone = load_backbone("e5-small")
    assembly = Assembly.create(backbone, "peft")
    assembly.backend.add("adapter", MethodConfig(), seed=0)
    assembly.train_alone("adapter")
    settings = TrainSettings(max_steps=4, batch_size=4, max_length=48, precision="fp32")
    members = []
    for member in (Member("bible-para-en"), Member("mlm", "de")):
        spec = member_spec(member)
        kind = get_kind(spec.kind)
        data = load_split(spec, spec.train_language, "train", max_examples=16)
        features = kind.featurize(spec, data, backbone.tokenizer, 48, train=True)
        members.append((task_model(spec, assembly, 0, f"head:{spec.name}"), kind, features))
    train_mixture(
        members,
        backbone.tokenizer,
        settings,
        [0.5, 0.5],
        seed=0,
        callbacks=callbacks,
        checkpoints=Checkpointing(folder, 2, "mixture"),
    )
    return {
        name: p.detach().clone()
        for i, (model, _, _) in enumerate(members)
        for name, p in model.named_parameters(prefix=str(i))
        if p.requires_grad
    }


def test_a_stopped_multitask_training_resumes_to_the_weights_of_an_uninterrupted_one(
    tmp_path: Path,
) -> None:
    with pytest.raises(KeyboardInterrupt):
        _mixture_training(tmp_path / "stopped", callbacks=[_StopAfter(3)])  # saved at 2
    assert (tmp_path / "stopped" / "step-00000002").is_dir()
    resumed = _mixture_training(tmp_path / "stopped")
    whole = _mixture_training(tmp_path / "whole")
    assert resumed.keys() == whole.keys() and any("lora" in k for k in whole)
    assert any("bias" in k and "1.head" in k for k in whole)  # the masked-LM head trained
    for name, weight in whole.items():
        assert torch.equal(resumed[name], weight), name


@pytest.mark.slow
def test_a_run_with_a_german_intermediate_and_a_mixture_writes_both_dev_scores(
    tmp_path: Path,
) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        "intermediate:\n"
        "  tasks: [bible-para-x@de, bible-para-en+mlm@de]\n"
        "  train: {max_steps: 6}\n"
        "target: {task: bible-para-x, train: {max_steps: 4, max_train_examples: 64}}\n"
        "languages: [de, fr]\n"
        "train: {batch_size: 8, max_length: 64, dev_examples: 40}\n"
        "eval: {max_examples: 40}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "adaptxfer.cli", "run", str(recipe), "-o", str(out)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    arm = next(o for o in results["outcomes"] if o["arm"] == "sequential")
    ((chain, metrics),) = arm["intermediates"].items()
    assert chain == "bible-para-x@de > bible-para-en+mlm@de"
    dev = metrics["dev"]
    assert {"bible-para-en/accuracy", "mlm@de/masked_accuracy"} <= set(dev)
    assert "bible-para-x@de > bible-para-en+mlm@de" in (out / "results.md").read_text("utf-8")


# -- masked-LM on Wikipedia ---------------------------------------------------------------
def _articles(folder: Path, n: int) -> Path:
    path = folder / "mlm-wiki" / "de" / "articles.jsonl"
    path.parent.mkdir(parents=True)
    rows = [
        {"id": str(i), "title": f"A{i}", "text": f"Artikel {i} erster Absatz, lang genug um zu zählen.\n"
         f"kurz\nArtikel {i} zweiter Absatz mit genug Zeichen für das Training."}
        for i in range(n)
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    return path


def test_wikipedia_masked_lm_splits_by_article_and_reads_local_articles(tmp_path: Path) -> None:
    _articles(tmp_path, 120)
    spec = member_spec(parse_unit("mlm-wiki@de").members[0])
    assert (spec.name, spec.kind, spec.train_language) == ("mlm-wiki@de", "masked_lm", "de")
    train = load_split(spec, "de", "train", data_dir=tmp_path, max_examples=10)["text"]
    dev = load_split(spec, "de", "dev", data_dir=tmp_path)["text"]
    assert len(train) == 10 and all(len(t) >= 40 for t in train)  # "kurz" is dropped
    assert train[:2] == [
        "Artikel 1 erster Absatz, lang genug um zu zählen.",
        "Artikel 1 zweiter Absatz mit genug Zeichen für das Training.",
    ]  # article 0 is dev
    assert {t.split()[1] for t in dev} == {"0", "50", "100"}  # every 50th article
    assert set(train).isdisjoint(dev)
    assert unit_problem("mlm-wiki", all_tasks()) is not None
    assert unit_problem("bible-para-en+mlm-wiki@de", all_tasks()) is None


def test_wikipedia_masked_lm_without_the_hub_names_the_local_file(tmp_path: Path) -> None:
    from adaptxfer.errors import MissingAssetError

    spec = member_spec(parse_unit("mlm-wiki@de").members[0])
    with pytest.raises(MissingAssetError, match=r"mlm-wiki/de/articles\.jsonl"):
        load_split(spec, "de", "train", data_dir=tmp_path, max_examples=5)


def test_masked_lm_units_refuse_a_pruned_vocabulary() -> None:
    recipe = _recipe(["bible-para-en+mlm@de"], prune_vocab=True)
    ((where, message),) = recipe.problems()
    assert where == ("prune_vocab",) and "predicts over the whole vocabulary" in message
    assert _recipe(["bible-para-en+pos-en"], prune_vocab=True).problems() == []
