"""The recipe's ``log`` block: where a run's curves, scores and hyperparameters go.

    log:
      to: [tensorboard, wandb, mlflow]   # any of the registered backends; [] (default): off
      dir: ~/adaptxfer-logs              # default: the run dir's tracking/ folder
      project: adaptxfer                 # W&B project; MLflow experiment of a single run

``log: tensorboard`` and ``--set log.to=tensorboard`` are short for ``to: [tensorboard]``.
"""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import Field, field_validator

from adaptxfer.strict_model import StrictModel
from adaptxfer.tracking.registry import BACKENDS

BackendName = Literal[tuple(BACKENDS)]  # type: ignore[valid-type]


class LogSettings(StrictModel):
    """Experiment tracking, off by default. A grid's cells are grouped by the grid's name
    (a TensorBoard folder, a W&B group, an MLflow experiment)."""

    to: list[BackendName] = Field(default_factory=list)  # type: ignore[valid-type]
    dir: str | None = Field(None, description="default: RUN_DIR/tracking")
    project: str = Field("adaptxfer", min_length=1)

    @field_validator("to", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        if value is None:
            return []
        return [value] if isinstance(value, str) else value

    @field_validator("to")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))

    @field_validator("dir")
    @classmethod
    def _absolute(cls, value: str | None) -> str | None:
        """Resolved where the recipe is read, so that grid cells running elsewhere (a Ray
        worker with another working directory) log to the same place."""
        return os.path.abspath(os.path.expanduser(value)) if value else value
