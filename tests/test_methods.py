"""Adapter methods behind one interface: add, freeze, save and load the same way whichever
library (peft or adapters) serves the method. Runs a 2-layer XLM-R built in the test."""

from __future__ import annotations

import pytest
import torch

from adaptxfer.backbones import load_backbone
from adaptxfer.methods import METHOD_NAMES, MethodConfig, backend_library, create_backend
from adaptxfer.methods.lora_mixture import layer_group
from test_compose import make_tiny_backbone

IDS = torch.tensor([[0, 581, 10323, 111, 70, 6097, 2], [0, 35378, 4, 83, 2, 1, 1]])
MASK = (IDS != 1).long()


@pytest.fixture(scope="module")
def tiny() -> str:
    return str(make_tiny_backbone())


def encode(encoder) -> torch.Tensor:
    encoder.eval()
    with torch.no_grad():
        return encoder(input_ids=IDS, attention_mask=MASK).last_hidden_state


def method_variants() -> list[MethodConfig]:
    """Every method, and LoRA with DoRA."""
    dora = MethodConfig.model_validate({"name": "lora", "lora": {"use_dora": True}})
    return [*(MethodConfig(name=name) for name in METHOD_NAMES), dora]


@pytest.mark.parametrize("method", method_variants(), ids=[*METHOD_NAMES, "lora-dora"])
def test_method_adds_trains_alone_saves_and_reloads(tiny, tmp_path, method):
    library = backend_library(method)
    backend = create_backend(load_backbone(tiny).model, library)
    assert backend.library == library
    backend.add("task", method, seed=0)
    backend.set_trainable(["task"])
    own = {id(p) for _, p in backend.parameters_of("task")}
    assert own, "the adapter has parameters"
    trainable = {id(p) for p in backend.encoder.parameters() if p.requires_grad}
    assert trainable == own  # the backbone stays frozen
    with torch.no_grad():  # make the adapter non-trivial (LoRA starts as a no-op)
        for _, param in backend.parameters_of("task"):
            param.add_(0.02 * torch.randn_like(param))
    expected = encode(backend.encoder)
    backend.save("task", tmp_path / "task")
    assert list((tmp_path / "task").glob("*.safetensors"))

    fresh = create_backend(load_backbone(tiny).model, library)
    assert not torch.allclose(encode(fresh.encoder), expected)
    fresh.load("task", tmp_path / "task", method)
    fresh.activate(["task"])
    assert not any(p.requires_grad for p in fresh.encoder.parameters())
    assert torch.allclose(encode(fresh.encoder), expected, atol=1e-6)


def test_lora_settings_reach_peft(tiny):
    method = MethodConfig.model_validate(
        {"name": "lora", "lora": {"r": 4, "alpha": 8, "target_modules": ["query", "key", "dense"]}}
    )
    backend = create_backend(load_backbone(tiny).model, "peft")
    backend.add("task", method, seed=0)
    names = [n for n, _ in backend.parameters_of("task")]
    assert any(".key.lora_A." in n for n in names)
    assert any(".output.dense.lora_B." in n for n in names)
    shapes = {tuple(p.shape) for n, p in backend.parameters_of("task") if ".lora_A." in n}
    assert all(shape[0] == 4 for shape in shapes)


def test_bottleneck_size_follows_reduction_factor(tiny):
    sizes = {}
    for factor in (4, 16):
        method = MethodConfig.model_validate(
            {"name": "seq_bn", "seq_bn": {"reduction_factor": factor}}
        )
        backend = create_backend(load_backbone(tiny).model, "adapters")
        backend.add("task", method, seed=0)
        sizes[factor] = sum(p.numel() for _, p in backend.parameters_of("task"))
    assert sizes[4] > 3 * sizes[16]


def test_stacked_adapters_are_each_used(tiny):
    """activate() stacks adapters bottom to top in both libraries."""
    for method in (MethodConfig(name="lora"), MethodConfig(name="seq_bn")):
        backend = create_backend(load_backbone(tiny).model, backend_library(method))
        for name in ("lower", "upper"):
            backend.add(name, method, seed=0)
            with torch.no_grad():
                for _, param in backend.parameters_of(name):
                    param.add_(0.05 * torch.randn_like(param))
        backend.activate(["lower"])
        lower = encode(backend.encoder)
        backend.activate(["lower", "upper"])
        both = encode(backend.encoder)
        assert not torch.allclose(lower, both)


def test_layer_groups():
    assert layer_group("base_model.model.encoder.layer.11.attention.self.query") == "layer11"
    assert layer_group("pooler.dense") == "other"


# -- which methods a backbone's architecture can carry -------------------------------------
@pytest.fixture(scope="module")
def tiny_funnel(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A folder whose config.json names an architecture the adapters library cannot wrap
    (Funnel): validation reads only the config, so no weights are needed."""
    from transformers import FunnelConfig

    folder = tmp_path_factory.mktemp("tiny-funnel")
    FunnelConfig(vocab_size=1000, d_model=32, n_head=2).save_pretrained(str(folder))
    return str(folder)


def test_bottleneck_methods_on_an_unsupported_architecture_fail_before_loading(
    tiny_funnel: str, tmp_path
):
    import subprocess
    import sys
    from pathlib import Path

    from adaptxfer.errors import RecipeError
    from adaptxfer.recipes.loading import load_recipe

    recipe = tmp_path / "funnel.yaml"
    recipe.write_text(
        f"backbone: {tiny_funnel}\nmethod: seq_bn\nintermediate: bible-para-en\n"
        "target: bible-para-x\n",
        encoding="utf-8",
    )
    with pytest.raises(RecipeError) as caught:
        load_recipe(recipe)
    assert "method.name: method 'seq_bn': the backbone's architecture 'funnel'" in str(caught.value)
    assert "use method lora" in str(caught.value)
    load_recipe(recipe, ["method.name=lora"])  # peft LoRA wraps any architecture
    # XLM-R XL / XXL carry bottleneck adapters through our plugin interface
    load_recipe(recipe, ["backbone=xlm-roberta-xxl"])

    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-m", "adaptxfer.cli", "run", str(recipe), "-o", str(tmp_path / "r")],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert "'funnel'" in done.stderr and "Traceback" not in done.stderr


def test_backends_implement_exactly_the_capabilities_of_their_library(tiny):
    """The capability table that recipe validation reads is what the backends can do."""
    from adaptxfer.methods import BACKENDS
    from adaptxfer.methods.capabilities import CAPABILITIES

    assert set(BACKENDS) == set(CAPABILITIES)
    for library in BACKENDS:
        backend = create_backend(load_backbone(tiny).model, library)
        assert backend.library == library
        assert backend.capabilities() == CAPABILITIES[library]


def test_a_missing_capability_is_refused_with_its_reason(tiny):
    from adaptxfer.errors import UnsupportedError
    from adaptxfer.methods.backend import HoldsLanguageAdapters, Merging, require

    peft = create_backend(load_backbone(tiny).model, "peft")
    assert require(peft, Merging) is peft
    with pytest.raises(UnsupportedError, match="peft backend cannot hold MAD-X language"):
        require(peft, HoldsLanguageAdapters)
    bottleneck = create_backend(load_backbone(tiny).model, "adapters")
    with pytest.raises(UnsupportedError, match="adapters backend cannot merge adapters: bottle"):
        require(bottleneck, Merging)
