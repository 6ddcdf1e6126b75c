"""A small CoNLL-U reader: Universal Dependencies files as a ``datasets.Dataset``.

Rows follow the Hub schemas of the UD-POS data: ``tokens`` with ``pos_tags`` (the
``google/xtreme`` udpos configs) and, for readers of ``universal_dependencies``, the same
tags as ``upos`` plus ``xpos``. As in XTREME's conversion, a multiword token (``1-2 del``)
is kept as its surface form, tagged with the UPOS of its first syntactic word, and empty
nodes (``8.1``) are skipped, so the tokens are the words a reader sees.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from adaptxfer.errors import DataError
from adaptxfer.tasks.local_files import LINE
from adaptxfer.text_files import read_utf8

COLUMNS = 10


WORD_ID = re.compile(r"^[1-9]\d*$")
RANGE_ID = re.compile(r"^([1-9]\d*)-([1-9]\d*)$")
EMPTY_NODE_ID = re.compile(r"^\d+\.[1-9]\d*$")


def parse_conllu(text: str, source: str = "<string>") -> list[dict[str, Any]]:
    """Sentences as ``{"tokens", "pos_tags", "upos", "xpos", LINE}`` dicts (``LINE``: the
    line of the sentence's first word, for messages about it)."""
    sentences: list[dict[str, Any]] = []
    tokens: list[str] = []
    upos: list[str] = []
    xpos: list[str] = []
    first_line = 0
    covered_until = 0  # last word id inside the current multiword token

    def close() -> None:
        if tokens:
            sentences.append(
                {
                    "tokens": list(tokens),
                    "pos_tags": list(upos),
                    "upos": list(upos),
                    "xpos": list(xpos),
                    LINE: first_line,
                }
            )
        tokens.clear()
        upos.clear()
        xpos.clear()

    for number, line in enumerate(text.splitlines(), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            close()
            covered_until = 0
            continue
        if line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) != COLUMNS:
            raise DataError(
                f"{source}:{number}: a CoNLL-U word line has {COLUMNS} tab-separated columns, "
                f"found {len(cols)}"
            )
        word_id, form, _lemma, tag, xtag = cols[:5]
        if not tokens:
            first_line = number
        if EMPTY_NODE_ID.match(word_id):
            continue
        span = RANGE_ID.match(word_id)
        if span is None and not WORD_ID.match(word_id):
            raise DataError(
                f"{source}:{number}: column 1 (ID) is {word_id!r}; expected a word index "
                "(1, 2, ...), a multiword range (1-2) or an empty node (1.1)"
            )
        if span is not None:
            if int(span.group(2)) <= int(span.group(1)):
                raise DataError(
                    f"{source}:{number}: column 1 (ID) is the range {word_id!r}; a multiword "
                    "range runs from a word to a later one (e.g. 3-4)"
                )
            tokens.append(form)
            upos.append("")  # filled in by the first word of the range
            xpos.append("")
            covered_until = int(span.group(2))
            continue
        if int(word_id) <= covered_until:
            if upos and upos[-1] == "":
                upos[-1], xpos[-1] = tag, xtag
            continue
        tokens.append(form)
        upos.append(tag)
        xpos.append(xtag)
    close()
    return sentences


def read_conllu(path: str | Path) -> Any:
    """Read one CoNLL-U file into a ``datasets.Dataset`` (with each sentence's ``LINE``)."""
    import datasets

    path = Path(path)
    rows = parse_conllu(read_utf8(path, DataError), source=str(path))
    if not rows:
        raise DataError(f"{path}: no sentences found (expected CoNLL-U word lines)")
    features = datasets.Features(
        {
            name: datasets.Value("int64")
            if name == LINE
            else datasets.Sequence(datasets.Value("string"))
            for name in rows[0]
        }
    )
    return datasets.Dataset.from_list(rows, features=features)
