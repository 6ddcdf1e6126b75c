"""Upload artifacts with ``huggingface_hub``: one repo per artifact, one commit per push.

The token comes from the standard places (``HF_TOKEN``, ``huggingface-cli login``); the
endpoint from ``HF_ENDPOINT``. Nothing is sent before the folder has been written and
checked, and a refused or failed upload is an error naming the repo and the cause.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from adaptxfer.errors import HubError, UserError
from adaptxfer.hub.card import default_license
from adaptxfer.hub.export import export_artifact
from adaptxfer.hub.locate import PushSource, grid_repo_names, sources_for
from adaptxfer.hub.reference import repo_id_problem


@dataclass(frozen=True)
class Pushed:
    repo_id: str
    files: list[str]
    folder: Path | None = None  # the written folder (dry runs)
    commit_url: str | None = None


def plan(path: Path, repo: str | None, repo_prefix: str | None) -> list[tuple[PushSource, str]]:
    """Each artifact behind ``path`` and the repo it goes to (validated ids)."""
    kind, sources = sources_for(Path(path))
    if kind == "grid":
        if repo or not repo_prefix:
            raise UserError(
                f"{path} is a grid dir: it pushes one repo per intermediate adapter; pass "
                "--repo-prefix OWNER/PREFIX (e.g. --repo-prefix me/xstilts-) instead of --repo"
            )
        repos = grid_repo_names(repo_prefix, sources)
    else:
        if repo_prefix or not repo:
            raise UserError(
                f"{path} is a single {kind}: pass --repo OWNER/NAME (--repo-prefix is for grid dirs)"
            )
        repos = [repo]
    for repo_id in repos:
        problem = repo_id_problem(repo_id)
        if problem:
            raise UserError(f"repo id {repo_id!r}: {problem}")
    return list(zip(sources, repos, strict=True))


def _check_can_upload(repo_id: str) -> str:
    from huggingface_hub import constants, get_token

    if constants.HF_HUB_OFFLINE:
        raise HubError(
            f"cannot push {repo_id}: HF_HUB_OFFLINE is set (offline mode); unset it to upload "
            "(--dry-run writes the folder without the Hub)"
        )
    token = get_token()
    if not token:
        raise HubError(
            f"cannot push {repo_id}: no Hugging Face token; set HF_TOKEN or run "
            "`huggingface-cli login` (a token with write access)"
        )
    return token


def upload(folder: Path, repo_id: str, *, private: bool, revision: str | None) -> str:
    """Create the repo (and branch) if needed and upload ``folder`` as one commit."""
    import requests
    from huggingface_hub import HfApi, constants
    from huggingface_hub.errors import HfHubHTTPError

    token = _check_can_upload(repo_id)
    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, private=private, exist_ok=True)
        if revision:
            api.create_branch(repo_id, branch=revision, exist_ok=True)
        info = api.upload_folder(
            repo_id=repo_id,
            folder_path=str(folder),
            revision=revision,
            commit_message=f"adaptxfer push: {repo_id}",
        )
    except (requests.ConnectionError, requests.Timeout) as err:
        raise HubError(
            f"cannot push {repo_id}: the Hub ({constants.ENDPOINT}) cannot be reached "
            f"({type(err).__name__}); check the network or HF_ENDPOINT"
        ) from None
    except HfHubHTTPError as err:
        status = err.response.status_code if err.response is not None else "?"
        hint = " (is the token allowed to write there?)" if status in (401, 403) else ""
        raise HubError(f"cannot push {repo_id}: the Hub answered {status}{hint}: {err}") from None
    return info.commit_url


def push(
    path: Path,
    *,
    repo: str | None = None,
    repo_prefix: str | None = None,
    private: bool = False,
    revision: str | None = None,
    license: str | None = None,
    dry_run_dir: Path | None = None,
) -> list[Pushed]:
    """Push the artifact(s) behind ``path``; with ``dry_run_dir``, only write the folder(s)
    that would be uploaded (one subfolder per repo for a grid)."""
    planned = plan(path, repo, repo_prefix)
    if dry_run_dir is None:
        for _, repo_id in planned:
            _check_can_upload(repo_id)  # fail before writing anything
    pushed = []
    for source, repo_id in planned:
        chosen = license or default_license(source.manifest.backbone)
        if dry_run_dir is not None:
            folder = dry_run_dir / repo_id.split("/")[-1] if repo_prefix else dry_run_dir
            files = export_artifact(source, repo_id, folder, chosen)
            pushed.append(Pushed(repo_id, files, folder=folder))
            continue
        with tempfile.TemporaryDirectory(prefix="adaptxfer-push-") as tmp:
            folder = Path(tmp) / "repo"
            files = export_artifact(source, repo_id, folder, chosen)
            url = upload(folder, repo_id, private=private, revision=revision)
        pushed.append(Pushed(repo_id, files, commit_url=url))
    return pushed
