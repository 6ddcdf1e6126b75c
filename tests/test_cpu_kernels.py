"""adaptxfer's CPU training kernels (``train.kernels: auto``): dropout masks from 16-bit
integers and the attention's training case as explicit products. They must draw the
same Bernoulli masks, compute what torch computes given a mask, replay under the same
seed, and leave the model and torch exactly as found."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional as F
from torch.profiler import ProfilerActivity, profile

from adaptxfer.backbones import load_backbone
from adaptxfer.errors import UnsupportedError
from adaptxfer.methods import MethodConfig, create_backend
from adaptxfer.training.cpu_kernels import (
    FastDropout,
    attention_with_fast_dropout,
    cpu_training_kernels,
    fast_dropout,
    keep_mask,
)
from adaptxfer.training.settings import TrainSettings
from test_compose import make_tiny_backbone
from test_xl_adapters import IDS, MASK

CPU = torch.device("cpu")


@pytest.mark.parametrize("p", [0.05, 0.1, 0.5])
def test_masks_drop_p_of_the_elements_and_replay_under_a_seed(p: float) -> None:
    shape = torch.Size([1001, 999])  # not a multiple of 4 elements
    torch.manual_seed(0)
    first = keep_mask(shape, p, CPU)
    torch.manual_seed(0)
    again = keep_mask(shape, p, CPU)
    other = keep_mask(shape, p, CPU)
    assert first.shape == shape and first.dtype == torch.bool
    assert torch.equal(first, again) and not torch.equal(first, other)
    n = shape.numel()
    dropped = float((~first).sum()) / n
    assert abs(dropped - p) < 5 * (p * (1 - p) / n) ** 0.5  # within 5 standard errors
    # no pattern across positions: each quarter of the 16-bit lanes drops alike
    lanes = (~first).flatten()[: n - n % 4].view(-1, 4).float().mean(0)
    assert torch.allclose(lanes, torch.full((4,), p), atol=0.01)


def test_dropout_scales_the_kept_elements_and_its_gradient_follows_the_mask() -> None:
    x = torch.full((64, 128), 2.0, requires_grad=True)
    torch.manual_seed(1)
    out = fast_dropout(x, 0.2)
    kept = out != 0
    assert torch.allclose(out[kept], torch.tensor(2.0 / 0.8))
    out.sum().backward()
    assert torch.allclose(x.grad, kept.float() / 0.8)
    assert fast_dropout(x, 0.0) is x
    assert torch.equal(fast_dropout(x, 1.0), torch.zeros_like(x))


def test_bf16_dropout_scales_by_exactly_one_over_one_minus_p() -> None:
    """Folding 1/0.9 into a bf16 mask would scale by 1.109 (0.16 % short) everywhere."""
    torch.manual_seed(0)
    x = torch.randn(1_000_000).bfloat16()
    out = fast_dropout(x, 0.1)
    kept = out != 0
    ratio = float(out[kept].float().abs().sum() / x[kept].float().abs().sum())
    assert ratio == pytest.approx(1 / 0.9, rel=3e-4)


def test_dropout_module_is_a_dropout_that_does_nothing_in_eval() -> None:
    module = FastDropout(0.3)
    assert isinstance(module, nn.Dropout) and module.p == 0.3
    x = torch.randn(8, 16)
    assert module.eval()(x) is x
    assert (module.train()(x) == 0).any()


def _reference_attention(q, k, v, mask, keep, p):
    scores = (q @ k.transpose(-2, -1)) / q.shape[-1] ** 0.5
    if mask is not None:
        scores = (
            scores.masked_fill(~mask, torch.finfo(q.dtype).min)
            if mask.dtype == torch.bool
            else scores + mask
        )
    probs = scores.softmax(-1) * keep / (1 - p)
    return probs @ v


@pytest.mark.parametrize("mask_kind", ["none", "additive", "bool"])
def test_training_attention_is_softmax_attention_with_the_drawn_mask(mask_kind: str) -> None:
    torch.manual_seed(0)
    q, k, v = (torch.randn(2, 4, 7, 16, requires_grad=True) for _ in range(3))
    padding = torch.tensor([[True] * 7, [True] * 5 + [False] * 2])[:, None, None, :]
    mask = {
        "none": None,
        "bool": padding.expand(2, 1, 7, 7),
        "additive": torch.where(padding, 0.0, torch.finfo(torch.float32).min).expand(2, 1, 7, 7),
    }[mask_kind]
    attention = attention_with_fast_dropout(F.scaled_dot_product_attention)
    torch.manual_seed(3)
    ours = attention(q, k, v, attn_mask=mask, dropout_p=0.1)
    torch.manual_seed(3)
    keep = keep_mask(torch.Size([2, 4, 7, 7]), 0.1, CPU)
    expected = _reference_attention(q, k, v, mask, keep, 0.1)
    assert torch.allclose(ours, expected, atol=1e-5)
    grads = torch.autograd.grad(ours.sum(), (q, k, v))
    expected_grads = torch.autograd.grad(expected.sum(), (q, k, v))
    assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(grads, expected_grads, strict=True))


def test_attention_dropout_is_unbiased() -> None:
    torch.manual_seed(0)
    q, k, v = (torch.randn(1, 2, 6, 8) for _ in range(3))
    attention = attention_with_fast_dropout(F.scaled_dot_product_attention)
    with torch.enable_grad():
        mean = torch.stack([attention(q, k, v, dropout_p=0.2) for _ in range(4000)]).mean(0)
    assert torch.allclose(mean, F.scaled_dot_product_attention(q, k, v), atol=0.05)


def test_every_other_attention_call_goes_to_torch() -> None:
    calls = []

    def original(*args, **kwargs):
        calls.append(kwargs)
        return F.scaled_dot_product_attention(*args, **kwargs)

    attention = attention_with_fast_dropout(original)
    q = torch.randn(1, 2, 5, 8)
    attention(q, q, q)  # no dropout
    attention(q, q, q, dropout_p=0.1, is_causal=True)
    with torch.no_grad():  # evaluation
        attention(q, q, q, dropout_p=0.1)
    assert [c["dropout_p"] for c in calls] == [0.0, 0.1, 0.1]
    with torch.enable_grad():
        attention(q, q, q, dropout_p=0.1)
    assert len(calls) == 3


def _counts(run) -> dict[str, int]:
    with profile(activities=[ProfilerActivity.CPU]) as trace:
        run()
    names = [event.name for event in trace.events()]
    return {
        op: names.count(op) for op in ("aten::bernoulli_", "aten::scaled_dot_product_attention")
    }


@pytest.mark.parametrize(("library", "method"), [("peft", "lora"), ("adapters", "seq_bn")])
def test_training_inside_the_context_uses_them_and_everything_is_put_back(
    library: str, method: str
) -> None:
    encoder = load_backbone(str(make_tiny_backbone())).model
    backend = create_backend(encoder, library)
    backend.add("task", MethodConfig(name=method), seed=0)
    backend.set_trainable(["task"])
    model = backend.encoder
    dropouts = {name: m for name, m in model.named_modules() if type(m) is nn.Dropout}
    original = F.scaled_dot_product_attention

    def training_step() -> None:
        model.train()
        model(input_ids=IDS, attention_mask=MASK).last_hidden_state.pow(2).mean().backward()

    def evaluation() -> None:
        model.eval()
        with torch.no_grad():
            model(input_ids=IDS, attention_mask=MASK)

    with cpu_training_kernels([model, model], CPU) as used:  # shared modules: swapped once
        assert used and F.scaled_dot_product_attention is not original
        assert not any(type(m) is nn.Dropout for m in model.modules())
        assert sum(isinstance(m, FastDropout) for m in model.modules()) == len(dropouts)
        assert _counts(training_step) == {
            "aten::bernoulli_": 0,
            "aten::scaled_dot_product_attention": 0,
        }
        assert _counts(evaluation)["aten::scaled_dot_product_attention"] == 2  # 2 layers
    assert F.scaled_dot_product_attention is original
    assert {n: m for n, m in model.named_modules() if type(m) is nn.Dropout} == dropouts
    assert _counts(training_step)["aten::bernoulli_"] > 0  # torch's own again

    with pytest.raises(RuntimeError, match="stop"), cpu_training_kernels([model], CPU):
        raise RuntimeError("stop")
    assert F.scaled_dot_product_attention is original
    assert {n: m for n, m in model.named_modules() if type(m) is nn.Dropout} == dropouts


def test_torch_kernels_or_another_device_change_nothing() -> None:
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.1))
    original = F.scaled_dot_product_attention
    for kernels, device in (("torch", CPU), ("auto", torch.device("cuda"))):
        with cpu_training_kernels([model], device, kernels) as used:
            assert not used and type(model[1]) is nn.Dropout
            assert F.scaled_dot_product_attention is original
    unknown = pytest.raises(UnsupportedError, match=r"train\.kernels: 'fast'")
    with unknown, cpu_training_kernels([model], CPU, "fast"):
        pass


def test_auto_kernels_stay_out_of_the_store_key() -> None:
    assert "kernels" not in TrainSettings().determining()
    assert TrainSettings(kernels="torch").determining()["kernels"] == "torch"
