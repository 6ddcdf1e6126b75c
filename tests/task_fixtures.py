"""Tiny local data files in each Hub dataset's own schema, written into a tmp data dir.

One writer per Hub schema; :func:`write_task_fixture` looks up the schema of every part
of a task's source and writes ``<data_dir>/<task>/<lang>/<split>[.<part>].jsonl`` exactly
where :func:`adaptxfer.tasks.loading.local_split_path` says a user would put it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from adaptxfer.tasks import languages as L
from adaptxfer.tasks.loading import local_split_path
from adaptxfer.tasks.spec import CombinedSource, HubSource, LocalSource, TaskSpec

N = 6  # examples per split: enough for a batch of 4 and a few windows

WORDS = [
    "Paris",
    "Berlin",
    "river",
    "bank",
    "light",
    "music",
    "garden",
    "winter",
    "letter",
    "window",
]


def _sentence(i: int, offset: int = 0) -> str:
    return " ".join(WORDS[(i + offset + k) % len(WORDS)] for k in range(5)) + "."


def nli(lang: str, split: str) -> list[dict[str, Any]]:
    return [
        {"premise": _sentence(i), "hypothesis": _sentence(i, 3), "label": i % 3, "idx": i}
        for i in range(N)
    ]


def qqp(lang: str, split: str) -> list[dict[str, Any]]:
    return [
        {
            "question1": _sentence(i) + "?",
            "question2": _sentence(i, 1) + "?",
            "label": i % 2,
            "idx": i,
        }
        for i in range(N)
    ]


def pawsx(lang: str, split: str) -> list[dict[str, Any]]:
    return [
        {"id": i, "sentence1": _sentence(i), "sentence2": _sentence(i, 2), "label": i % 2}
        for i in range(N)
    ]


def squad_like(lang: str, split: str, *, id_prefix: str = "", unanswerable: bool = False):
    rows = []
    for i in range(N):
        filler = " ".join(_sentence(i, k) for k in range(6))
        answer = f"{WORDS[i % len(WORDS)]} {i + 1900}"
        context = f"{filler} The answer is {answer} indeed. {filler}"
        start = context.index(answer)
        empty = unanswerable and i % 3 == 2
        rows.append(
            {
                "id": f"{id_prefix}{lang}-{split}-{i}",
                "title": "Fixture",
                "context": context,
                "question": f"What is the answer number {i}?",
                "answers": {
                    "text": [] if empty else [answer],
                    "answer_start": [] if empty else [start],
                },
            }
        )
    return rows


def squad_v2(lang: str, split: str) -> list[dict[str, Any]]:
    return squad_like(lang, split, unanswerable=True)


def tydiqa(lang: str, split: str) -> list[dict[str, Any]]:
    rows = squad_like(lang, split, id_prefix=f"{L.TYDIQA_NAMES[lang]}-")
    other = "english" if lang != "en" else "arabic"
    rows += squad_like(lang, split, id_prefix=f"{other}-")[:2]  # filtered out by language
    return rows


def hellaswag(lang: str, split: str) -> list[dict[str, Any]]:
    return [
        {
            "ind": i,
            "activity_label": "Fixture",
            "ctx_a": _sentence(i),
            "ctx_b": "then",
            "ctx": _sentence(i) + " then",
            "endings": [_sentence(i, k) for k in range(4)],
            "source_id": "x",
            "split": split,
            "split_type": "indomain",
            "label": str(i % 4),
        }
        for i in range(N)
    ]


def commonsense_qa(lang: str, split: str) -> list[dict[str, Any]]:
    return [
        {
            "id": f"q{i}",
            "question": _sentence(i) + "?",
            "question_concept": "thing",
            "choices": {"label": list("ABCDE"), "text": [WORDS[(i + k) % 10] for k in range(5)]},
            "answerKey": "ABCDE"[i % 5],
        }
        for i in range(N)
    ]


def cosmos_qa(lang: str, split: str) -> list[dict[str, Any]]:
    return [
        {
            "id": f"c{i}",
            "context": _sentence(i),
            "question": "Why?",
            **{f"answer{k}": _sentence(i, k) for k in range(4)},
            "label": i % 4,
        }
        for i in range(N)
    ]


def mmlu(lang: str, split: str) -> list[dict[str, Any]]:
    return [
        {
            "question": _sentence(i) + "?",
            "subject": "fixture",
            "choices": [WORDS[(i + k) % 10] for k in range(4)],
            "answer": i % 4,
        }
        for i in range(N)
    ]


def gsm8k(lang: str, split: str) -> list[dict[str, Any]]:
    return [
        {
            "question": f"Ann has {i + 2} apples and buys {i + 3} more, then doubles them. How many?",
            "answer": f"She has {i + 2}+{i + 3}=<<{i + 2}+{i + 3}={2 * i + 5}>>{2 * i + 5} apples.\n"
            f"Doubled: {2 * i + 5}*2=<<{2 * i + 5}*2={4 * i + 10}>>{4 * i + 10}\n#### {4 * i + 10}",
        }
        for i in range(N)
    ]


def mmmlu(lang: str, split: str) -> list[dict[str, Any]]:
    return [
        {
            "Unnamed: 0": i,
            "Question": f"{lang} {_sentence(i)}?",
            **{letter: WORDS[(i + k) % 10] for k, letter in enumerate("ABCD")},
            "Answer": "ABCD"[i % 4],
            "Subject": "fixture",
        }
        for i in range(N)
    ]


def mgsm(lang: str, split: str) -> list[dict[str, Any]]:
    return [
        {
            "question": f"{lang}: Ann has {i + 2} apples and buys {i + 3} more. How many?",
            "answer": None,
            "answer_number": 2 * i + 5,
            "equation_solution": None,
        }
        for i in range(N)
    ]


def social_i_qa(lang: str, split: str) -> list[dict[str, Any]]:
    return [
        {
            "context": _sentence(i),
            "question": "What will happen next?",
            "answerA": _sentence(i, 1),
            "answerB": _sentence(i, 2),
            "answerC": _sentence(i, 3),
            "label": str(i % 3 + 1),
        }
        for i in range(N)
    ]


def copa(lang: str, split: str) -> list[dict[str, Any]]:
    return [
        {
            "premise": _sentence(i),
            "choice1": _sentence(i, 1),
            "choice2": _sentence(i, 2),
            "question": ("cause", "effect")[i % 2],
            "idx": i,
            "label": i % 2,
            "changed": False,
        }
        for i in range(N)
    ]


NER_PATTERN = [1, 2, 0, 3, 0, 5, 6]  # B-PER I-PER O B-ORG O B-LOC I-LOC


def ner(lang: str, split: str) -> list[dict[str, Any]]:
    return [
        {
            "tokens": [WORDS[(i + k) % 10] for k in range(7)],
            "ner_tags": NER_PATTERN[i % 2 :] + NER_PATTERN[: i % 2],
            "langs": [lang] * 7,
        }
        for i in range(N)
    ]


def ccg(lang: str, split: str) -> list[dict[str, Any]]:
    return [
        {
            "tokens": [WORDS[(i + k) % 10] for k in range(5)],
            "tags": [(i * 7 + k * 101) % 1363 for k in range(5)],
        }
        for i in range(N)
    ]


def bucc(lang: str, split: str) -> list[dict[str, Any]]:
    return [
        {
            "source_sentence": f"{lang} {_sentence(i)}",
            "target_sentence": _sentence(i),
            "source_lang": f"{lang}-{i:06d}",
            "target_lang": f"en-{i + 100:06d}",
        }
        for i in range(N)
    ]


def tatoeba_xtreme(lang: str, split: str) -> list[dict[str, Any]]:
    return [
        {
            "source_sentence": f"{lang} {_sentence(i)}\n",
            "target_sentence": _sentence(i) + "\n",
            "source_lang": L.TATOEBA_ISO3[lang],
            "target_lang": "eng",
        }
        for i in range(N)
    ]


def tatoeba_mteb(lang: str, split: str) -> list[dict[str, Any]]:
    return [{"sentence1": f"{lang} {_sentence(i)}", "sentence2": _sentence(i)} for i in range(N)]


def mewsli(lang: str, split: str) -> list[dict[str, Any]]:
    queries = [
        {
            "side": "query",
            "id": f"{lang}-m{i}",
            "text": f"{WORDS[i]}: we met {{ {WORDS[i]} }} today.",
            "language": lang,
            "keys": [f"Q{i}"],
        }
        for i in range(N)
    ]
    entities = [
        {
            "side": "candidate",
            "id": f"Q{i}",
            "text": _sentence(i),
            "language": "en",
            "keys": [f"Q{i}"],
        }
        for i in range(N + 4)
    ]
    return queries + entities


def xquad_r(code: str) -> Callable[[str, str], list[dict[str, Any]]]:
    def rows(lang: str, split: str) -> list[dict[str, Any]]:
        out = []
        for i in range(N):
            context = f"{code} first sentence {i}. The answer {i} is here. A closing remark."
            answer = f"answer {i}"
            out.append(
                {
                    "id": f"x{i}",
                    "context": context,
                    "question": f"{code} where is answer {i}?",
                    "answers": {"text": [answer], "answer_start": [context.index(answer)]},
                }
            )
        return out

    return rows


def conllu_text(lang: str, split: str) -> str:
    lines = []
    for i in range(N):
        lines.append(f"# sent_id = {lang}-{i}")
        lines.append("1-2\tdel\t_\t_\t_\t_\t_\t_\t_\t_")
        lines.append("1\tde\tde\tADP\t_\t_\t_\t_\t_\t_")
        lines.append("2\tel\tel\tDET\t_\t_\t_\t_\t_\t_")
        for k, tag in enumerate(("NOUN", "VERB", "PUNCT"), start=3):
            lines.append(f"{k}\t{WORDS[(i + k) % 10]}\t_\t{tag}\t_\t_\t_\t_\t_\t_")
        lines.append("")
    return "\n".join(lines) + "\n"


def schema_writer(source: HubSource | LocalSource, task: TaskSpec) -> Callable[[str, str], Any]:
    """The fixture writer for one (part of a) task source, chosen by its Hub id/config."""
    if isinstance(source, LocalSource):
        return {"ccg": ccg, "mewsli-x": mewsli}[task.name]
    path, config = source.path, source.config or ""
    if path == "google/xtreme":
        for prefix, writer in (
            ("udpos", conllu_text),
            ("PAN-X", ner),
            ("MLQA", squad_like),
            ("tydiqa", tydiqa),
            ("bucc18", bucc),
            ("tatoeba", tatoeba_xtreme),
        ):
            if config.startswith(prefix):
                return writer
    if path == "nyu-mll/glue":
        return nli if config == "mnli" else qqp
    if path == "google-research-datasets/xquad_r":
        return xquad_r(config)
    return {
        "facebook/anli": nli,
        "stanfordnlp/snli": nli,
        "facebook/xnli": nli,
        "google-research-datasets/paws-x": pawsx,
        "rajpurkar/squad": squad_like,
        "rajpurkar/squad_v2": squad_v2,
        "google/xquad": squad_like,
        "Rowan/hellaswag": hellaswag,
        "tau/commonsense_qa": commonsense_qa,
        "allenai/cosmos_qa": cosmos_qa,
        "cais/mmlu": mmlu,
        "openai/gsm8k": gsm8k,
        "openai/MMMLU": mmmlu,
        "juletxara/mgsm": mgsm,
        "allenai/social_i_qa": social_i_qa,
        "aps/super_glue": copa,
        "cambridgeltl/xcopa": copa,
        "unimelb-nlp/wikiann": ner,
        "mteb/tatoeba-bitext-mining": tatoeba_mteb,
    }[path]


def _parts(task: TaskSpec, lang: str, split: str) -> dict[str | None, HubSource | LocalSource]:
    source = task.source
    if isinstance(source, CombinedSource):
        serving = source.serving(lang, split)
        if len(serving) == 1:
            return {None: next(iter(serving.values()))}
        return dict(serving)
    return {None: source}


def local_paths(task: TaskSpec, lang: str, split: str, data_dir: Path) -> list[Path]:
    """Where a user puts the local file(s) of one (task, lang, split), in reading order."""
    return [
        local_split_path(task, lang, split, data_dir, part=part, source=source)
        for part, source in _parts(task, lang, split).items()
    ]


def write_task_fixture(task: TaskSpec, lang: str, split: str, data_dir: Path) -> list[Path]:
    """Write the local file(s) of one (task, lang, split) in the Hub's schema."""
    written = []
    for part, source in _parts(task, lang, split).items():
        path = local_split_path(task, lang, split, data_dir, part=part, source=source)
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = schema_writer(source, task)(lang, split)
        if isinstance(rows, str):
            path.write_text(rows, encoding="utf-8")
        else:
            path.write_text(
                "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
            )
        written.append(path)
    return written


def eval_split_of(task: TaskSpec) -> str:
    """The split a task is evaluated on in these tests: test where it has one, else dev."""
    from adaptxfer.tasks.spec import SPLITS

    source = task.source
    lang = task.languages[0]
    if isinstance(source, CombinedSource):
        have = [s for s in SPLITS if source.serving(lang, s)]
    elif isinstance(source, LocalSource):
        have = list(source.splits)
    else:
        have = [s for s in SPLITS if source.serves(lang, s)]
    return "test" if "test" in have else "dev"
