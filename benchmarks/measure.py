"""Measuring helpers the benchmark scripts share: step clocks, medians, a peak memory
that can be reset between the paths compared in one process (so each path's peak is its
own, not the process's so far), and adaptxfer's own training set-up (a task model with
a fresh adapter, a loop callback that ticks a clock).

On Linux the resident-set peak (VmHWM) is reset by writing 5 to /proc/self/clear_refs;
elsewhere the process peak (ru_maxrss) is reported and labelled as such.
"""

from __future__ import annotations

import contextlib
import gc
import statistics
import time
from pathlib import Path
from typing import Any


def reset_peak_memory(device: Any = None) -> None:
    gc.collect()
    if device is not None and getattr(device, "type", "") == "cuda":
        import torch

        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
        return
    with contextlib.suppress(OSError):  # not Linux: the process peak is all there is
        Path("/proc/self/clear_refs").write_text("5")


def peak_memory_mib(device: Any = None) -> float:
    """Peak GPU memory allocated by torch on CUDA; peak resident set size on CPU."""
    if device is not None and getattr(device, "type", "") == "cuda":
        import torch

        return torch.cuda.max_memory_allocated(device) / 2**20
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class StepClock:
    """Wall-clock marks at the end of every optimiser step; the intervals between them,
    after ``warmup`` steps, are the step times (loading and set-up never count)."""

    def __init__(self) -> None:
        self.marks: list[float] = [time.perf_counter()]

    def tick(self) -> None:
        self.marks.append(time.perf_counter())

    def step_times(self, warmup: int) -> list[float]:
        times = [b - a for a, b in zip(self.marks, self.marks[1:], strict=False)]
        return times[warmup:]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def tick_callback(clock: StepClock) -> Any:
    """A training-loop callback that ticks ``clock`` after every optimiser step."""
    from adaptxfer.training.loop import TrainCallback

    class Ticks(TrainCallback):
        def on_step_end(self, state: Any, event: Any) -> None:
            clock.tick()

    return Ticks()


def adapter_task_model(task: Any, method: str, backbone: Any) -> Any:
    """adaptxfer's task model for ``task``: ``backbone`` (a loaded backbone) with one
    fresh adapter of ``method`` (defaults otherwise, seed 0), trained alone, and a head."""
    from adaptxfer.compose.assemble import Assembly
    from adaptxfer.experiment import task_model
    from adaptxfer.methods import backend_library
    from adaptxfer.methods.settings import MethodConfig

    config = MethodConfig(name=method)
    assembly = Assembly.create(backbone, backend_library(config))
    assembly.backend.add("adapter", config, seed=0)
    assembly.train_alone("adapter")
    return task_model(task, assembly, seed=0)
