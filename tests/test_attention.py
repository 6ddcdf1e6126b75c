"""Which attention kernel runs: PyTorch's fused ``scaled_dot_product_attention`` (SDPA) in
every layer, whichever adapter library wraps the encoder (peft LoRA, adapters' built-in
XLM-R support, adaptxfer's plugin interface for XL), in training and in evaluation.

A library that swapped in its own attention, or a flag that makes transformers fall back
to the eager implementation (``output_attentions``, ``head_mask``), would silently cost
the speed and memory of the fused kernel; these tests fail when that happens. (While
training on a CPU, adaptxfer computes the dropout case itself, faster than torch's CPU
fallback: tests/test_cpu_kernels.py; evaluation and CUDA keep SDPA.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from torch.profiler import ProfilerActivity, profile

from adaptxfer.backbones import load_backbone
from adaptxfer.methods import MethodConfig, create_backend
from test_compose import make_tiny_backbone
from test_xl_adapters import IDS, MASK, XL_SHAPE

SDPA_OP = "aten::scaled_dot_product_attention"


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The tiny random XLM-R (2 layers) and a tiny random XLM-R XL (2 layers)."""
    from transformers import XLMRobertaXLConfig, XLMRobertaXLModel

    tiny = make_tiny_backbone()
    xl = tmp_path_factory.mktemp("tiny-xl-attention")
    torch.manual_seed(0)
    XLMRobertaXLModel(
        XLMRobertaXLConfig(vocab_size=250002, **XL_SHAPE), add_pooling_layer=False
    ).save_pretrained(str(xl))
    for path in Path(tiny).iterdir():
        if path.name.startswith(("tokenizer", "special_tokens", "sentencepiece")):
            shutil.copy(path, xl / path.name)
    return {"xlm-roberta": str(tiny), "xlm-roberta-xl": str(xl)}


def sdpa_calls(run) -> int:
    with profile(activities=[ProfilerActivity.CPU]) as trace:
        run()
    return sum(event.name == SDPA_OP for event in trace.events())


@pytest.mark.parametrize(
    ("architecture", "library", "method"),
    [
        ("xlm-roberta", "peft", "lora"),
        ("xlm-roberta", "adapters", "seq_bn"),
        ("xlm-roberta-xl", "peft", "lora"),
        ("xlm-roberta-xl", "adapters", "seq_bn"),
    ],
)
def test_every_layer_runs_fused_attention_in_training_and_evaluation(
    folders: dict[str, str], architecture: str, library: str, method: str
) -> None:
    loaded = load_backbone(folders[architecture])
    assert loaded.model.config._attn_implementation == "sdpa"
    backend = create_backend(loaded.model, library)
    backend.add("task", MethodConfig(name=method), seed=0)
    backend.set_trainable(["task"])
    encoder = backend.encoder

    def training_step() -> None:
        encoder.train()
        hidden = encoder(input_ids=IDS, attention_mask=MASK).last_hidden_state
        hidden.float().pow(2).mean().backward()

    def evaluation_with_all_layers() -> None:  # what middle-layer retrieval asks for
        encoder.eval()
        with torch.no_grad():
            encoder(input_ids=IDS, attention_mask=MASK, output_hidden_states=True)

    layers = loaded.num_layers
    assert sdpa_calls(training_step) == layers
    assert sdpa_calls(evaluation_with_all_layers) == layers
    assert any(p.grad is not None for _, p in backend.parameters_of("task"))


def test_asking_for_attention_weights_is_what_falls_back(folders: dict[str, str]) -> None:
    """The counter itself can see a fallback: with ``output_attentions`` no layer uses SDPA."""
    encoder = load_backbone(folders["xlm-roberta"]).model

    def with_attentions() -> None:
        with torch.no_grad():
            encoder(input_ids=IDS, attention_mask=MASK, output_attentions=True)

    assert sdpa_calls(with_attentions) == 0
