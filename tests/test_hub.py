"""Sharing adapters: push and pull through ``huggingface_hub``'s real upload, download and
cache code against a local Hub-compatible server (tests/hub_server.py), model cards read
back with ``huggingface_hub``'s own parsers, the pushed repos loaded by plain peft and
adapters, recipes and grids that start from a shared adapter, safety and offline errors.

Adapters are really trained (a few steps) on a tiny random XLM-R; nothing leaves
127.0.0.1.
"""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from adaptxfer.artifacts import MANIFEST, Manifest, load_artifact
from adaptxfer.cli import main
from adaptxfer.errors import HubError, RecipeError
from adaptxfer.hub.export import export_artifact
from adaptxfer.hub.locate import sources_for
from adaptxfer.hub.pull import pull
from adaptxfer.hub.push import push
from adaptxfer.recipes.schema import Recipe
from adaptxfer.run import run_recipe
from adaptxfer.store import AdapterStore
from hub_server import TOKEN, HubServer
from test_compose import logits_of, make_tiny_backbone, one_batch


def tiny_recipe(backbone: str, **changes) -> Recipe:
    """Three intermediate steps, two target steps, 16 German dev pairs: seconds on CPU."""
    data = {
        "name": "tiny-hub",
        "backbone": backbone,
        "method": {"name": "lora", "lora": {"r": 4}},
        "intermediate": {"tasks": ["bible-para-en"], "train": {"max_steps": 3}},
        "target": {"task": "bible-para-x", "train": {"max_steps": 2, "max_train_examples": 16}},
        "composition": "sequential",
        "languages": ["de"],
        "train": {"batch_size": 8, "max_length": 48, "dev_examples": 16, "lr": 1e-2},
        "eval": {"split": "dev", "max_examples": 16, "batch_size": 16},
        "baseline": False,
    }
    for key, value in changes.items():
        data[key] = value
    return Recipe.model_validate(data)


@pytest.fixture(scope="module")
def tiny() -> str:
    return str(make_tiny_backbone())


@pytest.fixture(scope="module")
def run_dir(tiny, tmp_path_factory) -> Path:
    """A finished run: its store holds the intermediate LoRA adapter, its artifacts the
    sequential arm (intermediate adapter continued on the target)."""
    _, out = run_recipe(tiny_recipe(tiny), tmp_path_factory.mktemp("runs") / "run")
    return out


def store_entry(run: Path) -> Path:
    (entry,) = [p for p in (run / "store").iterdir() if (p / MANIFEST).exists()]
    return entry


@pytest.fixture(scope="module")
def bottleneck_entry(tiny, tmp_path_factory) -> Path:
    """An intermediate seq_bn adapter (the adapters library) in a store."""
    from adaptxfer.experiment import intermediate_artifact

    recipe = tiny_recipe(tiny, method={"name": "seq_bn", "seq_bn": {"reduction_factor": 8}})
    store = AdapterStore(tmp_path_factory.mktemp("bn-store"))
    return intermediate_artifact(recipe, ("bible-para-en",), 0, store)


@pytest.fixture(scope="module")
def hub():
    with HubServer() as server:
        yield server


def point_hub_at(monkeypatch, endpoint: str, cache: Path, offline: bool = False) -> None:
    """What HF_ENDPOINT / HF_HUB_CACHE / HF_HUB_OFFLINE do, for this process (huggingface_hub
    reads them at import time; conftest.py sets HF_HUB_OFFLINE=1 for every other test)."""
    from huggingface_hub import constants, file_download, hf_api

    template = endpoint + "/{repo_id}/resolve/{revision}/{filename}"
    monkeypatch.setattr(constants, "ENDPOINT", endpoint)
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", template)
    monkeypatch.setattr(file_download, "HUGGINGFACE_CO_URL_TEMPLATE", template)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", offline)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(hf_api.api, "endpoint", endpoint)  # behind file_exists() etc.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1" if offline else "0")
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setenv("HF_TOKEN", TOKEN)


