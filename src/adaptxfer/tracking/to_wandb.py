"""Weights & Biases, through ``wandb.init`` / ``run.log``. Online or offline as W&B's own
settings say (``WANDB_MODE=offline`` writes ``DIR/wandb/offline-run-*``; ``wandb sync``
uploads them later). A grid's cells share the W&B group named after the grid."""

from __future__ import annotations

from adaptxfer.errors import UserError
from adaptxfer.tracking.sink import Sink, TrackedRun


class WandbSink(Sink):
    def __init__(self, run: TrackedRun) -> None:
        import wandb

        super().__init__(run)
        run.dir.mkdir(parents=True, exist_ok=True)
        # No console capture (adaptxfer routes the console itself), no git or code
        # snapshots: the recipe in the config says what ran.
        settings = wandb.Settings(silent=True, console="off", save_code=False, disable_git=True)
        try:
            self.wandb_run = wandb.init(
                project=run.project,
                group=run.group,
                name=run.name,
                job_type=str(run.params.get("arm", "run")),
                dir=str(run.dir),
                config=run.params,
                reinit="create_new",
                settings=settings,
            )
        except Exception as err:  # no login, no network: say how to log offline
            raise UserError(
                f"log.to: wandb could not start a run ({err}); run `wandb login`, or set "
                "WANDB_MODE=offline to log to files that `wandb sync` uploads later"
            ) from err
        self._defined: set[str] = set()

    def log_scalars(self, section: str, values: dict[str, float], step: int) -> None:
        keyed = {f"{section}/{key}": value for key, value in values.items()}
        axis = f"{section}/step"  # each phase counts its own steps (W&B's own must rise)
        for key in keyed.keys() - self._defined:
            if axis not in self._defined:
                self.wandb_run.define_metric(axis, hidden=True)
                self._defined.add(axis)
            self.wandb_run.define_metric(key, step_metric=axis)
            self._defined.add(key)
        self.wandb_run.log({axis: step, **keyed})

    def log_final(self, metrics: dict[str, float]) -> None:
        self.wandb_run.summary.update(metrics)

    def close(self, ok: bool) -> None:
        self.wandb_run.finish(exit_code=0 if ok else 1)
