"""The tracking backends: one module each, one line here (name → module, class, the
package it needs and the pip extra that installs it). Nothing heavy is imported until a
run asks for a backend."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from adaptxfer.errors import MissingAssetError

if TYPE_CHECKING:
    from adaptxfer.tracking.sink import Sink, TrackedRun


@dataclass(frozen=True)
class Backend:
    module: str  # the adaptxfer module that logs through the library's own API
    cls: str
    requires: str  # the library module it imports
    extra: str  # pip install 'adaptxfer[extra]'


BACKENDS: dict[str, Backend] = {
    "tensorboard": Backend(
        "adaptxfer.tracking.to_tensorboard", "TensorBoardSink", "torch.utils.tensorboard",
        "tensorboard",
    ),
    "wandb": Backend("adaptxfer.tracking.to_wandb", "WandbSink", "wandb", "wandb"),
    "mlflow": Backend("adaptxfer.tracking.to_mlflow", "MlflowSink", "mlflow", "mlflow"),
}  # fmt: skip


def require_backends(names: list[str] | tuple[str, ...]) -> None:
    """Import each named backend's library now, so that a missing one stops the run (exit
    2, naming the extra to install) before anything trains."""
    for name in names:
        backend = BACKENDS[name]
        try:
            importlib.import_module(backend.requires)
        except ImportError as err:
            raise MissingAssetError(
                f"log.to: {name} needs the {backend.extra} package, which is not installed "
                f"or does not import ({err}); pip install 'adaptxfer[{backend.extra}]' "
                f"or remove {name} from log.to"
            ) from None


def open_sink(name: str, run: TrackedRun) -> Sink:
    """Start logging ``run`` to backend ``name``."""
    backend = BACKENDS[name]
    require_backends([name])
    cls = getattr(importlib.import_module(backend.module), backend.cls)
    return cls(run)