@pytest.fixture
def online(hub, monkeypatch, tmp_path) -> HubServer:
    point_hub_at(monkeypatch, hub.url, tmp_path / "hf-cache")
    return hub


# -- push -----------------------------------------------------------------------------------
def test_push_uploads_the_peft_layout_in_one_commit(online, run_dir):
    entry = store_entry(run_dir)
    (pushed,) = push(entry, repo="me/push-layout", private=True)
    assert pushed.commit_url.startswith(online.url)
    repo = online.state.repos["me/push-layout"]
    assert repo.private
    (commit,) = online.state.commits_of("me/push-layout")
    assert commit.summary == "adaptxfer push: me/push-layout"
    kinds = {op["value"]["path"]: op["key"] for op in commit.operations if "path" in op["value"]}
    # Weights go through Git LFS (batch API + PUT), configs and text as regular files.
    assert kinds == {
        "README.md": "file",
        "adapter_config.json": "file",
        "adapter_model.safetensors": "lfsFile",
        "artifact.json": "file",
        "head.safetensors": "lfsFile",
        "intermediate_spec.json": "file",
        "recipe.yaml": "file",
        "results.json": "file",
    }
    assert set(pushed.files) == set(kinds)
    files = commit.files
    assert (
        files["adapter_model.safetensors"]
        == (entry / "adapters/adapter/adapter_model.safetensors").read_bytes()
    )
    shipped = json.loads(files["artifact.json"])
    assert [a["path"] for a in shipped["adapters"]] == ["."]
    config = json.loads(files["adapter_config.json"])
    assert config["peft_type"] == "LORA" and config["r"] == 4
    assert config["base_model_name_or_path"] is None  # a local path never leaves the machine
    assert online.state.validated[-1] == files["README.md"].decode()  # the Hub's YAML check


def test_push_to_a_branch_leaves_main_alone(online, run_dir):
    push(store_entry(run_dir), repo="me/push-branch")
    main_before = online.state.repos["me/push-branch"].branches["main"]
    push(store_entry(run_dir), repo="me/push-branch", revision="v2")
    repo = online.state.repos["me/push-branch"]
    assert repo.branches["main"] == main_before and repo.branches["v2"] != main_before


