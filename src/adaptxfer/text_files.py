"""Read a user's text file as UTF-8, or say exactly where it is not UTF-8."""

from __future__ import annotations

from pathlib import Path

from adaptxfer.errors import UserError


def decode_utf8(data: bytes, source: str, error: type[UserError] = UserError) -> str:
    """``data`` as text; else ``error`` naming the line and column of the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line_start = data.rfind(b"\n", 0, err.start) + 1
        line = data.count(b"\n", 0, err.start) + 1
        raise error(
            f"{source}:{line}: not UTF-8 text (byte 0x{data[err.start]:02x} at column "
            f"{err.start - line_start + 1}); save the file as UTF-8"
        ) from None


def read_utf8(path: Path, error: type[UserError] = UserError) -> str:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise error(f"{path}: cannot read the file ({err.strerror or err})") from None
    return decode_utf8(data, str(path), error)
