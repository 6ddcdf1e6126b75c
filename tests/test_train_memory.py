"""Memory levers of training: gradient checkpointing (same result, layers recomputed in
the backward) and the 8-bit AdamW optimisers (bitsandbytes, on CPU), with their place in
store keys and recipe validation. Runs the real default backbone on Bible verses."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from adaptxfer.arms import intermediate_spec
from adaptxfer.backbones import load_backbone
from adaptxfer.errors import RecipeError
from adaptxfer.methods import MethodConfig, backend_library, create_backend
from adaptxfer.recipes.loading import load_recipe
from adaptxfer.store import content_key
from adaptxfer.training.activation_memory import gradient_checkpointing, transformer_of
from adaptxfer.training.loop import LoopSettings, ParamGroup, fit
from adaptxfer.training.optimizers import make_optimizer
from adaptxfer.training.settings import TrainSettings

RECIPE = Path(__file__).resolve().parents[1] / "recipes/bible/para-en_to_para-x.yaml"
TEXTS = [
    "In the beginning God created the heaven and the earth.",
    "Au commencement, Dieu créa les cieux et la terre.",
    "Im Anfang schuf Gott Himmel und Erde.",
    "And the earth was without form, and void.",
]


@pytest.fixture(scope="module")
def e5():
    return load_backbone("e5-small")


def loss_and_grads(backend, batch, *, checkpointing: bool) -> tuple[float, dict, int]:
    """One train-mode forward/backward (dropout on, seeded); the loss, the adapter's
    gradients and how many times layer 0 ran forward."""
    encoder = backend.encoder
    layer = transformer_of(encoder).encoder.layer[0]
    calls = []
    hook = layer.register_forward_pre_hook(lambda *_: calls.append(1))  # runs again in a recompute
    encoder.train()
    try:
        with gradient_checkpointing(encoder, checkpointing):
            assert transformer_of(encoder).is_gradient_checkpointing is checkpointing
            torch.manual_seed(0)
            hidden = encoder(**batch).last_hidden_state
            loss = hidden.pow(2).mean()
            for param in encoder.parameters():
                param.grad = None
            loss.backward()
    finally:
        hook.remove()
        encoder.eval()
    assert not transformer_of(encoder).is_gradient_checkpointing  # left as found
    grads = {n: p.grad.clone() for n, p in backend.parameters_of("task")}
    return loss.item(), grads, len(calls)


@pytest.mark.parametrize("name", ["lora", "seq_bn"])
def test_gradient_checkpointing_recomputes_and_changes_nothing(e5, name):
    method = MethodConfig(name=name)
    backend = create_backend(load_backbone("e5-small").model, backend_library(method))
    backend.add("task", method, seed=0)
    backend.set_trainable(["task"])
    with torch.no_grad():  # LoRA starts as a no-op: give it weight so grads reach both
        for _, param in backend.parameters_of("task"):
            param.add_(0.01 * torch.randn_like(param))
    batch = dict(e5.tokenizer(TEXTS, padding=True, return_tensors="pt"))
    plain_loss, plain_grads, plain_calls = loss_and_grads(backend, batch, checkpointing=False)
    loss, grads, calls = loss_and_grads(backend, batch, checkpointing=True)
    assert (plain_calls, calls) == (1, 2)  # recomputed in the backward
    assert loss == pytest.approx(plain_loss, rel=1e-6)
    assert grads.keys() == plain_grads.keys() and grads
    for key, grad in grads.items():
        assert grad.abs().sum() > 0, key
        assert torch.allclose(grad, plain_grads[key], rtol=1e-4, atol=1e-7), key


def test_gradient_checkpointing_stays_out_of_the_key_and_the_optimizer_is_in_it():
    chain = ("bible-para-en",)

    def key(*overrides: str) -> str:
        return content_key(intermediate_spec(load_recipe(RECIPE, list(overrides)), chain, 0))

    plain = key()
    assert plain == "3f65f0ca99d350608b6d"  # the key before these settings existed
    assert key("train.gradient_checkpointing=true") == plain
    assert key("train.optimizer=adamw") == plain
    assert (
        len({plain, key("train.optimizer=adamw_8bit"), key("train.optimizer=paged_adamw_8bit")})
        == 3
    )
    assert "gradient_checkpointing" not in TrainSettings(gradient_checkpointing=True).determining()


def test_an_unknown_optimizer_is_a_recipe_error_naming_the_key():
    with pytest.raises(RecipeError) as caught:
        load_recipe(RECIPE, ["train.optimizer=sgd"])
    message = str(caught.value)
    assert "optimizer" in message and "adamw_8bit" in message


def _regression(optimizer: str, steps: int = 40) -> tuple[list[float], torch.optim.Optimizer]:
    torch.manual_seed(0)
    weight = torch.nn.Parameter(torch.zeros(64, 128))  # 8,192 elements: 8-bit moments
    inputs, target = torch.randn(256, 128), torch.randn(64, 128)
    goal = inputs @ target.T
    batches = iter(lambda: {"input_ids": inputs}, None)
    settings = LoopSettings(
        max_steps=steps, warmup_ratio=0.0, max_grad_norm=10.0, loss_every=5, optimizer=optimizer
    )
    holder = torch.nn.Module()
    holder.weight = weight
    seen: list[torch.optim.Optimizer] = []

    from adaptxfer.training.loop import TrainCallback

    class Grab(TrainCallback):
        def on_train_start(self, state):
            seen.append(state.optimizer)

    report = fit(
        [ParamGroup([weight], 0.05)],
        batches,
        lambda batch: torch.nn.functional.mse_loss(batch["input_ids"] @ weight.T, goal),
        settings,
        device=torch.device("cpu"),
        modules=[holder],
        callbacks=[Grab()],
    )
    return report.losses, seen[0]


def test_8bit_adamw_trains_on_cpu_with_8bit_moments():
    losses, optimizer = _regression("adamw_8bit")
    assert losses[-1] < 0.5 * losses[0]
    (state,) = optimizer.state.values()
    assert state["state1"].dtype == torch.uint8 and state["state2"].dtype == torch.uint8
    reference, _ = _regression("adamw")
    assert losses[-1] == pytest.approx(reference[-1], rel=0.2)  # learns like AdamW


def test_paged_adamw_8bit_on_cpu_is_adamw_8bit():
    assert _regression("paged_adamw_8bit", 10)[0] == _regression("adamw_8bit", 10)[0]
    param = torch.nn.Parameter(torch.zeros(8))
    cpu = make_optimizer(
        "paged_adamw_8bit", [{"params": [param], "lr": 0.1}], weight_decay=0.0,
        device=torch.device("cpu"),
    )  # fmt: skip
    assert type(cpu).__name__ == "AdamW8bit"


def test_an_8bit_optimizer_resumes_from_a_step_checkpoint_as_if_never_stopped(tmp_path):
    """The 8-bit moments, their scales and quantisation maps go into step checkpoints."""
    import signal

    from adaptxfer import interrupts
    from adaptxfer.training.checkpoint import Checkpointing
    from test_checkpoint import _SignalAt

    settings = LoopSettings(max_steps=8, warmup_ratio=0.0, max_grad_norm=10.0,
                            optimizer="adamw_8bit")  # fmt: skip

    def run(folder: Path, callbacks=()) -> torch.Tensor:
        torch.manual_seed(0)
        weight = torch.nn.Parameter(torch.zeros(64, 128))  # 8,192 elements: 8-bit moments
        holder = torch.nn.Module()
        holder.weight = weight
        generator = torch.Generator().manual_seed(1)
        inputs, target = torch.randn(64, 128, generator=generator), torch.randn(64, 128)

        def stream():
            step = 0
            while True:
                step += 1
                yield {"input_ids": inputs.roll(step, 0)}

        fit([ParamGroup([weight], 0.05)], stream(),
            lambda b: torch.nn.functional.mse_loss(b["input_ids"] @ weight.T, b["input_ids"] @ target.T),
            settings, device=torch.device("cpu"), modules=[holder], callbacks=callbacks,
            checkpoints=Checkpointing(folder, None, "8bit"))  # fmt: skip
        return weight.detach().clone()

    with pytest.raises(interrupts.Interrupted):
        run(tmp_path / "stopped", [_SignalAt(5, signal.SIGINT)])
    assert torch.equal(run(tmp_path / "stopped"), run(tmp_path / "whole"))


@pytest.mark.parametrize("name", ["lora", "seq_bn"])
def test_a_training_run_with_checkpointing_is_the_same_run(name):
    """Through the task loop (dropout on, 3 steps): the same loss curve and weights."""
    from adaptxfer.compose.assemble import Assembly
    from adaptxfer.tasks.kinds import get_kind
    from adaptxfer.training.task import train
    from test_compose import FEW_STEPS, features, make_tiny_backbone, task_model

    method = MethodConfig(name=name)
    runs = []
    for enabled in (False, True):
        backbone = load_backbone(str(make_tiny_backbone()))
        assembly = Assembly.create(backbone, backend_library(method))
        assembly.backend.add("adapter", method, seed=0)
        assembly.train_alone("adapter")
        model = task_model(assembly, 0)
        settings = FEW_STEPS.model_copy(update={"max_steps": 3, "gradient_checkpointing": enabled})
        data = features(backbone.tokenizer, "bible-para-en", "en", n=24)
        report = train(
            model, get_kind("classification"), data, backbone.tokenizer, settings, seed=0
        )
        assert not transformer_of(assembly.encoder).is_gradient_checkpointing
        runs.append(
            (
                report.losses,
                [p.detach().clone() for _, p in assembly.backend.parameters_of("adapter")],
            )
        )
    (plain_losses, plain_weights), (losses, weights) = runs
    assert losses == pytest.approx(plain_losses, rel=1e-5)
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(weights, plain_weights, strict=True))