def test_push_needs_a_token_and_the_hub(online, run_dir, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.delenv("HF_TOKEN")
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", "/nonexistent/token")
    with pytest.raises(HubError, match="no Hugging Face token; set HF_TOKEN"):
        push(store_entry(run_dir), repo="me/no-token")
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(HubError, match="HF_HUB_OFFLINE"):
        push(store_entry(run_dir), repo="me/offline")
    assert "me/no-token" not in online.state.repos and "me/offline" not in online.state.repos


# -- round trip ------------------------------------------------------------------------------
def test_push_pull_evaluate_gives_identical_predictions(online, run_dir, tmp_path):
    """The sequential arm's model, pushed and pulled, predicts exactly as the original."""
    original = run_dir / "artifacts" / "sequential-seed0"
    push(run_dir, repo="me/para-x-sequential")  # a run dir pushes its target-arm model
    pulled = pull("me/para-x-sequential", store=tmp_path / "store")
    assert pulled.commit == online.state.repos["me/para-x-sequential"].branches["main"]
    assert AdapterStore(tmp_path / "store").events()[0]["event"] == "pulled"
    before, after = load_artifact(original), load_artifact(pulled.path)
    batch = one_batch(before.tokenizer)
    assert torch.equal(logits_of(before.model, batch), logits_of(after.model, batch))
    again = pull("me/para-x-sequential", store=tmp_path / "store")  # already stored
    assert again.path == pulled.path and len(AdapterStore(tmp_path / "store").events()) == 1


def test_recipe_from_hub_reproduces_the_run_without_training(
    online, tiny, run_dir, tmp_path, monkeypatch
):
    """The intermediate adapter pushed and taken back with ``from_hub``: the same target
    scores as the run that trained it, and nothing trained in the intermediate phase."""
    push(store_entry(run_dir), repo="me/xstilts-para-en")
    recipe = tiny_recipe(
        tiny, intermediate={"tasks": ["bible-para-en"], "from_hub": "me/xstilts-para-en"}
    )
    result, out = run_recipe(recipe, tmp_path / "shared")
    store = AdapterStore(out / "store")
    assert store.trainings() == []
    assert [e["event"] for e in store.events()] == ["pulled"]
    original = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    assert (
        result.outcomes[0]["scores"]["de"]["accuracy"]
        == original["outcomes"][0]["scores"]["de"]["accuracy"]
    )
    # The results record the exact commit used (the recipe is pinned once pulled).
    commit = online.state.repos["me/xstilts-para-en"].branches["main"]
    assert result.recipe["intermediate"]["from_hub"] == [
        {"repo": "me/xstilts-para-en", "revision": commit}
    ]
    # A pinned revision already in the store needs no Hub at all.
    point_hub_at(monkeypatch, "http://127.0.0.1:9", tmp_path / "empty-cache", offline=True)
    again = pull("me/xstilts-para-en", commit, store)
    assert again.path == Path(store.root / again.path.name) and len(store.events()) == 1


@pytest.mark.parametrize(
    ("changes", "needles"),
    [
        ({"method": {"name": "lora", "lora": {"r": 8}}}, ["method.r is 4 in the shared adapter but 8 in the recipe"]),
        ({"quantization": "int8"}, ["quantization is 'none' in the shared adapter but 'int8'"]),
        ({"method": {"name": "seq_bn"}}, ["method.name is 'lora' in the shared adapter but 'seq_bn'",
                                          "adapter library is 'peft' in the shared adapter but 'adapters'"]),
        ({"backbone": "e5-small"}, ["backbone is", "but 'e5-small' in the recipe"]),
    ],
)  # fmt: skip
def test_from_hub_mismatch_is_refused_before_training(
    online, tiny, run_dir, tmp_path, changes, needles
):
    push(store_entry(run_dir), repo="me/xstilts-mismatch")
    inter = {"tasks": ["bible-para-en"], "from_hub": "me/xstilts-mismatch"}
    changes = dict(changes)
    recipe = tiny_recipe(changes.pop("backbone", tiny), intermediate=inter, **changes)
    with pytest.raises(RecipeError) as info:
        run_recipe(recipe, tmp_path / "run")
    for needle in needles:
        assert needle in str(info.value)
    # Refused before anything trained: no results, no store entry (a failed run keeps its log).
    assert not (tmp_path / "run" / "results.json").exists()
    assert not list((tmp_path / "run").rglob("artifact.json"))


def test_from_hub_tasks_and_counts_are_checked(online, tiny, run_dir, tmp_path):
    push(store_entry(run_dir), repo="me/xstilts-tasks")
    recipe = tiny_recipe(
        tiny, intermediate={"tasks": ["bible-para-x"], "from_hub": "me/xstilts-tasks"}
    )
    assert recipe.problems()  # bible-para-x is not an intermediate task
    two = {"tasks": ["bible-para-en", "bible-para-en"], "from_hub": "me/xstilts-tasks"}
    problems = tiny_recipe(tiny, intermediate=two, composition="stack").problems()
    assert any("needs 2 adapter(s), one per task; got 1" in message for _, message in problems)
    with pytest.raises(ValueError, match="expected OWNER/NAME"):
        tiny_recipe(tiny, intermediate={"tasks": ["bible-para-en"], "from_hub": "no-owner"})


# -- the card --------------------------------------------------------------------------------
def test_card_reads_back_with_huggingface_hub(tmp_path, run_dir):
    from huggingface_hub import ModelCard, metadata_load
    from huggingface_hub.repocard_data import model_index_to_eval_results

    entry = store_entry(run_dir)
    (source,) = sources_for(entry)[1]
    export_artifact(source, "me/card-check", tmp_path / "out", "mit")
    card = ModelCard.load(tmp_path / "out" / "README.md")
    data = card.data
    assert data.library_name == "peft" and data.license == "mit"
    assert data.language == ["de", "en"]
    assert "x-stilts" in data.tags and "bible-para-en" in data.tags
    manifest = Manifest.read(entry)
    results = {
        (r.dataset_name, r.dataset_config, r.metric_type): r.metric_value for r in data.eval_results
    }
    assert results[("bible-para-en", "en", "accuracy")] == round(
        manifest.metrics["dev"]["accuracy"], 2
    )
    run = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    assert results[("bible-para-x", "de", "accuracy")] == round(
        run["outcomes"][0]["scores"]["de"]["accuracy"], 2
    )
    name, again = model_index_to_eval_results(
        metadata_load(tmp_path / "out" / "README.md")["model-index"]
    )
    assert name == "card-check" and len(again) == len(data.eval_results)
    for section in (
        "## Scores",
        "## How to load",
        "PeftModel.from_pretrained",
        "## Recipe",
        "## Training cost",
    ):
        assert section in card.text


def test_e5_small_card_names_the_public_base_model(tmp_path, run_dir):
    from huggingface_hub import ModelCard

    from adaptxfer.hub.card import card_data

    (source,) = sources_for(store_entry(run_dir))[1]
    source.manifest.backbone = "e5-small"
    data = card_data(source, "me/e5", "mit")
    assert data.base_model == "intfloat/multilingual-e5-small"
    assert ModelCard(f"---\n{data.to_yaml()}\n---\n").data.base_model == data.base_model


# -- plain libraries -------------------------------------------------------------------------
def test_pushed_lora_loads_with_plain_peft(online, tiny, run_dir):
    from peft import PeftModel
    from transformers import AutoModel

    entry = store_entry(run_dir)
    push(entry, repo="me/plain-peft")
    model = PeftModel.from_pretrained(AutoModel.from_pretrained(tiny), "me/plain-peft")
    saved = load_file(str(entry / "adapters/adapter/adapter_model.safetensors"))
    loaded = {n: p for n, p in model.named_parameters() if "lora_" in n}
    assert len(loaded) == len(saved) > 0
    for name, value in saved.items():
        key = name.replace(".weight", ".default.weight")
        assert torch.equal(dict(loaded)[next(k for k in loaded if k.endswith(key))], value)


def test_pushed_bottleneck_loads_with_adapters_load_adapter(online, tiny, bottleneck_entry):
    import adapters
    from transformers import AutoModel

    push(bottleneck_entry, repo="me/plain-adapters")
    model = AutoModel.from_pretrained(tiny)
    adapters.init(model)
    name = model.load_adapter("me/plain-adapters", use_safetensors=True)
    saved = load_file(str(bottleneck_entry / "adapters/adapter/adapter.safetensors"))
    params = dict(model.named_parameters())
    assert len(saved) > 0
    for key, value in saved.items():
        assert torch.equal(params[key.replace(".adapter.", f".{name}.")], value)


# -- safety ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def good_files(run_dir, tmp_path_factory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("export") / "repo"
    (source,) = sources_for(store_entry(run_dir))[1]
    export_artifact(source, "me/good", out, "mit")
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def _manifest_with(files: dict[str, bytes], **changes) -> dict[str, bytes]:
    data = json.loads(files[MANIFEST])
    data.update(changes)
    return {**files, MANIFEST: json.dumps(data).encode()}


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda f: _manifest_with(f, extra_key=1), "artifact.json: extra_key: unknown key"),
        (lambda f: _manifest_with(f, task="nonsense"), "task: got 'nonsense'; task 'nonsense' is unknown"),
        (lambda f: _manifest_with(f, adapters=[{**json.loads(f[MANIFEST])["adapters"][0], "path": "../up"}]),
         "adapters.0.path"),
        (lambda f: {**f, "head.safetensors": f["head.safetensors"][:100]}, "head.safetensors: not a valid safetensors"),
        (lambda f: {k: v for k, v in f.items() if k != "adapter_model.safetensors"}, "names files the repo lacks"),
    ],
)  # fmt: skip
def test_pull_refuses_a_bad_repo_before_loading(online, good_files, tmp_path, mutate, needle):
    online.state.put("me/bad", mutate(good_files))
    with pytest.raises(HubError, match="me/bad") as info:
        pull("me/bad", store=tmp_path / "store")
    assert needle in str(info.value)
    assert not any((tmp_path / "store").glob("*/artifact.json"))


