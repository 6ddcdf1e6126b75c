"""Extractive QA (SQuAD v1.1/v2.0, XQuAD, MLQA, TyDiQA-GoldP): predict an answer span.

Canonical columns: ``id``, ``context``, ``question`` and ``answers``
(``{"text": [...], "answer_start": [...]}``, empty lists for unanswerable questions).

Long contexts are split into overlapping windows (``doc_stride`` tokens of overlap) with
the fast tokenizer's offset mapping. In training, a window that does not contain the
answer (and every window of an unanswerable question) points at the ``<s>`` position.
At evaluation the ``n_best`` start and end positions of each window are paired into spans
of at most ``max_answer_length`` tokens; an example's answer is its best span over all
windows, or "" (SQuAD 2.0) when the null score (``<s>`` start + end) beats it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch.nn import functional as F

from adaptxfer.tasks import skips
from adaptxfer.tasks.kinds.base import PredictingKind, row_logits
from adaptxfer.tasks.validation import Problem, RowCheck, id_problem, shown, text_problem

if TYPE_CHECKING:
    from adaptxfer.tasks.model import TaskModel
    from adaptxfer.tasks.settings import EvalSettings
    from adaptxfer.tasks.spec import TaskSpec

NO_OFFSET = (-1, -1)  # question and special tokens: never part of an answer
DEFAULT_TRAIN_STRIDE = 128


def _clip_question(tokenizer: Any, questions: list[str], max_tokens: int) -> tuple[list[str], int]:
    """Cut questions to ``max_tokens`` tokens (at a token boundary); return the longest."""
    enc = tokenizer(questions, add_special_tokens=False, return_offsets_mapping=True)
    clipped, longest = [], 0
    for question, offsets in zip(questions, enc["offset_mapping"], strict=True):
        if len(offsets) > max_tokens:
            question = question[: offsets[max_tokens - 1][1]]
        clipped.append(question)
        longest = max(longest, min(len(offsets), max_tokens))
    return clipped, longest


def encode_windows(
    rows: Mapping[str, list[Any]],
    tokenizer: Any,
    max_length: int,
    doc_stride: int,
    *,
    train: bool,
) -> dict[str, list[Any]]:
    """Tokenise (question, context) pairs into overlapping windows of ``max_length``.

    The overlap (``doc_stride``) is capped at half the room the longest question leaves
    for context: the fast tokenizer aborts (a Rust panic) when the overlap does not fit
    in a window, and a larger overlap would advance windows by a few tokens at a time.
    """
    max_query = max(1, max_length // 4)
    questions, longest = _clip_question(
        tokenizer, [q.lstrip() for q in rows["question"]], max_query
    )
    room = max_length - longest - tokenizer.num_special_tokens_to_add(pair=True)
    stride = max(0, min(doc_stride, room // 2))
    enc = tokenizer(
        questions,
        rows["context"],
        truncation="only_second",
        max_length=max_length,
        stride=stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
    )
    sample_map = enc.pop("overflow_to_sample_mapping")
    offsets_all = enc.pop("offset_mapping")
    out: dict[str, list[Any]] = {
        "input_ids": enc["input_ids"],
        "attention_mask": enc["attention_mask"],
    }
    out["example_id"] = []
    if train:
        out["labels"] = []
    else:
        out["offsets"] = []
    for i, offsets in enumerate(offsets_all):
        sequence = enc.sequence_ids(i)
        sample = sample_map[i]
        out["example_id"].append(rows["id"][sample])
        if not train:
            out["offsets"].append(
                [list(o) if sequence[t] == 1 else list(NO_OFFSET) for t, o in enumerate(offsets)]
            )
            continue
        answers = rows["answers"][sample]
        out["labels"].append(list(_answer_tokens(answers, offsets, sequence)))
    return out


def _answer_tokens(
    answers: Mapping[str, Sequence[Any]], offsets: Sequence[Sequence[int]], sequence: list[Any]
) -> tuple[int, int]:
    """Token start/end of the first answer inside this window, else (0, 0) = ``<s>``."""
    if not answers["text"] or not answers["text"][0]:
        return 0, 0
    start_char = int(answers["answer_start"][0])
    end_char = start_char + len(answers["text"][0])
    context = [t for t, s in enumerate(sequence) if s == 1]
    if not context:
        return 0, 0
    first, last = context[0], context[-1]
    if offsets[first][0] > start_char or offsets[last][1] < end_char:
        return 0, 0
    start = first
    while start <= last and offsets[start][1] <= start_char:
        start += 1
    end = last
    while end >= first and offsets[end][0] >= end_char:
        end -= 1
    if start > end:
        return 0, 0
    return start, end


@dataclass
class _Best:
    score: float
    text: str


def decode_answers(
    window_logits: Sequence[torch.Tensor],
    example_ids: Sequence[str],
    offsets: Sequence[Sequence[Sequence[int]]],
    contexts: Mapping[str, str],
    *,
    n_best: int,
    max_answer_length: int,
    allow_null: bool,
) -> dict[str, str]:
    """Answer text per example from per-window [tokens, 2] start/end logits."""
    best: dict[str, _Best] = {}
    null: dict[str, float] = {}
    for logits, example, window_offsets in zip(window_logits, example_ids, offsets, strict=True):
        length = len(window_offsets)
        start_logits, end_logits = logits[:length, 0], logits[:length, 1]
        null_score = float(start_logits[0] + end_logits[0])
        null[example] = min(null_score, null.get(example, float("inf")))
        valid = torch.tensor([tuple(o) != NO_OFFSET for o in window_offsets])
        if not bool(valid.any()):
            continue
        k = min(n_best, int(valid.sum()))
        masked_start = start_logits.masked_fill(~valid, float("-inf"))
        masked_end = end_logits.masked_fill(~valid, float("-inf"))
        starts = torch.topk(masked_start, k).indices.tolist()
        ends = torch.topk(masked_end, k).indices.tolist()
        context = contexts[example]
        for s in starts:
            for e in ends:
                if e < s or e - s + 1 > max_answer_length:
                    continue
                span_score = float(start_logits[s] + end_logits[e])
                if example not in best or span_score > best[example].score:
                    # XLM-R's offsets include a word's leading space
                    text = context[window_offsets[s][0] : window_offsets[e][1]].strip()
                    best[example] = _Best(span_score, text)
    answers = {}
    for example in null:
        found = best.get(example)
        if found is None or (allow_null and null[example] > found.score):
            answers[example] = ""
        else:
            answers[example] = found.text
    return answers


class ExtractiveQAKind(PredictingKind):
    name = "extractive_qa"
    columns = ("id", "context", "question", "answers")

    def row_check(self, task: TaskSpec, data: Any, split: str) -> RowCheck:
        """Present id, context and question; answers as ``{"text": [...], "answer_start":
        [...]}``. Training reads each answer at its offset, so there it must be exactly at
        ``answer_start``; scoring reads only the text, which must occur in the context."""
        allow_null = self.allows_null(task)
        exact = split == "train"

        def answers_problem(answers: Any, context: str) -> Problem | None:
            form = "expected {'text': [...], 'answer_start': [...]}"
            if not isinstance(answers, Mapping):
                found = "missing or null" if answers is None else f"got {shown(answers)}"
                return Problem("answers", f"{found}; {form}", "malformed answers")
            texts, starts = answers.get("text"), answers.get("answer_start")
            if not isinstance(texts, list) or not isinstance(starts, list):
                return Problem(
                    "answers", f"got {shown(dict(answers))}; {form}", "malformed answers"
                )
            if len(texts) != len(starts):
                message = f"{len(texts)} texts but {len(starts)} answer_start values"
                return Problem("answers", message, "malformed answers")
            if not texts and not allow_null:
                message = f"has no answer, but task {task.name!r} has no unanswerable questions"
                return Problem("answers", message, "no answer")
            for text, start in zip(texts, starts, strict=True):
                if not isinstance(text, str) or not text.strip():
                    return Problem("answers", f"answer text {shown(text)} is empty", "empty answer")
                if not isinstance(start, int) or isinstance(start, bool) or start < 0:
                    message = f"answer_start {shown(start)} is not a character offset"
                    return Problem("answers", message, "malformed answers")
                at = context[start : start + len(text)]
                if at != text and (exact or text not in context):
                    where = f"at answer_start {start} (found {shown(at)})" if exact else ""
                    message = f"answer {shown(text)} is not in its context {where}".rstrip()
                    return Problem("answers", message, "answer not in its context")
            return None

        def check(row: Mapping[str, Any]) -> Problem | None:
            return (
                id_problem(row)
                or text_problem(row, "context")
                or text_problem(row, "question")
                or answers_problem(row.get("answers"), row["context"])
            )

        return check

    def convert(self, task: TaskSpec, data: Any) -> Any:
        if data.features["id"].dtype != "string":
            data = data.map(lambda row: {"id": str(row["id"])})
        return data

    def head_config(self, task: TaskSpec, hidden_size: int) -> dict[str, Any]:
        return {"type": "span", "hidden_size": hidden_size}

    def featurize(
        self, task: TaskSpec, data: Any, tokenizer: Any, max_length: int, *, train: bool
    ) -> Any:
        stride = int(task.kind_options.get("doc_stride", DEFAULT_TRAIN_STRIDE))
        windows = self._windows(data, tokenizer, max_length, stride, train=train)
        return self._without_lost_answers(task, data, windows, max_length) if train else windows

    def _without_lost_answers(
        self, task: TaskSpec, data: Any, windows: Any, max_length: int
    ) -> Any:
        """Drop the windows of answerable examples whose answer lies in none of them (an
        answer longer than a window, or cut by the question's share of it): trained on,
        they would teach that the question has no answer. Skipped and counted."""
        answerable = {i for i, a in zip(data["id"], data["answers"], strict=True) if a["text"]}
        found = {
            example
            for example, label in zip(windows["example_id"], windows["labels"], strict=True)
            if tuple(label) != (0, 0)
        }
        lost = answerable - found
        if lost:
            windows = windows.filter(lambda row: row["example_id"] not in lost)
            skips.note(
                skips.Skipped(
                    task.name,
                    task.train_language,
                    "train",
                    f"answer outside every {max_length}-token window",
                    len(lost),
                    len(data),
                    "training windows",
                )
            )
        return windows.remove_columns("example_id")

    def _windows(
        self, data: Any, tokenizer: Any, max_length: int, stride: int, *, train: bool
    ) -> Any:
        return data.map(
            lambda rows: encode_windows(rows, tokenizer, max_length, stride, train=train),
            batched=True,
            remove_columns=data.column_names,
        )

    def loss(self, logits: torch.Tensor, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        labels = batch["labels"]
        start = F.cross_entropy(logits[..., 0], labels[:, 0])
        end = F.cross_entropy(logits[..., 1], labels[:, 1])
        return (start + end) / 2

    def allows_null(self, task: TaskSpec) -> bool:
        return bool(task.kind_options.get("unanswerable", task.metric == "squad_v2"))

    def predict(
        self,
        task: TaskSpec,
        model: TaskModel,
        data: Any,
        tokenizer: Any,
        settings: EvalSettings,
        lang: str,
    ) -> dict[str, str]:
        windows = self._windows(
            data, tokenizer, settings.max_length, settings.doc_stride, train=False
        )
        rows = row_logits(self, model, windows, tokenizer, settings, f"{task.name} {lang}")
        per_window = rows
        return decode_answers(
            per_window,
            windows["example_id"],
            windows["offsets"],
            dict(zip(data["id"], data["context"], strict=True)),
            n_best=settings.n_best,
            max_answer_length=settings.max_answer_length,
            allow_null=self.allows_null(task),
        )

    def references(self, data: Any) -> dict[str, list[str]]:
        return {
            row_id: list(answers["text"])
            for row_id, answers in zip(data["id"], data["answers"], strict=True)
        }
