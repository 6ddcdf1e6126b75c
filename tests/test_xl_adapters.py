"""Bottleneck adapters on XLM-R XL/XXL (model type ``xlm-roberta-xl``) through adaptxfer's
plugin interface for the adapters library, on a random 2-layer XL built in the test."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from adaptxfer.backbones import load_backbone
from adaptxfer.methods import MethodConfig, create_backend
from adaptxfer.methods.backend import FUSION
from adaptxfer.methods.support import adapters_library_problem, method_backbone_problem
from test_compose import make_tiny_backbone

XL_SHAPE = {
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 64,
    "max_position_embeddings": 130,
    "pad_token_id": 1,
    "bos_token_id": 0,
    "eos_token_id": 2,
}
IDS = torch.tensor([[0, 581, 10323, 111, 70, 6097, 2], [0, 35378, 4, 83, 2, 1, 1]])
MASK = (IDS != 1).long()
BOTTLENECKS = ("seq_bn", "double_seq_bn", "par_bn")


@pytest.fixture(scope="module")
def tiny_xl(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A random (seed 0) 2 x 32 XLM-R XL with the default backbone's tokenizer and vocab."""
    from transformers import XLMRobertaXLConfig, XLMRobertaXLModel

    tiny = make_tiny_backbone()
    folder = tmp_path_factory.mktemp("tiny-xl")
    config = XLMRobertaXLConfig(vocab_size=250002, **XL_SHAPE)
    torch.manual_seed(0)
    XLMRobertaXLModel(config, add_pooling_layer=False).save_pretrained(str(folder))
    for path in tiny.iterdir():
        if path.name.startswith(("tokenizer", "special_tokens", "sentencepiece")):
            shutil.copy(path, folder / path.name)
    return str(folder)


def encode(encoder: torch.nn.Module) -> torch.Tensor:
    encoder.eval()
    with torch.no_grad():
        return encoder(input_ids=IDS, attention_mask=MASK).last_hidden_state


def test_the_xl_architecture_is_no_longer_refused():
    for name in BOTTLENECKS:
        assert method_backbone_problem(MethodConfig(name=name), "xlm-roberta-xl") is None
    # an architecture neither built into adapters nor described by us is still refused
    problem = adapters_library_problem("funnel")
    assert problem is not None and "use method lora" in problem


@pytest.mark.parametrize("name", BOTTLENECKS)
def test_bottleneck_on_xl_trains_only_itself_learns_and_round_trips(tiny_xl, tmp_path, name):
    method = MethodConfig(name=name)
    backend = create_backend(load_backbone(tiny_xl).model, "adapters")
    before = encode(backend.encoder)
    backend.add("task", method, seed=0)
    backend.set_trainable(["task"])
    own = {id(p) for _, p in backend.parameters_of("task")}
    assert own
    assert {id(p) for p in backend.encoder.parameters() if p.requires_grad} == own

    # a few steps towards a fixed random target: the loss falls, the backbone stays put
    frozen = {n: p.detach().clone() for n, p in backend.encoder.named_parameters()}
    torch.manual_seed(1)
    goal = torch.randn_like(before)
    params = [p for _, p in backend.parameters_of("task")]
    optimiser = torch.optim.AdamW(params, lr=1e-2)
    backend.encoder.train()
    losses = []
    for _ in range(8):
        out = backend.encoder(input_ids=IDS, attention_mask=MASK).last_hidden_state
        loss = torch.nn.functional.mse_loss(out, goal)
        optimiser.zero_grad()
        loss.backward()
        assert all(p.grad is not None for p in params)
        optimiser.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    for param_name, param in backend.encoder.named_parameters():
        if id(param) not in own:
            assert torch.equal(param, frozen[param_name]), param_name

    expected = encode(backend.encoder)
    assert not torch.allclose(expected, before)
    backend.save("task", tmp_path / "task")
    assert (tmp_path / "task" / "adapter_interface.json").is_file()
    fresh = create_backend(load_backbone(tiny_xl).model, "adapters")
    fresh.load("task", tmp_path / "task", method)
    fresh.activate(["task"])
    assert torch.equal(encode(fresh.encoder), expected)


def test_stack_and_fuse_on_xl(tiny_xl):
    """Stack of any bottlenecks; Fuse among adapters of one placement, as on XLM-R."""
    backend = create_backend(load_backbone(tiny_xl).model, "adapters")
    for name in ("lower", "upper"):
        backend.add(name, MethodConfig(name="seq_bn"), seed=0)
        with torch.no_grad():
            for _, param in backend.parameters_of(name):
                param.add_(0.05 * torch.randn_like(param))
    backend.activate(["lower"])
    lower = encode(backend.encoder)
    backend.activate(["lower", "upper"])
    assert not torch.allclose(encode(backend.encoder), lower)
    backend.fuse(["lower"], "upper", 1.0, seed=0)
    backend.encoder.train()
    out = backend.encoder(input_ids=IDS, attention_mask=MASK).last_hidden_state
    out.pow(2).mean().backward()
    fusion = [p for _, p in backend.parameters_of(FUSION)]
    assert fusion and any(p.grad is not None and p.grad.abs().sum() > 0 for p in fusion)


