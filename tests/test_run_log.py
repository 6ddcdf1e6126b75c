"""Quiet logs in-process: datasets' real Map bar and a library's warning reach the log file
and not the console; adaptxfer's own lines reach both; ``--verbose`` shows all on the
console. (The end-to-end check, with bitsandbytes' import-time notice, is in test_run.)"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from adaptxfer.run_log import log_file, quiet_console, say


def _work() -> None:
    import datasets

    datasets.Dataset.from_list([{"x": i} for i in range(40)]).map(lambda row: row)
    logging.getLogger("transformers.modeling_utils").warning("a library warns")
    say("adaptxfer's own progress line")


@pytest.mark.parametrize("verbose", [False, True])
def test_library_output_goes_to_the_log_and_only_verbose_shows_it(
    tmp_path: Path, capsys: pytest.CaptureFixture, verbose: bool
) -> None:
    log = tmp_path / "run.log"
    with quiet_console(verbose), log_file(log):
        _work()
    captured = capsys.readouterr()
    text = log.read_text(encoding="utf-8")
    assert text.startswith("# adaptxfer log")
    assert "Map: 100%" in text and "40/40" in text  # the bar's final state, once
    assert text.count("Map: 100%") == 1 and "Map:   0%" not in text
    assert "WARNING transformers.modeling_utils: a library warns" in text
    assert "adaptxfer's own progress line" in text
    assert "adaptxfer's own progress line" in captured.out
    assert ("a library warns" in captured.err) is verbose
    assert ("Map" in captured.err) is verbose


def test_records_before_the_log_opens_are_kept_for_it(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """bitsandbytes logs at import, before a run dir exists: the first log gets it."""
    with quiet_console():
        logging.getLogger("bitsandbytes.backends.cpu.ops").warning("at import time")
        with log_file(tmp_path / "first.log"):
            pass
        with log_file(tmp_path / "second.log"):
            pass
    assert "at import time" in (tmp_path / "first.log").read_text(encoding="utf-8")
    assert "at import time" not in (tmp_path / "second.log").read_text(encoding="utf-8")
    assert "at import time" not in capsys.readouterr().err
