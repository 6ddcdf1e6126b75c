"""Training on the real default backbone learns the task: the intermediate phase on a
slice of ``bible-para-en`` reaches dev accuracy far above chance (50 %)."""

from __future__ import annotations

from pathlib import Path

from adaptxfer.artifacts import Manifest
from adaptxfer.experiment import intermediate_artifact
from adaptxfer.recipes.schema import Recipe
from adaptxfer.store import AdapterStore


def test_intermediate_lora_learns_english_paraphrase(tmp_path: Path) -> None:
    recipe = Recipe.model_validate(
        {
            "intermediate": {"tasks": ["bible-para-en"], "train": {"max_steps": 70}},
            "target": "bible-para-x",
            "method": {"name": "lora", "lora": {"r": 8, "target_modules": ["query", "value"]}},
            "train": {"lr": 1e-3, "batch_size": 16, "max_length": 96, "dev_examples": 200},
        }
    )
    store = AdapterStore(tmp_path / "store")
    artifact = intermediate_artifact(recipe, ("bible-para-en",), 0, store)
    dev = Manifest.read(artifact).metrics["dev"]
    assert dev["examples"] == 200
    assert dev["accuracy"] >= 75.0, dev
    # A second request for the same adapter reuses it: trained exactly once.
    assert intermediate_artifact(recipe, ("bible-para-en",), 0, store) == artifact
    assert len(store.trainings()) == 1
