"""``train.precision`` / ``eval.precision``: the decision from hardware facts (any machine
can check every branch), validation of user input, store keys, and that bf16 really is
what the loop computes in where the hardware has it."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from adaptxfer.arms import intermediate_spec
from adaptxfer.errors import RecipeError, UserError
from adaptxfer.recipes.loading import load_recipe
from adaptxfer.store import content_key
from adaptxfer.training.loop import LoopSettings, ParamGroup, fit
from adaptxfer.training.precision import (
    HardwareFacts,
    choose_precision,
    cpu_flags,
    parse_cpu_flags,
    resolve_precision,
)

RECIPE = Path(__file__).resolve().parents[1] / "recipes/bible/para-en_to_para-x.yaml"
EPYC_BF16 = frozenset({"avx2", "avx512f", "avx512_bf16"})  # Zen 4
SAPPHIRE_RAPIDS = frozenset({"avx2", "avx512f", "amx_tile", "amx_bf16"})
OLD_CPU = frozenset({"sse4_2", "avx2", "fma"})  # no native bf16
NATIVE_HERE = resolve_precision("auto", torch.device("cpu")) == "bf16"


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        (HardwareFacts("cpu", EPYC_BF16), "bf16"),
        (HardwareFacts("cpu", SAPPHIRE_RAPIDS), "bf16"),
        (HardwareFacts("cpu", OLD_CPU), "fp32"),
        (HardwareFacts("cpu", frozenset()), "fp32"),  # no /proc/cpuinfo (macOS, Windows)
        (HardwareFacts("cuda", cuda_bf16=True), "bf16"),
        (HardwareFacts("cuda", cuda_bf16=False), "fp32"),  # e.g. T4, V100
        (HardwareFacts("mps", EPYC_BF16), "fp32"),  # the CPU's flags say nothing about it
    ],
)
def test_auto_takes_bf16_only_where_the_hardware_has_it(facts, expected) -> None:
    assert choose_precision("auto", facts, setting="train.precision") == expected


def test_explicit_choices_are_kept_or_refused_with_the_key_named() -> None:
    for facts in (HardwareFacts("cpu", OLD_CPU), HardwareFacts("cpu", EPYC_BF16)):
        assert choose_precision("fp32", facts, setting="train.precision") == "fp32"
    assert choose_precision("bf16", HardwareFacts("cpu", EPYC_BF16), setting="x") == "bf16"
    with pytest.raises(UserError, match=r"eval\.precision: bf16 needs native bf16"):
        choose_precision("bf16", HardwareFacts("cpu", OLD_CPU), setting="eval.precision")
    with pytest.raises(UserError, match="'fp16' is not a precision"):
        choose_precision("fp16", HardwareFacts("cpu", EPYC_BF16), setting="train.precision")


def test_cpu_flags_are_read_from_cpuinfo_and_missing_ones_mean_none(tmp_path: Path) -> None:
    text = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu avx2 avx512_bf16\n\n"
    assert parse_cpu_flags(text) == {"fpu", "avx2", "avx512_bf16"}
    assert parse_cpu_flags("Features\t: fp asimd bf16\n") == {"fp", "asimd", "bf16"}  # arm64
    assert cpu_flags(str(tmp_path / "no-cpuinfo")) == frozenset()


def test_a_recipe_with_an_unknown_precision_is_a_recipe_error() -> None:
    with pytest.raises(RecipeError, match="precision"):
        load_recipe(RECIPE, ["train.precision=fp16"])
    with pytest.raises(RecipeError, match="precision"):
        load_recipe(RECIPE, ["eval.precision=half"])


def test_auto_keeps_the_store_keys_of_adapters_trained_before_the_setting() -> None:
    """The key of the main job's intermediate adapter as computed before ``precision``
    existed; ``auto`` keeps it, an explicit choice gets its own key."""
    chain = ("bible-para-en",)
    keys = {
        value: content_key(intermediate_spec(load_recipe(RECIPE, overrides), chain, 0))
        for value, overrides in (
            ("default", []),
            ("auto", ["train.precision=auto"]),
            ("fp32", ["train.precision=fp32"]),
            ("bf16", ["intermediate.train.precision=bf16"]),
        )
    }
    assert keys["default"] == keys["auto"] == "3f65f0ca99d350608b6d"
    assert len({keys["auto"], keys["fp32"], keys["bf16"]}) == 3


@pytest.mark.skipif(not NATIVE_HERE, reason="this CPU has no native bf16")
def test_bf16_is_what_the_loop_computes_in_and_fp32_is_not() -> None:
    seen: dict[str, set[torch.dtype]] = {}
    for precision in ("bf16", "fp32"):
        torch.manual_seed(0)
        model = torch.nn.Linear(4, 1)
        dtypes: set[torch.dtype] = set()

        def loss_of(batch, model=model, dtypes=dtypes):
            out = model(batch["input_ids"])
            dtypes.add(out.dtype)
            return (out.float() - batch["labels"]).pow(2).mean()

        batches = iter(
            [{"input_ids": torch.randn(8, 4), "labels": torch.randn(8, 1)} for _ in range(3)]
        )
        report = fit(
            [ParamGroup(list(model.parameters()), 0.1)],
            batches,
            loss_of,
            LoopSettings(max_steps=3, warmup_ratio=0.0, max_grad_norm=1.0, precision=precision),
            device=torch.device("cpu"),
            modules=[model],
        )
        assert report.precision == precision
        assert model.weight.dtype == torch.float32  # master weights stay fp32
        seen[precision] = dtypes
    assert seen == {"bf16": {torch.bfloat16}, "fp32": {torch.float32}}