def test_pull_downloads_only_json_and_safetensors(online, good_files, tmp_path, monkeypatch):
    online.state.put("me/with-pickle", {**good_files, "pytorch_model.bin": b"\x80\x04pickle"})
    pulled = pull("me/with-pickle", store=tmp_path / "store")
    assert not (pulled.path / "pytorch_model.bin").exists()
    assert not any("pytorch_model.bin" in path for _, path in online.state.requests)
    # Names and sizes are checked against the Hub's listing before anything downloads.
    import adaptxfer.hub.safety as safety

    monkeypatch.setattr(safety, "MAX_TEXT_BYTES", 100)
    online.state.put("me/too-big", good_files)
    before = len(online.state.requests)
    with pytest.raises(HubError, match=r"me/too-big@\w+/README.md: .* over the 100-byte limit"):
        pull("me/too-big", store=tmp_path / "store")
    assert not any("/resolve/" in path for _, path in online.state.requests[before:])


# -- offline and unreachable -----------------------------------------------------------------
def test_offline_uses_the_cache_and_names_the_setting(online, run_dir, tmp_path, monkeypatch):
    push(store_entry(run_dir), repo="me/cached")
    first = pull("me/cached", store=tmp_path / "a")  # fills the local Hub cache
    point_hub_at(monkeypatch, online.url, tmp_path / "hf-cache", offline=True)
    requests_before = len(online.state.requests)
    again = pull("me/cached", store=tmp_path / "b")  # a new store, from the cache only
    assert again.commit == first.commit and (again.path / MANIFEST).exists()
    assert len(online.state.requests) == requests_before
    started = time.perf_counter()
    with pytest.raises(HubError) as info:
        pull("me/never-pulled", store=tmp_path / "b")
    assert time.perf_counter() - started < 5
    assert "me/never-pulled" in str(info.value) and "HF_HUB_OFFLINE=1 forbids" in str(info.value)


