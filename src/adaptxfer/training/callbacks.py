"""Callbacks for the training loop (:class:`~adaptxfer.training.loop.TrainCallback`)."""

from __future__ import annotations

from typing import Any

from adaptxfer.training.loop import StepEvent, TrainCallback, TrainState


class ProgressBar(TrainCallback):
    """A progress bar over the steps (hidden by ``ADAPTXFER_PROGRESS=0``) showing the
    latest point of the loss curve."""

    def __init__(self, description: str) -> None:
        self.description = description
        self._bar: Any = None
        self._shown = 0

    def on_train_start(self, state: TrainState) -> None:
        from adaptxfer.progress import manual_bar

        self._bar = manual_bar(state.settings.max_steps, self.description)
        if state.step:  # resumed from a checkpoint
            self._bar.update(state.step)

    def on_step_end(self, state: TrainState, event: StepEvent) -> None:
        losses = state.report.losses
        if len(losses) > self._shown:
            self._shown = len(losses)
            self._bar.set_postfix(loss=f"{losses[-1]:.3f}")
        self._bar.update(1)

    def on_train_end(self, state: TrainState) -> None:
        if self._bar is not None:
            self._bar.close()
