"""Bitext mining (BUCC-style): find the translation pairs hidden among distractors.

Canonical columns: ``side`` ("source" = the other language, "target" = English), ``id``,
``text`` and ``gold`` (for a source sentence, the id of its English translation, or "").
Candidates are mined as XTREME does (identical texts merged, ratio margin over cosine
similarity of pooled hidden states, see :mod:`adaptxfer.metrics.mining`); the decision
threshold is the one maximising F1 on the dev split, applied to the evaluation split, as
in the BUCC 2018 protocol, or with ``eval.bucc_threshold: oracle`` the one maximising F1
on the evaluation split itself, as XTREME's code does.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TYPE_CHECKING, Any

from adaptxfer.metrics import score
from adaptxfer.tasks.kinds.base import TaskKind
from adaptxfer.tasks.kinds.retrieval import describe_encoding, sentence_vectors
from adaptxfer.tasks.validation import (
    Problem,
    RowCheck,
    id_problem,
    one_of_problem,
    shown,
    text_problem,
)

if TYPE_CHECKING:
    from adaptxfer.metrics.mining import Candidate
    from adaptxfer.tasks.model import TaskModel
    from adaptxfer.tasks.settings import EvalSettings
    from adaptxfer.tasks.spec import TaskSpec

THRESHOLDS = {
    "dev": "threshold tuned on dev, applied to the evaluated split "
    "(eval.bucc_threshold: dev, BUCC's protocol)",
    "oracle": "threshold tuned on the evaluated split's own gold "
    "(eval.bucc_threshold: oracle, as XTREME's code; optimistic)",
}


def tunes_on_dev(settings: EvalSettings) -> bool:
    return settings.bucc_threshold == "dev" and settings.split != "dev"


class MiningKind(TaskKind):
    name = "mining"
    columns = ("side", "id", "text", "gold")

    def row_check(self, task: TaskSpec, data: Any, split: str) -> RowCheck:
        def check(row: Mapping[str, Any]) -> Problem | None:
            gold = row.get("gold")
            if gold is not None and not isinstance(gold, str):
                message = f'got {shown(gold)}; expected the English id, or ""'
                return Problem("gold", message, "bad gold id")
            return (
                one_of_problem(row, "side", ("source", "target"))
                or id_problem(row)
                or text_problem(row, "text")
            )

        return check

    def eval_splits(self, settings: EvalSettings) -> tuple[str, ...]:
        return ("dev", settings.split) if tunes_on_dev(settings) else (settings.split,)

    def protocol(self, task: TaskSpec, settings: EvalSettings) -> str:
        return f"{THRESHOLDS[settings.bucc_threshold]}; {describe_encoding(settings, 'mining')}"

    def _mine(
        self,
        task: TaskSpec,
        model: TaskModel,
        data: Any,
        tokenizer: Any,
        settings: EvalSettings,
        lang: str,
    ) -> tuple[list[Candidate], set[tuple[Hashable, Hashable]]]:
        from adaptxfer.metrics import mine_texts

        rows = data.to_list()
        source = [(r["id"], r["text"]) for r in rows if r["side"] == "source"]
        target = [(r["id"], r["text"]) for r in rows if r["side"] == "target"]

        def encode(texts: list[str], side: str) -> Any:
            where = lang if side == "source" else "en"
            return sentence_vectors(
                model, tokenizer, texts, settings, "mining", f"{task.name} {where}"
            )

        candidates = mine_texts(source, target, encode, k=settings.margin_k)
        gold = {(r["id"], r["gold"]) for r in rows if r["side"] == "source" and r["gold"]}
        return candidates, gold

    def evaluate(
        self,
        task: TaskSpec,
        model: TaskModel,
        splits: Mapping[str, Any],
        tokenizer: Any,
        settings: EvalSettings,
        lang: str,
    ) -> dict[str, float]:
        from adaptxfer.metrics import Mined

        candidates, gold = self._mine(
            task, model, splits[settings.split], tokenizer, settings, lang
        )
        tune_on = (
            self._mine(task, model, splits["dev"], tokenizer, settings, lang)
            if tunes_on_dev(settings)
            else None
        )
        return score(task.metric, Mined(candidates, tune_on), gold, lang=lang)
