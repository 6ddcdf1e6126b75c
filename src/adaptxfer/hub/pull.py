"""Download a shared adapter into the store with ``huggingface_hub``'s download and cache.

Only JSON, safetensors, YAML and markdown files are downloaded; their names and sizes are
checked against the Hub's listing before the download, and the whole folder (manifest,
files, safetensors headers) before it becomes a store entry. The store entry is keyed by
the repo and the commit, so a revision that moves is pulled again.

Offline (``HF_HUB_OFFLINE=1``) or when the Hub cannot be reached within
``HF_HUB_ETAG_TIMEOUT`` seconds, a repo already in the local Hub cache is used; any other
repo is a clear error naming it and the setting, within seconds.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from adaptxfer.cache import cache_dir
from adaptxfer.errors import HubError, UserError
from adaptxfer.hub.reference import repo_id_problem
from adaptxfer.hub.safety import DOWNLOAD_PATTERNS, check_files, check_folder, folder_sizes
from adaptxfer.store import AdapterStore

HUB_ADAPTER = "hub-adapter"
COMMIT = re.compile(r"^[0-9a-f]{40}$")  # a full commit id, as huggingface_hub matches it


@dataclass(frozen=True)
class Pulled:
    repo_id: str
    commit: str
    path: Path  # the store entry (an artifact folder)


def default_store() -> Path:
    """Where ``adaptxfer pull`` puts adapters unless told otherwise."""
    return cache_dir() / "store"


def _offline_setting() -> str:
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(name, "").upper() in ("1", "ON", "YES", "TRUE"):
            return f"{name}={os.environ[name]}"
    return "HF_HUB_OFFLINE"


def _from_cache(repo_id: str, revision: str | None, why: str, advice: str) -> tuple[Path, str]:
    from huggingface_hub import constants, snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        folder = snapshot_download(
            repo_id, revision=revision, allow_patterns=DOWNLOAD_PATTERNS, local_files_only=True
        )
    except LocalEntryNotFoundError:
        shown = repo_id + (f"@{revision}" if revision else "")
        raise HubError(
            f"{shown}: not in the local Hugging Face cache ({constants.HF_HUB_CACHE}) and "
            f"{why}; {advice}"
        ) from None
    return Path(folder), Path(folder).name


def download(repo_id: str, revision: str | None = None) -> tuple[Path, str]:
    """The repo's readable files in the Hub cache, and the commit they come from."""
    import requests
    from huggingface_hub import HfApi, constants, snapshot_download
    from huggingface_hub.errors import (
        HfHubHTTPError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )
    from huggingface_hub.utils import filter_repo_objects

    shown = repo_id + (f"@{revision}" if revision else "")
    if constants.HF_HUB_OFFLINE:
        return _from_cache(
            repo_id, revision, f"{_offline_setting()} forbids downloading it",
            "unset it to download, or pull the repo once where the Hub is reachable",
        )  # fmt: skip
    timeout = constants.HF_HUB_ETAG_TIMEOUT
    try:
        info = HfApi().model_info(repo_id, revision=revision, files_metadata=True, timeout=timeout)
    except (requests.ConnectionError, requests.Timeout) as err:
        return _from_cache(
            repo_id, revision,
            f"the Hub ({constants.ENDPOINT}) did not answer within {timeout:g} s ({type(err).__name__})",
            "check the network (HF_ENDPOINT, proxy settings) or set HF_HUB_OFFLINE=1 to use cached repos only",
        )  # fmt: skip
    except RevisionNotFoundError:
        raise HubError(f"{repo_id}: no revision {revision!r} (branch, tag or commit)") from None
    except RepositoryNotFoundError:
        raise HubError(
            f"{repo_id}: no such model repo on {constants.ENDPOINT}, or it is private and "
            "the token (HF_TOKEN, huggingface-cli login) cannot see it"
        ) from None
    except HfHubHTTPError as err:
        raise HubError(f"{shown}: the Hub answered {err}") from None
    readable = filter_repo_objects(
        info.siblings or [], allow_patterns=DOWNLOAD_PATTERNS, key=lambda s: s.rfilename
    )
    check_files(f"{repo_id}@{info.sha}", {s.rfilename: s.size or 0 for s in readable})
    # By the name asked for (not the commit), so that the cache records the branch and
    # an offline pull of it finds this snapshot. The files are checked again on disk.
    folder = snapshot_download(
        repo_id, revision=revision, allow_patterns=DOWNLOAD_PATTERNS, etag_timeout=timeout
    )
    return Path(folder), Path(folder).name


def pull(
    repo_id: str, revision: str | None = None, store: AdapterStore | Path | None = None
) -> Pulled:
    """Download ``repo_id`` (at ``revision``), check it, and copy it into the store."""
    problem = repo_id_problem(repo_id)
    if problem:
        raise UserError(f"repo id {repo_id!r}: {problem}")
    if not isinstance(store, AdapterStore):
        store = AdapterStore(store or default_store())
    if revision is not None and COMMIT.match(revision):  # pinned and already stored: no Hub
        found = store.get({"kind": HUB_ADAPTER, "repo": repo_id, "commit": revision})
        if found is not None:
            return Pulled(repo_id=repo_id, commit=revision, path=found)
    snapshot, commit = download(repo_id, revision)
    where = f"{repo_id}@{commit}"
    readable = folder_sizes(snapshot)

    def copy_checked(tmp: Path) -> None:
        from huggingface_hub.utils import filter_repo_objects

        for name in filter_repo_objects(list(readable), allow_patterns=DOWNLOAD_PATTERNS):
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(snapshot / name, tmp / name)  # the cache's symlinks, resolved
        check_folder(tmp, where)

    spec = {"kind": HUB_ADAPTER, "repo": repo_id, "commit": commit}
    path = store.get_or_build(spec, copy_checked, event="pulled")
    return Pulled(repo_id=repo_id, commit=commit, path=path)
