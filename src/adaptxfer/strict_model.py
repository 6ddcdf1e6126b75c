"""The base of every settings block a user writes (recipe, grid, method, composition)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """A settings block in which an unknown key is an error (a typo never passes silently)."""

    model_config = ConfigDict(extra="forbid")
