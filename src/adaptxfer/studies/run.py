"""Run a study: refuse when a cell will not fit the device, run its grid with the grid
engine (resumable, local or Ray), then write the full grid report and the study report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from adaptxfer.grid.engine import Engine, GridOutcome, run_grid
from adaptxfer.memory import available_bytes, check_fits, device_for_runs
from adaptxfer.run_log import say
from adaptxfer.studies.load import Study, cell_estimates


@dataclass
class StudyOutcome:
    grid: GridOutcome
    report: Path | None


def run_study(
    study: Study,
    output_dir: Path,
    *,
    engine: Engine = "local",
    num_cpus: float = 1,
    num_gpus: float | None = None,
    ray_address: str | None = None,
    log: Callable[[str], None] = say,
) -> StudyOutcome:
    """Every unfinished cell, then ``output_dir/report.md`` (+ figures) and the grid's
    per-language report in ``output_dir/report``. A cell estimated not to fit the free
    memory of this machine's device stops the study before anything runs (exit 2); on
    Ray the workers' devices are not known here, so no check is made."""
    from adaptxfer.report import build_report
    from adaptxfer.studies.report import write_study_report

    if engine == "local":
        device = device_for_runs()
        check_fits(cell_estimates(study.grid, device), device, available_bytes(device))
    outcome = run_grid(
        study.grid, output_dir, engine=engine, num_cpus=num_cpus, num_gpus=num_gpus,
        ray_address=ray_address, log=log,
    )  # fmt: skip
    report = None
    if outcome.ran or outcome.skipped:
        build_report([output_dir / "cells"], output_dir / "report")
        report = write_study_report(study, output_dir)
    return StudyOutcome(outcome, report)
