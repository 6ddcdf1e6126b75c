"""Studies: a grid plus the question it answers (``recipes/studies``), run by ``adaptxfer
study``, reported with an Answer computed from the runs.

Names are imported on first use (the schema and Answer logic do not need torch).
"""

from __future__ import annotations

from adaptxfer.lazy_import import lazy_getattr

_WHERE = {
    "StudySpec": "adaptxfer.studies.schema",
    "Study": "adaptxfer.studies.load",
    "load_study": "adaptxfer.studies.load",
    "run_study": "adaptxfer.studies.run",
    "answer": "adaptxfer.studies.answer",
    "write_study_report": "adaptxfer.studies.report",
}

__getattr__ = lazy_getattr(__name__, _WHERE)

__all__ = ["Study", "StudySpec", "answer", "load_study", "run_study", "write_study_report"]