def _black_hole() -> tuple[socket.socket, str]:
    """A local port that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    return listener, f"http://127.0.0.1:{listener.getsockname()[1]}"


def test_unreachable_hub_is_a_clear_error_within_seconds(tmp_path, monkeypatch):
    from huggingface_hub import constants

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    refused = f"http://127.0.0.1:{closed.getsockname()[1]}"
    closed.close()  # nothing listens there: connection refused
    listener, silent = _black_hole()
    monkeypatch.setattr(constants, "HF_HUB_ETAG_TIMEOUT", 1)
    try:
        for endpoint in (refused, silent):
            point_hub_at(monkeypatch, endpoint, tmp_path / "hf-cache")
            started = time.perf_counter()
            with pytest.raises(HubError) as info:
                pull("me/anything", store=tmp_path / "store")
            assert time.perf_counter() - started < 5, endpoint
            message = str(info.value)
            assert "me/anything" in message and endpoint in message and "did not answer" in message
    finally:
        listener.close()


# -- the CLI ---------------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["push", "pull"])
def test_cli_help_and_usage_errors(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0 and "usage: adaptxfer " + command in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        main([command] if command == "pull" else ["push", "somewhere"])  # no repo given
    assert info.value.code == 2


def test_cli_dry_run_writes_the_exact_folder(run_dir, tmp_path, capsys):
    out = tmp_path / "upload"
    code = main(
        ["push", str(store_entry(run_dir)), "--repo", "me/dry", "--dry-run", "-o", str(out)]
    )
    assert code == 0
    printed = capsys.readouterr().out
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == ["README.md", "adapter_config.json", "adapter_model.safetensors", "artifact.json",
                     "head.safetensors", "intermediate_spec.json", "recipe.yaml", "results.json"]  # fmt: skip
    for name in files:
        assert f"  {name}\n" in printed
    assert (
        main(["push", str(store_entry(run_dir)), "--repo", "me/dry", "--dry-run", "-o", str(out)])
        == 2
    )
    assert "not an empty folder" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["push", "{run}", "--repo", "not-a-repo-id"], "expected OWNER/NAME"),
        (
            ["push", "{run}", "--repo-prefix", "me/x-"],
            "--repo OWNER/NAME (--repo-prefix is for grid dirs)",
        ),
        (["push", "{tmp}", "--repo", "me/x"], "not an artifact (artifact.json), a run dir"),
        (["pull", "me/bad..name"], "me/bad..name"),
    ],
)
def test_cli_bad_input_exits_2(run_dir, tmp_path, capsys, args, needle):
    code = main([a.format(run=run_dir, tmp=tmp_path) for a in args])
    err = capsys.readouterr().err
    assert code == 2, err
    assert needle in err and "Traceback" not in err


def test_cli_pull_prints_the_store_entry(online, run_dir, tmp_path, capsys):
    push(store_entry(run_dir), repo="me/cli-pull")
    assert main(["pull", "me/cli-pull", "--store", str(tmp_path / "store")]) == 0
    out = capsys.readouterr().out
    assert "pulled me/cli-pull at " in out and "bible-para-en (lora, peft)" in out
    assert str(tmp_path / "store") in out
    assert main(["pull", "me/missing", "--store", str(tmp_path / "store")]) == 2
    assert "me/missing: no such model repo" in capsys.readouterr().err


# -- grids -----------------------------------------------------------------------------------
def test_grid_pushes_each_adapter_and_a_grid_starts_from_them(online, tiny, tmp_path):
    """A grid's intermediate adapter is pushed with --repo-prefix; a second grid takes it
    with ``from_hub`` and reproduces the first grid's cell without training."""
    from adaptxfer.grid import load_grid, run_grid

    base = tiny_recipe(tiny).model_dump(mode="json", exclude={"name"})
    (tmp_path / "base.yaml").write_text(json.dumps(base), encoding="utf-8")
    body = "base: base.yaml\nintermediates: [{name: para-en, tasks: [bible-para-en]}]\n"
    body += "targets: [bible-para-x]\nlanguages: [de]\nbaseline: false\n"
    (tmp_path / "first.yaml").write_text(body, encoding="utf-8")
    first = tmp_path / "first"
    assert not run_grid(load_grid(tmp_path / "first.yaml", first), first, log=lambda _: None).failed

    assert main(["push", str(first), "--repo-prefix", "me/xstilts-"]) == 0
    assert "me/xstilts-para-en-seed0" in online.state.repos
    readme = online.state.commits_of("me/xstilts-para-en-seed0")[0].files["README.md"].decode()
    assert "bible-para-x (sequential, seed 0, accuracy)" in readme
    assert main(["push", str(first), "--repo", "me/one"]) == 2  # a grid takes --repo-prefix
    dry = tmp_path / "dry"
    assert (
        main(["push", str(first), "--repo-prefix", "me/xstilts-", "--dry-run", "-o", str(dry)]) == 0
    )
    assert (dry / "xstilts-para-en-seed0" / "adapter_model.safetensors").is_file()

    shared = body.replace(
        "tasks: [bible-para-en]}", "tasks: [bible-para-en], from_hub: me/xstilts-para-en-seed0}"
    )
    (tmp_path / "second.yaml").write_text(shared, encoding="utf-8")
    second = tmp_path / "second"
    assert not run_grid(
        load_grid(tmp_path / "second.yaml", second), second, log=lambda _: None
    ).failed
    assert AdapterStore(second / "store").trainings() == []
    scores = [
        json.loads(p.read_text(encoding="utf-8"))["outcomes"][0]["scores"]["de"]["accuracy"]
        for p in (first / "cells", second / "cells")
        for p in sorted(p.rglob("results.json"))
    ]
    assert scores[0] == scores[1]
