"""Step checkpoints: all that a training needs to go on exactly where it stopped.

A checkpoint holds the trainable parameters (those that require grad: adapters, head,
fusion weights — never the frozen backbone), the optimiser's and the scheduler's state,
the random generators' states (torch CPU and CUDA, numpy, Python), the data position
(micro-batches drawn) and the loss curve so far. Tensors go to safetensors and the rest
to JSON, so loading a checkpoint runs no pickled code.

The data position is restored by drawing that many batches from a fresh stream: the
loaders shuffle with a generator seeded from the recipe's seed, so the stream is the same
in every process. The random states are set after that, so the batches drawn on the way
change nothing.

Each checkpoint is built in a temporary folder and renamed to ``step-NNNNNNNN`` when
complete (``state.json``, with the size and sha256 of the tensors file, written last);
older ones are removed only then. A checkpoint half-written when the process was killed
has no such name and is never read; one that fails its check, or was made for other
parameters or another schedule, is passed over with a notice (the next older one, else a
fresh start).
"""

from __future__ import annotations

import contextlib
import json
import random
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from adaptxfer import interrupts
from adaptxfer.cache import atomic_dir
from adaptxfer.integrity import file_sha256
from adaptxfer.run_log import say
from adaptxfer.training.loop import Batch, StepEvent, TrainCallback, TrainState

FORMAT = 1
STEP_PREFIX = "step-"
TENSORS = "tensors.safetensors"
STATE = "state.json"


@dataclass(frozen=True)
class Checkpointing:
    """Where one training keeps its checkpoints, and how often it saves one."""

    folder: Path
    every: int | None  # optimiser steps (and the last step); None: only at a signal
    label: str  # what is being trained, for messages

    def resume(self, state: TrainState, batches: Iterator[Batch]) -> bool:
        return resume(state, batches, self)

    def callback(self) -> TrainCallback:
        return Checkpointer(self)


class Checkpointer(TrainCallback):
    """Saves every ``every`` steps and at the last one; on SIGINT / SIGTERM (noted during
    the step, :mod:`adaptxfer.interrupts`) saves and raises :class:`Interrupted`."""

    def __init__(self, plan: Checkpointing) -> None:
        self.plan = plan
        self._signals = contextlib.ExitStack()

    def on_train_start(self, state: TrainState) -> None:
        self._signals.enter_context(interrupts.deferred())

    def on_step_end(self, state: TrainState, event: StepEvent) -> None:
        signum = interrupts.requested()
        every = self.plan.every
        due = every is not None and (
            state.step % every == 0 or state.step == state.settings.max_steps
        )
        if not due and signum is None:
            return
        path = save(state, self.plan.folder)
        if signum is not None:
            of = f"{state.step}/{state.settings.max_steps}"
            raise interrupts.Interrupted(signum, saved=f"step {of} of {self.plan.label} to {path}")

    def on_train_end(self, state: TrainState) -> None:
        self._signals.close()


# -- saving ----------------------------------------------------------------------------
def save(state: TrainState, folder: Path) -> Path:
    """Write a checkpoint of ``state`` into ``folder`` (atomically); remove older ones."""
    from safetensors.torch import save_file

    tensors, record = _capture(state)
    final = Path(folder) / f"{STEP_PREFIX}{state.step:08d}"
    with atomic_dir(final) as tmp:
        save_file(tensors, str(tmp / TENSORS))
        record["files"] = {TENSORS: _fingerprint(tmp / TENSORS)}
        (tmp / STATE).write_text(json.dumps(record), encoding="utf-8")
    for other in final.parent.iterdir():  # older checkpoints, half-written ones
        if other != final:
            shutil.rmtree(other, ignore_errors=True)
    return final


def _capture(state: TrainState) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    tensors = {f"param/{n}": p.detach().cpu() for n, p in state.named_params()}
    optimizer = state.optimizer.state_dict()
    plain: dict[str, dict[str, Any]] = {}
    for index, values in optimizer["state"].items():
        # one level of nesting: bitsandbytes' 8-bit optimisers keep their quantisation
        # maps and scales in a dict under one key
        for key, value in values.items():
            inner = value if isinstance(value, dict) else {None: value}
            for sub, item in inner.items():
                path = key if sub is None else f"{key}/{sub}"
                if torch.is_tensor(item):
                    tensors[f"optimizer/{index}/{path}"] = item.detach().cpu()
                elif sub is None:
                    plain.setdefault(str(index), {})[key] = item
                else:
                    plain.setdefault(str(index), {}).setdefault(key, {})[sub] = item
    tensors["rng/torch"] = torch.get_rng_state()
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []
    tensors.update({f"rng/cuda/{i}": s for i, s in enumerate(cuda)})
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    tensors["rng/numpy"] = torch.from_numpy(keys.astype(np.int64))
    version, internal, python_gauss = random.getstate()
    report = state.report
    record = {
        "format": FORMAT,
        "step": state.step,
        "max_steps": state.settings.max_steps,
        "grad_accum": state.settings.grad_accum,
        "batches": state.batches,
        "names": state.names,
        "examples": report.examples,
        "seconds": time.perf_counter() - state.started,
        "losses": report.losses,
        "running": [float(x) for x in state.running],  # device tensors: one sync here
        "optimizer": {"param_groups": optimizer["param_groups"], "state": plain},
        "scheduler": state.scheduler.state_dict(),
        "rng": {
            "cuda": len(cuda),
            "numpy": [kind, pos, has_gauss, gauss],
            "python": [version, list(internal), python_gauss],
        },
    }
    return {k: v.contiguous() for k, v in tensors.items()}, record


