"""Ranked retrieval from a pool (LAReQA answer retrieval, Mewsli-X entity linking).

Canonical columns: ``side`` ("query" or "candidate"), ``id``, ``text``, ``language`` and
``keys``: a query and a candidate match when they share a key (LAReQA: the question's
cross-lingual id, carried by its answer sentence in every language; Mewsli-X: the
entity id). Evaluating in language L ranks the whole candidate pool (every language)
for L's queries by cosine similarity of mean-pooled hidden states (``eval.layer``) and
reports mAP@k as XTREME-R does: per query, precision at each relevant hit within the top
k, summed and divided by min(k, number of relevant candidates); queries without any
relevant candidate in the pool are left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import torch

from adaptxfer.tasks.kinds.base import TaskKind
from adaptxfer.tasks.kinds.retrieval import sentence_vectors
from adaptxfer.tasks.scoring import score
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


def average_precision_at_k(relevant: set[str], ranked: Sequence[str], k: int) -> float:
    """AP@k of one ranked list (a fraction in [0, 1])."""
    if not relevant:
        raise ValueError("average precision needs at least one relevant item")
    hits, total, seen = 0, 0.0, set()
    for rank, item in enumerate(ranked[:k], start=1):
        if item in relevant and item not in seen:
            hits += 1
            total += hits / rank
        seen.add(item)
    return total / min(k, len(relevant))


def mean_average_precision_at_k(
    ranked: Sequence[Sequence[str]], relevant: Sequence[set[str]], k: int
) -> float:
    """mAP@k in percent over queries that have at least one relevant candidate."""
    scores = [
        average_precision_at_k(rel, ranks, k)
        for ranks, rel in zip(ranked, relevant, strict=True)
        if rel
    ]
    return 100.0 * sum(scores) / len(scores) if scores else 0.0


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
    trainable = False

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
        q_vecs = sentence_vectors(
            model, tokenizer, [r["text"] for r in queries], settings, f"{task.name} {lang}"
        )
        c_vecs = sentence_vectors(
            model, tokenizer, [r["text"] for r in candidates], settings, f"{task.name} pool"
        )
        ranked = rank_candidates(q_vecs, c_vecs, [r["id"] for r in candidates], k)
        by_key: dict[str, set[str]] = {}
        for r in candidates:
            for key in r["keys"]:
                by_key.setdefault(key, set()).add(r["id"])
        relevant = [set().union(*(by_key.get(key, set()) for key in r["keys"])) for r in queries]
        return score(task.metric, ranked, relevant, lang=lang)
