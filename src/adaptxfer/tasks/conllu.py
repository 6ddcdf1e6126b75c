"""A small CoNLL-U reader: Universal Dependencies files as a ``datasets.Dataset``.

Rows follow the Hub schemas of the UD-POS data: ``tokens`` with ``pos_tags`` (the
``google/xtreme`` udpos configs) and, for readers of ``universal_dependencies``, the same
tags as ``upos`` plus ``xpos``. As in XTREME's conversion, a multiword token (``1-2 del``)
is kept as its surface form, tagged with the UPOS of its first syntactic word, and empty
nodes (``8.1``) are skipped, so the tokens are the words a reader sees.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adaptxfer.errors import MissingAssetError

COLUMNS = 10


def parse_conllu(text: str, source: str = "<string>") -> list[dict[str, Any]]:
    """Sentences as ``{"tokens", "pos_tags", "upos", "xpos"}`` dicts."""
    sentences: list[dict[str, Any]] = []
    tokens: list[str] = []
    upos: list[str] = []
    xpos: list[str] = []
    covered_until = 0  # last word id inside the current multiword token

    def close() -> None:
        if tokens:
            sentences.append(
                {
                    "tokens": list(tokens),
                    "pos_tags": list(upos),
                    "upos": list(upos),
                    "xpos": list(xpos),
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
            raise MissingAssetError(
                f"{source}:{number}: a CoNLL-U word line has {COLUMNS} tab-separated columns, "
                f"found {len(cols)}"
            )
        word_id, form, _lemma, tag, xtag = cols[:5]
        if "." in word_id:
            continue
        if "-" in word_id:
            tokens.append(form)
            upos.append("")  # filled in by the first word of the range
            xpos.append("")
            covered_until = int(word_id.split("-", 1)[1])
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
    """Read one CoNLL-U file into a ``datasets.Dataset``."""
    import datasets

    path = Path(path)
    rows = parse_conllu(path.read_text(encoding="utf-8"), source=str(path))
    if not rows:
        raise MissingAssetError(f"{path}: no sentences found (expected CoNLL-U word lines)")
    features = datasets.Features(
        {name: datasets.Sequence(datasets.Value("string")) for name in rows[0]}
    )
    return datasets.Dataset.from_list(rows, features=features)
