"""Artifacts: one self-describing folder (manifest JSON + safetensors) per trained model.

Reload of every composition with identical predictions is tested in test_compose.py;
here: the manifest format, its errors, and what a saved folder holds."""

from __future__ import annotations

import json

import pytest
import torch

from adaptxfer.artifacts import (
    MANIFEST,
    AdapterEntry,
    Manifest,
    adapter_entries,
    is_artifact,
    load_artifact,
    save_artifact,
)
from adaptxfer.backbones import load_backbone
from adaptxfer.compose.assemble import Assembly
from adaptxfer.errors import UserError
from adaptxfer.methods import MethodConfig
from adaptxfer.tasks.heads import build_head
from test_compose import make_tiny_backbone


def manifest(**changes) -> Manifest:
    fields = {
        "backbone": "e5-small",
        "quantization": "none",
        "task": "bible-para-x",
        "kind": "classification",
        "library": "peft",
        "adapters": [AdapterEntry("target", MethodConfig().model_dump(), "adapters/target")],
        "composition": {"name": "none", "active": ["target"], "trainable": ["target"]},
        "head": {"type": "sequence", "hidden_size": 64, "num_labels": 2},
    }
    return Manifest(**{**fields, **changes})


def test_manifest_round_trips(tmp_path):
    written = manifest(metrics={"dev": {"accuracy": 61.0}})
    (tmp_path / MANIFEST).write_text(written.to_json(), encoding="utf-8")
    assert is_artifact(tmp_path)
    assert Manifest.read(tmp_path) == written


def test_old_manifests_without_roles_read_as_task_adapters(tmp_path):
    data = json.loads(manifest().to_json())
    del data["adapters"][0]["role"]
    (tmp_path / MANIFEST).write_text(json.dumps(data), encoding="utf-8")
    assert Manifest.read(tmp_path).adapters[0].role == "task"


def test_not_an_artifact_names_the_folder(tmp_path):
    assert not is_artifact(tmp_path)
    with pytest.raises(UserError, match=str(tmp_path)):
        Manifest.read(tmp_path)
    data = json.loads(manifest().to_json())
    (tmp_path / MANIFEST).write_text(json.dumps({**data, "format": "other/v9"}), encoding="utf-8")
    with pytest.raises(UserError, match="other/v9"):
        Manifest.read(tmp_path)


def test_saved_folder_holds_adapters_head_and_languages(tmp_path):
    import adapters

    backbone = str(make_tiny_backbone())
    model = load_backbone(backbone).model
    adapters.init(model)
    model.add_adapter("de", config=adapters.SeqBnInvConfig(reduction_factor=4))
    model.save_adapter(str(tmp_path / "lang-de"), "de", use_safetensors=True)

    method = MethodConfig(name="seq_bn")
    assembly = Assembly.create(load_backbone(backbone), "adapters")
    assembly.add_language("de", tmp_path / "lang-de")
    assembly.backend.add("target", method, seed=0)
    head_config = {"type": "sequence", "hidden_size": 64, "num_labels": 2}
    head = build_head(head_config)
    entries = adapter_entries(assembly)
    assert [(e.name, e.role, e.path) for e in entries] == [
        ("target", "task", "adapters/target"),
        ("lang_de", "language", "languages/de"),
    ]
    out = save_artifact(
        tmp_path / "artifact",
        assembly,
        head,
        manifest(backbone=backbone, library="adapters", adapters=entries, head=head_config),
    )
    assert (out / "head.safetensors").exists()
    assert list((out / "adapters" / "target").glob("*.safetensors"))
    assert list((out / "languages" / "de").glob("*.safetensors"))
    assert not (out / "composition.safetensors").exists()
    loaded = load_artifact(out)
    assert loaded.assembly.languages() == {"de": "lang_de"}
    for name, value in head.state_dict().items():
        assert torch.equal(loaded.model.head.state_dict()[name], value)
