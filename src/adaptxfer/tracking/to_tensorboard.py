"""TensorBoard, through PyTorch's ``SummaryWriter`` (event files that ``tensorboard
--logdir DIR`` shows; the recipe in the HParams and Text dashboards)."""

from __future__ import annotations

from adaptxfer.tracking.sink import Sink, TrackedRun

FOLDER = "tensorboard"


class TensorBoardSink(Sink):
    def __init__(self, run: TrackedRun) -> None:
        from torch.utils.tensorboard import SummaryWriter

        super().__init__(run)
        self.logdir = run.dir.joinpath(FOLDER, *run.path)
        self.writer = SummaryWriter(log_dir=str(self.logdir))
        lines = [f"    {key}: {value}" for key, value in run.params.items()]
        self.writer.add_text("hyperparameters", "\n".join(lines))  # indented: verbatim

    def log_scalars(self, section: str, values: dict[str, float], step: int) -> None:
        for key, value in values.items():
            self.writer.add_scalar(f"{section}/{key}", value, step)

    def log_final(self, metrics: dict[str, float]) -> None:
        from torch.utils.tensorboard.summary import hparams

        # Into this run's own event file (SummaryWriter.add_hparams would open another
        # run beside it), so the HParams dashboard lists one row per arm and seed.
        for summary in hparams(self.run.params, metrics):
            self.writer.file_writer.add_summary(summary)

    def close(self, ok: bool) -> None:
        self.writer.close()
