"""Damaged caches, store entries and run dirs are found before use and rebuilt (or
rerun) with a one-line notice; everything written follows the umask (weights too)."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from adaptxfer import integrity
from adaptxfer.artifacts import (
    Manifest,
    adapter_entries,
    describe_composition,
    load_artifact,
    save_artifact,
)
from adaptxfer.backbones import load_backbone
from adaptxfer.compose.assemble import Assembly
from adaptxfer.errors import UserError
from adaptxfer.methods import MethodConfig
from adaptxfer.store import AdapterStore
from adaptxfer.tasks.heads import build_head
from test_compose import make_tiny_backbone

HEAD = {"type": "sequence", "hidden_size": 64, "num_labels": 2}


def save_tiny_artifact(out: Path) -> None:
    """A real artifact: a LoRA adapter and a head on the tiny random XLM-R."""
    backbone = load_backbone(str(make_tiny_backbone()))
    assembly = Assembly.create(backbone, "peft")
    assembly.backend.add("adapter", MethodConfig(), seed=0)
    manifest = Manifest(
        backbone=str(make_tiny_backbone()),
        quantization="none",
        task="bible-para-en",
        kind="classification",
        library="peft",
        adapters=adapter_entries(assembly),
        composition=describe_composition(assembly),
        head=HEAD,
    )
    save_artifact(out, assembly, build_head(HEAD), manifest)


def truncate(path: Path, keep: int = 100) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:keep])


def test_record_catches_truncation_and_changed_content_and_trusts_untouched_files(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "entry"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.bin").write_bytes(b"x" * 1000)
    (folder / "sub" / "b.json").write_text("{}", encoding="utf-8")
    integrity.write_record(folder)
    assert integrity.check(folder) is None

    truncate(folder / "a.bin")
    assert integrity.check(folder) == "a.bin has 100 bytes, 1000 were written"

    (folder / "a.bin").write_bytes(b"y" * 1000)  # same size, new content, new mtime
    assert integrity.check(folder) == "a.bin differs from what was written (sha256 mismatch)"

    (folder / "a.bin").write_bytes(b"x" * 1000)  # the original bytes, rewritten: hashed, fine
    assert integrity.check(folder) is None
    (folder / "sub" / "b.json").unlink()
    assert integrity.check(folder) == "sub/b.json is missing"

    (folder / integrity.RECORD).write_bytes(b"\xff\xfe garbage")
    assert "integrity.json is unreadable" in integrity.check(folder)


def test_folders_without_a_record_get_a_structural_safetensors_check(tmp_path: Path) -> None:
    save_tiny_artifact(tmp_path / "artifact")
    weights = next((tmp_path / "artifact").rglob("adapter_model.safetensors"))
    assert integrity.safetensors_problem(weights) is None
    assert integrity.check(tmp_path / "artifact") is None  # no record: structure only
    truncate(weights, keep=weights.stat().st_size - 10)
    assert "header describes" in integrity.check(tmp_path / "artifact")
    truncate(weights, keep=20)
    assert "truncated" in integrity.safetensors_problem(weights)
    with pytest.raises(UserError, match="is damaged"):
        load_artifact(tmp_path / "artifact")


def test_a_damaged_store_entry_is_rebuilt_with_one_notice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = AdapterStore(tmp_path / "store")
    spec = {"kind": "test", "n": 1}
    builds = []

    def build(out: Path) -> None:
        builds.append(out)
        save_tiny_artifact(out)

    entry = store.get_or_build(spec, build)
    assert integrity.has_record(entry) and integrity.check(entry) is None
    assert store.get_or_build(spec, build) == entry and len(builds) == 1

    truncate(next(entry.rglob("adapter_model.safetensors")))
    assert store.get_or_build(spec, build) == entry
    assert len(builds) == 2 and len(store.trainings()) == 2
    notices = [line for line in capsys.readouterr().out.splitlines() if "damaged" in line]
    assert len(notices) == 1, notices
    assert str(entry) in notices[0] and "adapter_model.safetensors" in notices[0]
    assert "training it again" in notices[0]
    assert integrity.check(entry) is None
    load_artifact(entry)  # loads again


def test_weights_and_everything_else_follow_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        AdapterStore(tmp_path / "store").get_or_build({"k": 1}, save_tiny_artifact)
    finally:
        os.umask(previous)
    modes = {
        path.relative_to(tmp_path).as_posix(): stat.S_IMODE(path.stat().st_mode)
        for path in (tmp_path / "store").rglob("*")
        if ".locks" not in path.parts
    }
    weights = [name for name in modes if name.endswith(".safetensors")]
    assert len(weights) == 2  # the adapter and the head
    for name, mode in modes.items():
        expected = 0o755 if (tmp_path / name).is_dir() else 0o644
        assert mode == expected, f"{name}: {oct(mode)}"


def test_a_damaged_converted_backbone_is_converted_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from adaptxfer.backbones import e5_small_dir
    from adaptxfer.cache import CACHE_ENV

    shared = e5_small_dir()
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    copy = tmp_path / "backbones" / shared.name
    shutil.copytree(shared, copy)  # copy2 keeps times: a record would still match
    weights = copy / "model.safetensors"
    truncate(weights, keep=weights.stat().st_size // 2)

    assert e5_small_dir() == copy
    notice = capsys.readouterr().out
    assert f"converted backbone {copy} is damaged (model.safetensors" in notice
    assert "converting it again" in notice
    assert weights.stat().st_size == shared.joinpath("model.safetensors").stat().st_size
    assert integrity.has_record(copy) and integrity.check(copy) is None
    assert json.loads((copy / integrity.RECORD).read_text())["files"]["model.safetensors"]
    load_backbone("e5-small")


def test_damaged_weights_in_a_backbone_folder_name_the_folder(tmp_path: Path) -> None:
    from adaptxfer.errors import MissingAssetError

    folder = tmp_path / "backbone"
    shutil.copytree(make_tiny_backbone(), folder)
    weights = folder / "model.safetensors"
    truncate(weights, keep=weights.stat().st_size - 1000)
    with pytest.raises(MissingAssetError, match=rf"{folder}.* are damaged"):
        load_backbone(str(folder))


def test_report_on_a_damaged_run_dir_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from adaptxfer.cli import main

    run = tmp_path / "run"
    run.mkdir()
    (run / "results.json").write_bytes(b"\xff\xfe{")
    assert main(["report", str(run)]) == 2
    error = capsys.readouterr().err
    assert f"{run / 'results.json'}: unreadable results file" in error
    assert "Traceback" not in error
