"""MLflow, through ``MlflowClient``: into the server named by ``MLFLOW_TRACKING_URI`` when
it is set, else into a local store, ``DIR/mlflow/mlflow.db`` (SQLite: MLflow 3 keeps its
plain-file store in maintenance mode and refuses it by default). A grid's cells share the
experiment named after the grid; a single run's experiment is ``log.project``."""

from __future__ import annotations

import os
from typing import Any

from adaptxfer.errors import UserError
from adaptxfer.tracking.sink import Sink, TrackedRun

FOLDER = "mlflow"
_PARAMS_PER_CALL = 100  # MLflow's limits for one log_batch
_METRICS_PER_CALL = 1000


def tracking_uri(log_dir: os.PathLike[str] | str) -> str:
    """Where runs logged under ``log_dir`` go (``mlflow ui --backend-store-uri URI``)."""
    return os.environ.get("MLFLOW_TRACKING_URI") or (
        "sqlite:///" + os.path.join(os.path.abspath(log_dir), FOLDER, "mlflow.db")
    )


class MlflowSink(Sink):
    def __init__(self, run: TrackedRun) -> None:
        from mlflow.entities import Param
        from mlflow.exceptions import MlflowException
        from mlflow.tracking import MlflowClient

        super().__init__(run)
        local = not os.environ.get("MLFLOW_TRACKING_URI")
        if local:
            (run.dir / FOLDER).mkdir(parents=True, exist_ok=True)
        uri = tracking_uri(run.dir)
        try:
            self.client = MlflowClient(tracking_uri=uri)
            artifacts = (run.final_dir / FOLDER / "artifacts").as_uri() if local else None
            experiment = self._experiment(run.grid or run.project, artifacts)
            self.run_id = self.client.create_run(experiment, run_name=run.name).info.run_id
        except MlflowException as err:
            where = "MLFLOW_TRACKING_URI" if not local else "its local store"
            raise UserError(f"log.to: mlflow cannot log to {where} {uri} ({err})") from err
        params = [Param(key[:250], str(value)[:6000]) for key, value in run.params.items()]
        for start in range(0, len(params), _PARAMS_PER_CALL):
            self.client.log_batch(self.run_id, params=params[start : start + _PARAMS_PER_CALL])
        self._pending: list[Any] = []

    def _experiment(self, name: str, artifacts: str | None) -> str:
        from mlflow.exceptions import MlflowException

        found = self.client.get_experiment_by_name(name)
        if found is not None:
            return found.experiment_id
        try:
            return self.client.create_experiment(name, artifact_location=artifacts)
        except MlflowException:  # another grid cell created it meanwhile
            return self.client.get_experiment_by_name(name).experiment_id

    def log_scalars(self, section: str, values: dict[str, float], step: int) -> None:
        import time

        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        self._pending += [Metric(f"{section}/{k}", v, now, step) for k, v in values.items()]
        if len(self._pending) >= _METRICS_PER_CALL:
            self._flush()

    def _flush(self) -> None:
        """One database write per batch of steps, not per value."""
        for start in range(0, len(self._pending), _METRICS_PER_CALL):
            chunk = self._pending[start : start + _METRICS_PER_CALL]
            self.client.log_batch(self.run_id, metrics=chunk)
        self._pending.clear()

    def log_final(self, metrics: dict[str, float]) -> None:
        self._flush()  # the metrics themselves were logged as scalars

    def close(self, ok: bool) -> None:
        self._flush()
        self.client.set_terminated(self.run_id, "FINISHED" if ok else "FAILED")
