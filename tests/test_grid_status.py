"""``adaptxfer status`` and the grid's live progress: read from the grid dir alone, for a
real grid that runs in another process and is then killed with SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from adaptxfer.cli import EXIT_BAD_INPUT, EXIT_OK, main
from adaptxfer.grid.status import INTERRUPTED, read_status
from test_grid import write_grid  # the tiny base recipe the grid tests share


@pytest.mark.slow
def test_status_of_a_grid_killed_while_a_cell_runs(tmp_path: Path) -> None:
    """Three cells: the baseline finishes, mnli (no data) fails, and the grid is killed
    while the bible-para-en cell runs. Status sees each state, live and after the kill."""
    grid = write_grid(
        tmp_path,
        f"set: {{data_dir: {tmp_path / 'no-data'}}}\n"
        "intermediates: [mnli, bible-para-en]\ntargets: [bible-para-x]\n"
        "languages: [de]\nseeds: [0]\n",
    )
    (tmp_path / "no-data").mkdir()  # exists (the preflight check passes) but holds no mnli
    out = tmp_path / "out"
    console = tmp_path / "console.txt"
    command = [sys.executable, "-m", "adaptxfer.cli", "grid", str(grid), "-o", str(out)]
    env = {**os.environ, "ADAPTXFER_PROGRESS": "0"}
    with open(console, "w", encoding="utf-8") as sink:
        proc = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT)
        try:
            live = _wait_for_the_third_cell(out, proc)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
    assert live.driver_running
    assert [c.state for c in live.cells] == ["done", "failed", "running"]

    status = read_status(out)
    assert not status.driver_running
    assert {s: status.count(s) for s in ("done", "running", "failed", "left")} == {
        "done": 1, "running": 0, "failed": 1, "left": 1,
    }  # fmt: skip
    assert status.cells[2].note == INTERRUPTED
    assert "mnli" in status.cells[1].note and "no-data" in status.cells[1].note
    assert (status.adapters.total, status.adapters.trained, status.adapters.training) == (2, 1, 0)
    assert status.elapsed and status.elapsed > 0 and status.estimate and status.estimate > 0

    # The driver printed its progress after each cell; other libraries stayed off.
    printed = console.read_text(encoding="utf-8")
    assert "cells 1/3 done, 0 running, 0 failed, 2 left" in printed
    assert "cells 1/3 done, 0 running, 1 failed, 1 left" in printed
    assert "Map" not in printed and "kernels-community" not in printed
    assert "Map: 100%" in (out / "run.log").read_text(encoding="utf-8")


def _wait_for_the_third_cell(out: Path, proc: subprocess.Popen) -> object:
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the grid ended before its third cell was seen running"
        if (out / "grid.json").exists():
            status = read_status(out)
            if status.cells[-1].state == "running":
                return status
        time.sleep(0.2)
    raise AssertionError("the third cell did not start in time")


def test_status_command_prints_counts_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """A grid dir as a killed run leaves it, made by hand: status reads it (fast)."""
    out = tmp_path / "g"
    cells = [{"id": f"c{i}", "dir": f"cells/c{i}", "intermediates": ["k1"]} for i in range(4)]
    manifest = {"grid": "demo", "started": time.time() - 90, "cells": cells,
                "intermediates": [{"key": "k1", "chain": ["bible-para-en"], "seed": 0}]}  # fmt: skip
    (out / "cells").mkdir(parents=True)
    (out / "grid.json").write_text(json.dumps(manifest), encoding="utf-8")
    for i in (0, 1):
        (out / "cells" / f"c{i}").mkdir()
        (out / "cells" / f"c{i}" / "results.json").write_text('{"seconds": 30}', encoding="utf-8")
    (out / "cells" / "c2").mkdir()
    (out / "cells" / "c2" / "run.log").write_text(
        "# adaptxfer log (adaptxfer 0.1.0, now): not run\nintermediate x failed: boom\n",
        encoding="utf-8",
    )
    (out / "cells" / ".c3.partial-abc").mkdir()  # killed mid-run: its log is not locked
    (out / "cells" / ".c3.partial-abc" / "run.log").write_text("# adaptxfer log\n")
    (out / "store" / "k1").mkdir(parents=True)
    (out / "store" / "k1" / "artifact.json").write_text("{}", encoding="utf-8")

    assert main(["status", str(out), "--cells"]) == EXIT_OK
    text = capsys.readouterr().out
    assert "cells: 4 — 2 done, 0 running, 1 failed, 1 left (1 interrupted)" in text
    assert "intermediate adapters: 1 — 1 trained, 0 training, 0 to train; reused 1 times" in text
    assert "failed c2: intermediate x failed: boom" in text
    assert "driver: not running" in text and "~1m00s to finish if resumed" in text

    assert main(["status", str(out), "--format", "json"]) == EXIT_OK
    data = json.loads(capsys.readouterr().out)
    assert data["counts"] == {"done": 2, "running": 0, "failed": 1, "left": 1}
    # resuming reruns the failed and the interrupted cell: 2 x the mean 30 s
    assert data["estimate_seconds"] == pytest.approx(2 * 30)
    assert [c["state"] for c in data["cells"]] == ["done", "done", "failed", "left"]

    assert main(["status", str(tmp_path)]) == EXIT_BAD_INPUT
    assert "not a grid dir (no grid.json)" in capsys.readouterr().err