def _fingerprint(path: Path) -> dict[str, Any]:
    return {"size": path.stat().st_size, "sha256": file_sha256(path)}


# -- resuming --------------------------------------------------------------------------
@dataclass
class _Found:
    path: Path
    record: dict[str, Any]
    tensors: dict[str, torch.Tensor]


def resume(state: TrainState, batches: Iterator[Batch], plan: Checkpointing) -> bool:
    """Continue ``state`` from the newest good checkpoint in ``plan.folder``: weights,
    optimiser, scheduler, loss curve, data position (drawn from ``batches``) and random
    states. False when there is none (training starts from the beginning)."""
    found = _newest_usable(state, plan)
    if found is None:
        return False
    record, tensors = found.record, found.tensors
    with torch.no_grad():
        for name, param in state.named_params():
            param.copy_(tensors[f"param/{name}"])
    state.optimizer.load_state_dict(_optimizer_state(record, tensors))
    state.scheduler.load_state_dict(record["scheduler"])
    state.step = state.report.steps = record["step"]
    state.report.examples = record["examples"]
    state.report.losses = list(record["losses"])
    state.running = list(record["running"])
    state.started = time.perf_counter() - record["seconds"]
    for _ in range(record["batches"]):
        next(batches)
    state.batches = record["batches"]
    _set_random_states(record["rng"], tensors)
    say(f"{plan.label}: resuming at step {state.step}/{state.settings.max_steps} from {found.path}")
    return True


def _newest_usable(state: TrainState, plan: Checkpointing) -> _Found | None:
    folder = Path(plan.folder)
    candidates = sorted(folder.glob(f"{STEP_PREFIX}*"), reverse=True) if folder.is_dir() else []
    for path in candidates:
        try:
            found = _read(path)
        except _Unusable as err:
            say(f"{plan.label}: ignoring damaged checkpoint {path} ({err})")
            continue
        problem = _mismatch(state, found)
        if problem:
            say(f"{plan.label}: ignoring checkpoint {path}: {problem}")
            continue
        return found
    return None


class _Unusable(Exception):
    """A checkpoint that cannot be read as written."""


def _read(path: Path) -> _Found:
    from safetensors.torch import load_file

    try:
        record = json.loads((path / STATE).read_text(encoding="utf-8"))
        expected = record["files"][TENSORS]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise _Unusable(f"{STATE} unreadable: {err}") from None
    try:
        actual = _fingerprint(path / TENSORS)
    except OSError as err:
        raise _Unusable(f"{TENSORS} unreadable: {err}") from None
    if actual != expected:
        raise _Unusable(f"{TENSORS} is not the file that was saved (size or sha256 differs)")
    try:
        tensors = load_file(str(path / TENSORS))
    except Exception as err:  # safetensors raises its own error types
        raise _Unusable(f"{TENSORS}: {err}") from None
    return _Found(path, record, tensors)


def _mismatch(state: TrainState, found: _Found) -> str | None:
    """Why the checkpoint cannot continue this training (None: it can)."""
    record, tensors = found.record, found.tensors
    if record.get("format") != FORMAT:
        return f"format {record.get('format')}, expected {FORMAT}"
    settings = state.settings
    if (record.get("max_steps"), record.get("grad_accum")) != (
        settings.max_steps,
        settings.grad_accum,
    ):
        return (
            f"made for {record.get('max_steps')} steps of {record.get('grad_accum')} "
            f"batches, this training has {settings.max_steps} of {settings.grad_accum}"
        )
    if record.get("names") != state.names:
        return "made for other trainable parameters"
    for name, param in state.named_params():
        if tuple(tensors[f"param/{name}"].shape) != tuple(param.shape):
            return f"parameter {name} has another shape"
    groups = record["optimizer"]["param_groups"]
    if [len(g["params"]) for g in groups] != [
        len(g["params"]) for g in state.optimizer.param_groups
    ]:
        return "made for other parameter groups"
    return None


def _optimizer_state(record: dict[str, Any], tensors: dict[str, torch.Tensor]) -> dict:
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        if key.startswith("optimizer/"):
            _, index, field = key.split("/", 2)
            name, _, sub = field.partition("/")
            values = state.setdefault(int(index), {})
            if sub:
                values.setdefault(name, {})[sub] = value
            else:
                values[name] = value
    for index, plain in record["optimizer"]["state"].items():
        values = state.setdefault(int(index), {})
        for name, value in plain.items():
            if isinstance(value, dict):
                values.setdefault(name, {}).update(value)
            else:
                values[name] = value
    groups = [
        {k: tuple(v) if k == "betas" else v for k, v in group.items()}
        for group in record["optimizer"]["param_groups"]
    ]
    return {"state": state, "param_groups": groups}


def _set_random_states(rng: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
    torch.set_rng_state(tensors["rng/torch"])
    if rng["cuda"] and torch.cuda.is_available():
        cuda = [tensors[f"rng/cuda/{i}"] for i in range(rng["cuda"])]
        if len(cuda) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(cuda)
    kind, pos, has_gauss, gauss = rng["numpy"]
    keys = tensors["rng/numpy"].numpy().astype(np.uint32)
    np.random.set_state((kind, keys, pos, has_gauss, gauss))
    version, internal, python_gauss = rng["python"]
    random.setstate((version, tuple(internal), python_gauss))


def clear(folder: Path) -> None:
    """Remove a finished training's checkpoints."""
    shutil.rmtree(folder, ignore_errors=True)