def test_recipe_with_seq_bn_and_fuse_runs_on_a_local_xl(tiny_xl, tmp_path):
    """The whole run (intermediate, fusion, zero-shot evaluation) on the tiny XL folder."""
    recipe = tmp_path / "xl.yaml"
    recipe.write_text(
        f"backbone: {tiny_xl}\nmethod: seq_bn\nintermediate: {{tasks: [bible-para-en]}}\n"
        "target: bible-para-x\ncomposition: fuse\nlanguages: [de]\n"
        "train: {max_steps: 2, batch_size: 4, max_length: 32, dev_examples: 8}\n"
        "eval: {max_examples: 8}\n",
        encoding="utf-8",
    )
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "ADAPTXFER_PROGRESS": "0", "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "adaptxfer.cli", "run", str(recipe), "-o", str(tmp_path / "r")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads((tmp_path / "r" / "results.json").read_text(encoding="utf-8"))
    assert "fuse" in result["arms"]
    assert all(0.0 <= o["scores"]["de"]["accuracy"] <= 100.0 for o in result["outcomes"])


def test_madx_language_adapter_stacks_under_a_task_adapter_on_xl(tiny_xl, tmp_path):
    """MAD-X's pieces: an invertible language adapter (embeddings hooked), its inverse for
    the MLM head, and a task adapter stacked on it; the language adapter round-trips."""
    import adapters

    from adaptxfer.language_adapters.training import ensure_adapters

    model = load_backbone(tiny_xl).model
    ensure_adapters(model)
    ensure_adapters(model)  # idempotent: no second set of hooks
    model.add_adapter("de", config=adapters.SeqBnInvConfig(reduction_factor=4))
    with torch.no_grad():
        for param_name, param in model.named_parameters():
            if ".de." in param_name:
                param.add_(0.05 * torch.randn_like(param))
    assert any("invertible_adapters.de." in n for n, _ in model.named_parameters())
    model.set_active_adapters("de")
    hidden = torch.randn(2, 5, XL_SHAPE["hidden_size"])
    inverse = model.invertible_adapters_forward
    assert torch.allclose(inverse(inverse(hidden), rev=True), hidden, atol=1e-5)
    language_only = encode(model)
    model.save_adapter(str(tmp_path / "de"), "de", use_safetensors=True)

    backend = create_backend(load_backbone(tiny_xl).model, "adapters")
    backend.add_language("de", tmp_path / "de", None)
    backend.activate(["de"])
    assert torch.equal(encode(backend.encoder), language_only)
    backend.add("task", MethodConfig(name="seq_bn"), seed=0)
    with torch.no_grad():
        for _, param in backend.parameters_of("task"):
            param.add_(0.05 * torch.randn_like(param))
    backend.activate(["de", "task"])
    assert not torch.allclose(encode(backend.encoder), language_only)


def test_gradient_checkpointing_on_xl_recomputes_and_changes_nothing(tiny_xl):
    """transformers 4.57's XL model does not declare checkpointing support though its
    layers implement it; adaptxfer enables it, and the gradients stay the same."""
    from adaptxfer.training.activation_memory import gradient_checkpointing, transformer_of

    backend = create_backend(load_backbone(tiny_xl).model, "adapters")
    backend.add("task", MethodConfig(name="seq_bn"), seed=0)
    backend.set_trainable(["task"])
    layer = transformer_of(backend.encoder).encoder.layer[0]
    results = []
    for enabled in (False, True):
        calls: list[int] = []
        hook = layer.register_forward_pre_hook(lambda *_, seen=calls: seen.append(1))
        backend.encoder.train()
        with gradient_checkpointing(backend.encoder, enabled):
            torch.manual_seed(0)
            out = backend.encoder(input_ids=IDS, attention_mask=MASK).last_hidden_state
            for _, param in backend.parameters_of("task"):
                param.grad = None
            out.pow(2).mean().backward()
        hook.remove()
        grads = [p.grad.clone() for _, p in backend.parameters_of("task")]
        results.append((out.detach(), grads, len(calls)))
    (plain, plain_grads, plain_calls), (out, grads, calls) = results
    assert (plain_calls, calls) == (1, 2)
    assert torch.allclose(out, plain, atol=1e-6)
    assert all(
        torch.allclose(a, b, rtol=1e-4, atol=1e-7) for a, b in zip(grads, plain_grads, strict=True)
    )


def test_plain_adapters_load_an_xl_adapter_through_its_saved_interface(tiny_xl, tmp_path):
    """What the Hub card tells adapters users: the interface saved beside the adapter is
    enough, without adaptxfer."""
    import adapters
    from transformers import AutoModel

    from adaptxfer.hub.card import _needs_interface

    assert _needs_interface("xlm-roberta-xxl") and _needs_interface(tiny_xl)
    assert not _needs_interface("e5-small")
    backend = create_backend(load_backbone(tiny_xl).model, "adapters")
    backend.add("task", MethodConfig(name="seq_bn"), seed=0)
    with torch.no_grad():
        for _, param in backend.parameters_of("task"):
            param.add_(0.05 * torch.randn_like(param))
    expected = encode(backend.encoder)
    backend.save("task", tmp_path / "task")

    spec = json.loads((tmp_path / "task" / "adapter_interface.json").read_text())
    model = AutoModel.from_pretrained(tiny_xl, add_pooling_layer=False)
    adapters.init(model, interface=adapters.AdapterModelInterface(**spec["interface"]))
    name = model.load_adapter(str(tmp_path / "task"), use_safetensors=True)
    model.set_active_adapters(name)
    assert torch.allclose(encode(model), expected, atol=1e-6)
