"""Ranked retrieval from a pool (LAReQA answer retrieval, Mewsli-X entity linking).

Canonical columns: ``side`` ("query" or "candidate"), ``id``, ``text``, ``language`` and
``keys``: a query and a candidate match when they share a key (LAReQA: the question's
cross-lingual id, carried by its answer sentence in every language; Mewsli-X: the
entity id). Evaluating in language L ranks the whole candidate pool (every language)
for L's queries by cosine similarity of pooled hidden states (``eval.layer``,
``eval.pooling``) and scores the ranked lists with the task's metric (mAP@20, see
:mod:`adaptxfer.metrics.ranking`; LAReQA pools every language's questions).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import torch

from adaptxfer.metrics import score
from adaptxfer.tasks.kinds.base import TaskKind
from adaptxfer.tasks.kinds.retrieval import describe_encoding, sentence_vectors
from adaptxfer.tasks.validation import (
    Problem,
    RowCheck,
    found,
    id_problem,
    one_of_problem,
    text_problem,
)

if TYPE_CHECKING:
    from adaptxfer.tasks.model import TaskModel
    from adaptxfer.tasks.settings import EvalSettings
    from adaptxfer.tasks.spec import TaskSpec

DEFAULT_K = 20


def rank_candidates(
    queries: torch.Tensor, candidates: torch.Tensor, candidate_ids: Sequence[str], k: int
) -> list[list[str]]:
    """The ids of the top-k candidates per query by cosine similarity."""
    q = torch.nn.functional.normalize(queries.float(), dim=-1)
    c = torch.nn.functional.normalize(candidates.float(), dim=-1)
    top = torch.topk(q @ c.T, min(k, c.shape[0]), dim=-1).indices.tolist()
    return [[candidate_ids[j] for j in row] for row in top]


class RankingKind(TaskKind):
    name = "ranking"
    columns = ("side", "id", "text", "language", "keys")

    def protocol(self, task: TaskSpec, settings: EvalSettings) -> str:
        return describe_encoding(settings, "ranking")

    def row_check(self, task: TaskSpec, data: Any, split: str) -> RowCheck:
        def check(row: Mapping[str, Any]) -> Problem | None:
            keys = row.get("keys")
            if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
                return Problem("keys", f"{found(keys)}; expected a list of ids", "bad keys")
            if not isinstance(row.get("language"), str):
                message = f"{found(row.get('language'))}; expected a language code"
                return Problem("language", message, "bad language")
            return (
                one_of_problem(row, "side", ("query", "candidate"))
                or id_problem(row)
                or text_problem(row, "text")
            )

        return check

    def evaluate(
        self,
        task: TaskSpec,
        model: TaskModel,
        splits: Mapping[str, Any],
        tokenizer: Any,
        settings: EvalSettings,
        lang: str,
    ) -> dict[str, float]:
        rows = splits[settings.split].to_list()
        queries = [r for r in rows if r["side"] == "query" and r["language"] in (lang, "")]
        candidates = [r for r in rows if r["side"] == "candidate"]
        k = int(task.kind_options.get("k", DEFAULT_K))
        q_texts = [r["text"] for r in queries]
        c_texts = [r["text"] for r in candidates]
        q_vecs = sentence_vectors(
            model, tokenizer, q_texts, settings, "ranking", f"{task.name} {lang}"
        )
        c_vecs = sentence_vectors(
            model, tokenizer, c_texts, settings, "ranking", f"{task.name} pool"
        )
        ranked = rank_candidates(q_vecs, c_vecs, [r["id"] for r in candidates], k)
        by_key: dict[str, set[str]] = {}
        for r in candidates:
            for key in r["keys"]:
                by_key.setdefault(key, set()).add(r["id"])
        relevant = [set().union(*(by_key.get(key, set()) for key in r["keys"])) for r in queries]
        return score(task.metric, ranked, relevant, lang=lang)
