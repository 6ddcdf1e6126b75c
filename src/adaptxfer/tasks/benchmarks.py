"""The XTREME and XTREME-R benchmarks as data: which adaptxfer targets make each one up,
in which languages.

As ``TASK2LANGS`` of google-research/xtreme's ``evaluate.py``: XTREME's 9 tasks, and
XTREME-R's 10 (XNLI, XCOPA, UD-POS and WikiANN with XTREME-R's languages, XQuAD with
Romanian, MLQA, TyDiQA-GoldP, Mewsli-X, LAReQA, Tatoeba with XTREME-R's languages). The
benchmark score is the mean of the task scores (see :mod:`adaptxfer.report.benchmark`).
"""

from __future__ import annotations

from dataclasses import dataclass

from adaptxfer.tasks import languages as L


@dataclass(frozen=True)
class Benchmark:
    name: str
    reference: str
    targets: dict[str, tuple[str, ...]]  # adaptxfer target -> the benchmark's languages


BENCHMARKS: dict[str, Benchmark] = {
    "xtreme": Benchmark(
        "XTREME",
        "Hu et al. 2020",
        {
            "xnli": L.XNLI,
            "pawsx": L.PAWSX,
            "udpos": L.UDPOS,
            "panx": L.PANX,
            "xquad": L.XQUAD,
            "mlqa": L.MLQA,
            "tydiqa": L.TYDIQA,
            "bucc2018": L.BUCC,
            "tatoeba": L.TATOEBA,
        },
    ),
    "xtreme-r": Benchmark(
        "XTREME-R",
        "Ruder et al. 2021",
        {
            "xnli": L.XNLI,
            "xcopa": L.XCOPA,
            "udpos-r": L.UDPOS_R,
            "wikiann": L.WIKIANN_R,
            "xquad-ro": L.XQUAD_R,
            "mlqa": L.MLQA,
            "tydiqa": L.TYDIQA,
            "mewsli-x": L.MEWSLIX,
            "lareqa": L.LAREQA,
            "tatoeba-r": L.TATOEBA_R,
        },
    ),
}
