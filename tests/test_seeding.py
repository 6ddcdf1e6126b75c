"""The recipe's seed fixes every random number: new weights depend only on the seed (not on
the process or on what ran before), and two processes running the same recipe write
byte-identical weight files and identical scores."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from adaptxfer.backbones import load_backbone
from adaptxfer.methods import MethodConfig, create_backend
from adaptxfer.methods.backend import FUSION
from adaptxfer.seeding import seeded
from test_compose import make_tiny_backbone

ROOT = Path(__file__).resolve().parents[1]


def test_a_seeded_block_ignores_and_keeps_the_global_generator():
    draws = []
    for noise in (1, 2):
        torch.manual_seed(noise)
        with seeded(0, "head"):
            draws.append(torch.rand(4))
        after = torch.rand(1)
        torch.manual_seed(noise)
        assert torch.equal(torch.rand(1), after)  # the global state was restored
    assert torch.equal(draws[0], draws[1])
    with seeded(1, "head"):
        assert not torch.equal(torch.rand(4), draws[0])
    with seeded(0, "adapter"):
        assert not torch.equal(torch.rand(4), draws[0])


def weights(backend, name: str) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in backend.parameters_of(name)}


def same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize(("method", "library"), [("lora", "peft"), ("seq_bn", "adapters")])
def test_new_adapters_and_fusion_depend_only_on_the_seed(method, library):
    tiny = str(make_tiny_backbone())
    config = MethodConfig(name=method)
    built = []
    for noise, seed in ((1, 0), (2, 0), (1, 1)):
        torch.manual_seed(noise)  # whatever ran before must not matter
        backend = create_backend(load_backbone(tiny).model, library)
        for name in ("inter0", "target"):
            backend.add(name, config, seed=seed)
        torch.rand(100)
        if library == "adapters":  # AdapterFusion's query/key/value layers are random
            backend.fuse(["inter0"], "target", 1.0, seed=seed)
        built.append({g: weights(backend, g) for g in ("inter0", "target", FUSION)})
    first, again, other_seed = built
    assert all(same(first[g], again[g]) for g in first)
    assert not same(first["target"], first["inter0"])  # each adapter draws its own numbers
    assert not same(first["target"], other_seed["target"])
    if library == "adapters":
        assert first[FUSION] and not same(first[FUSION], other_seed[FUSION])


def _run(out: Path) -> subprocess.CompletedProcess[str]:
    overrides = {
        "intermediate.train.max_steps": "3",
        "target.train.max_steps": "2",
        "train.batch_size": "4",
        "train.max_length": "32",
        "train.dev_examples": "8",
        "eval.max_examples": "8",
        "languages": "[de]",
    }
    sets = [arg for key, value in overrides.items() for arg in ("--set", f"{key}={value}")]
    command = [sys.executable, "-m", "adaptxfer.cli", "run", "recipes/bible/para-en_to_para-x.yaml"]
    env = {**os.environ, "ADAPTXFER_PROGRESS": "0"}
    return subprocess.run(
        [*command, "-o", str(out), *sets],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def _weight_files(run: Path) -> dict[str, str]:
    """Every safetensors file of the run (store entries and arm artifacts): path -> hash."""
    return {
        str(p.relative_to(run)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(run.rglob("*.safetensors"))
    }


TIMINGS = {"seconds", "steps_per_second"}


def _without_timings(value):
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if k not in TIMINGS}
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


def test_two_processes_running_one_recipe_write_identical_weights_and_scores(tmp_path):
    """The tiny main job twice, each in its own process (so torch's per-process random
    seed differs): the intermediate adapter in the store, both arms' adapters and heads,
    and every score and loss are identical."""
    runs = [tmp_path / "first", tmp_path / "second"]
    for run in runs:
        proc = _run(run)
        assert proc.returncode == 0, proc.stderr[-3000:]
    files = [_weight_files(run) for run in runs]
    assert files[0] == files[1]
    assert any(name.startswith("store/") for name in files[0])
    assert {Path(name).parts[1] for name in files[0] if name.startswith("artifacts/")} == {
        "baseline-seed0",
        "sequential-seed0",
    }
    results = [json.loads((run / "results.json").read_text(encoding="utf-8")) for run in runs]
    assert _without_timings(results[0]["outcomes"]) == _without_timings(results[1]["outcomes"])
