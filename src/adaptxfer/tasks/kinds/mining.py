"""Bitext mining (BUCC-style): find the translation pairs hidden among distractors.

Canonical columns: ``side`` ("source" = the other language, "target" = English), ``id``,
``text`` and ``gold`` (for a source sentence, the id of its English translation, or "").
Candidates are scored by margin (ratio) over cosine similarity of mean-pooled hidden
states; the decision threshold is the one maximising F1 on the dev split, applied to the
evaluation split, as in the BUCC 2018 protocol.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from adaptxfer.tasks.kinds.base import TaskKind
from adaptxfer.tasks.kinds.retrieval import sentence_vectors
from adaptxfer.tasks.validation import (
    Problem,
    RowCheck,
    id_problem,
    one_of_problem,
    shown,
    text_problem,
)

if TYPE_CHECKING:
    from adaptxfer.tasks.model import TaskModel
    from adaptxfer.tasks.settings import EvalSettings
    from adaptxfer.tasks.spec import TaskSpec


class MiningKind(TaskKind):
    name = "mining"
    columns = ("side", "id", "text", "gold")
    trainable = False

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
        return ("dev", settings.split) if settings.split != "dev" else ("dev",)

    def _candidates(
        self,
        task: TaskSpec,
        model: TaskModel,
        data: Any,
        tokenizer: Any,
        settings: EvalSettings,
        lang: str,
    ) -> tuple[list[tuple[str, str, float]], set[tuple[str, str]]]:
        from adaptxfer.metrics import mine_candidates

        rows = data.to_list()
        source = [r for r in rows if r["side"] == "source"]
        target = [r for r in rows if r["side"] == "target"]
        src = sentence_vectors(
            model, tokenizer, [r["text"] for r in source], settings, f"{task.name} {lang}"
        )
        tgt = sentence_vectors(
            model, tokenizer, [r["text"] for r in target], settings, f"{task.name} en"
        )
        candidates = mine_candidates(
            src, tgt, [r["id"] for r in source], [r["id"] for r in target], k=settings.margin_k
        )
        gold = {(r["id"], r["gold"]) for r in source if r["gold"]}
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
        from adaptxfer.metrics import bucc_f1, bucc_optimal_threshold

        dev_candidates, dev_gold = self._candidates(
            task, model, splits["dev"], tokenizer, settings, lang
        )
        threshold = bucc_optimal_threshold(dev_candidates, dev_gold)
        if settings.split == "dev":
            candidates, gold = dev_candidates, dev_gold
        else:
            candidates, gold = self._candidates(
                task, model, splits[settings.split], tokenizer, settings, lang
            )
        return dict(bucc_f1(candidates, gold, threshold))
