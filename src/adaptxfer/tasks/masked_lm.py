"""Masked-LM intermediate tasks on unlabelled text, built on demand (not registered):

- ``mlm@lang``: the Bible text of ``lang`` (train-split books for training, dev-split
  books for the dev score; :mod:`adaptxfer.language_adapters.texts`), offline;
- ``mlm-wiki@lang``: Wikipedia in ``lang`` from the Hub (``wikimedia/wikipedia``, the
  ``20231101`` dump, streamed: only the articles needed are read). Every
  :data:`DEV_EVERY`-th article (in dump order) is dev, the others train; each split is the
  first paragraphs (at least :data:`MIN_CHARS` characters) of its articles, in dump order,
  so a smaller sample is a prefix of a larger one. Offline, the same rows (one article per
  line with a ``text`` field, the Hub schema) are read from
  ``<data_dir>/mlm-wiki/<lang>/articles.jsonl``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

from adaptxfer.errors import DataError, MissingAssetError, UnknownNameError
from adaptxfer.tasks.spec import BuiltSource, TaskSpec

MLM_TASK = "mlm"
WIKI_MLM_TASK = "mlm-wiki"
MLM_TASKS = (MLM_TASK, WIKI_MLM_TASK)
WIKIPEDIA = "wikimedia/wikipedia"
WIKIPEDIA_DUMP = "20231101"
WIKIPEDIA_CODE = re.compile(r"[a-z]{2,3}(-[a-z]+)?")
DEV_EVERY = 50
MIN_CHARS = 40
DEFAULT_TEXTS = 20_000  # paragraphs read when a caller sets no cap


def _bible_texts(lang: str, split: str, seed: int, max_examples: int | None, *, of: str) -> Any:
    import datasets

    from adaptxfer.language_adapters.texts import language_texts

    texts = language_texts(of, split, n=max_examples, seed=seed)
    return datasets.Dataset.from_dict({"text": texts})


def masked_lm_spec(task: str, lang: str) -> TaskSpec:
    """The masked-LM task ``task`` (``mlm`` or ``mlm-wiki``) on ``lang``'s text."""
    if task == MLM_TASK:
        from adaptxfer.tasks.bible import PREFERRED

        build = partial(_bible_texts, of=lang)
        source = BuiltSource(build, f"Bible text, translation {PREFERRED.get(lang, '?')}")
        where = "Bible verses (train-split books)"
    else:
        source = BuiltSource(
            partial(_wiki_texts, of=lang),
            f"{WIKIPEDIA} ({WIKIPEDIA_DUMP}.{lang}), streamed",
            takes_data_dir=True,
        )
        where = "Wikipedia paragraphs"
    return TaskSpec(
        name=f"{task}@{lang}",
        role="intermediate",
        kind="masked_lm",
        languages=(lang,),
        train_language=lang,
        source=source,
        metric="masked_accuracy",
        description=f"masked-LM on {lang} {where}",
    )


def wiki_language_problem(lang: str | None) -> str | None:
    if lang is None or not WIKIPEDIA_CODE.fullmatch(lang):
        got = "no language" if lang is None else repr(lang)
        return (
            f"mlm-wiki needs a Wikipedia language code (mlm-wiki@LANG, e.g. mlm-wiki@de), got {got}"
        )
    return None


def _wiki_texts(
    lang: str,
    split: str,
    seed: int,
    max_examples: int | None,
    *,
    of: str,
    data_dir: str | Path | None = None,
) -> Any:
    import datasets

    if split not in ("train", "dev"):
        raise UnknownNameError(f"split of {WIKI_MLM_TASK}", split, ["train", "dev"])
    wanted = max_examples or DEFAULT_TEXTS
    texts: list[str] = []
    for i, article in enumerate(_articles(of, data_dir)):
        if (i % DEV_EVERY == 0) != (split == "dev"):
            continue
        for paragraph in article.split("\n"):
            paragraph = paragraph.strip()
            if len(paragraph) >= MIN_CHARS:
                texts.append(paragraph)
                if len(texts) == wanted:
                    return datasets.Dataset.from_dict({"text": texts})
    if not texts:
        raise MissingAssetError(f"{WIKI_MLM_TASK}@{of}: no {split} paragraphs in the articles")
    return datasets.Dataset.from_dict({"text": texts})


def _articles(lang: str, data_dir: str | Path | None) -> Iterator[str]:
    """Article texts in dump order: the local file if there is one, else the Hub stream."""
    local = Path(data_dir) / WIKI_MLM_TASK / lang / "articles.jsonl" if data_dir else None
    if local is not None and local.exists():
        from adaptxfer.tasks.local_files import LINE, read_jsonl

        for row in read_jsonl(local):
            if not isinstance(row.get("text"), str):
                raise DataError(
                    f"{local}:{row[LINE]}: field 'text': expected the article's text (a string)"
                )
            yield row["text"]
        return
    import datasets

    config = f"{WIKIPEDIA_DUMP}.{lang}"
    try:
        stream = datasets.load_dataset(WIKIPEDIA, config, split="train", streaming=True)
        for row in stream:
            yield row["text"]
    except Exception as err:  # offline, unknown config: say where the text comes from
        hint = local or "<data_dir>/mlm-wiki/<lang>/articles.jsonl"
        raise MissingAssetError(
            f"{WIKI_MLM_TASK}@{lang}: cannot stream Hub dataset {WIKIPEDIA} ({config}): "
            f"{type(err).__name__}: {err}. Offline, put the articles (one JSON object per "
            f"line with a 'text' field) at {hint}"
        ) from None
