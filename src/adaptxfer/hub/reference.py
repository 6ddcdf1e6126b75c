"""Where a shared adapter lives on the Hub: ``owner/name`` or ``owner/name@revision``.

Kept free of heavy imports: the recipe schema uses it for ``intermediate.from_hub``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator


def repo_id_problem(repo_id: str) -> str | None:
    """Why ``repo_id`` is not an ``owner/name`` Hub model id (None when it is one)."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    if not isinstance(repo_id, str) or repo_id.count("/") != 1:
        return f"expected OWNER/NAME, got {repo_id!r}"
    try:
        validate_repo_id(repo_id)
    except HFValidationError as err:
        return str(err)
    return None


class HubRef(BaseModel):
    """A Hub model repo and an optional revision (branch, tag or commit)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    repo: str
    revision: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        if isinstance(value, str):
            repo, _, revision = value.partition("@")
            return {"repo": repo, "revision": revision or None}
        return value

    @field_validator("repo")
    @classmethod
    def _valid_repo(cls, repo: str) -> str:
        problem = repo_id_problem(repo)
        if problem:
            raise ValueError(problem)
        return repo

    def __str__(self) -> str:
        return self.repo + (f"@{self.revision}" if self.revision else "")


def hub_refs(value: Any) -> Any:
    """``from_hub`` short forms: one reference, or a list of them (one per adapter)."""
    if value is None:
        return []
    if isinstance(value, str | dict):
        return [value]
    return value
