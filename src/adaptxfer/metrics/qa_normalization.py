"""Answer normalisation of the SQuAD v1.1/v2.0 and MLQA evaluation scripts.

Two rule sets, both applied in the order lower-case -> drop punctuation -> drop articles
-> re-tokenise:

- ``"squad"`` (SQuAD v1.1 script; XTREME uses it for XQuAD and TyDiQA-GoldP in every
  language): drop ASCII ``string.punctuation``, drop English ``a|an|the``, split on
  whitespace.
- ``"mlqa"`` (``mlqa_evaluation_v1.py``; XTREME's ``evaluate_mlqa.py``): drop every
  Unicode punctuation character (category ``P*``) plus ``string.punctuation``, drop
  the answer language's articles, split on whitespace, except Chinese, where each CJK
  ideograph in U+4E00-U+9FA5 is its own token (mixed segmentation) and other runs are
  split on whitespace. Hindi and Chinese have no article list. The Arabic rule of the
  reference, ``re.sub('\\sال^|ال', ' ', s)``, can only ever match its second branch, so it
  replaces *every* occurrence of "ال" (not just the word-initial article) with a space;
  we keep that so scores match published MLQA numbers.
"""

from __future__ import annotations

import re
import string
import unicodedata
from typing import Literal

from adaptxfer.errors import UnknownNameError

Normalization = Literal["squad", "mlqa"]

MLQA_LANGUAGES = ("en", "es", "de", "ar", "hi", "vi", "zh")

_ASCII_PUNCT = frozenset(string.punctuation)

_ARTICLE_WORDS: dict[str, str] = {
    "en": "a an the",
    "es": "un una unos unas el la los las",
    "de": "ein eine einen einem eines einer der die das den dem des",
    "vi": "của là cái chiếc những",
}
_ARTICLES = {
    lang: re.compile(r"\b(?:" + "|".join(words.split()) + r")\b")
    for lang, words in _ARTICLE_WORDS.items()
}
_ARABIC_ARTICLE = "ال"
_CJK = re.compile(r"[\u4e00-\u9fa5]")


def _is_unicode_punct(ch: str) -> bool:
    return ch in _ASCII_PUNCT or unicodedata.category(ch).startswith("P")


def _mixed_segmentation(text: str) -> list[str]:
    """CJK ideographs (and punctuation) as single tokens, whitespace splitting elsewhere."""
    tokens: list[str] = []
    run: list[str] = []
    for ch in text:
        if _CJK.match(ch) or _is_unicode_punct(ch):
            tokens.extend("".join(run).split())
            run = []
            tokens.append(ch)
        else:
            run.append(ch)
    tokens.extend("".join(run).split())
    return tokens


def resolve_normalization(lang: str, normalization: Normalization | None) -> Normalization:
    """``None`` means SQuAD rules for English and MLQA rules for the other MLQA languages."""
    if normalization is None:
        normalization = "squad" if lang == "en" else "mlqa"
    if normalization not in ("squad", "mlqa"):
        raise UnknownNameError("answer normalisation", str(normalization), ["mlqa", "squad"])
    if normalization == "mlqa" and lang not in MLQA_LANGUAGES:
        raise UnknownNameError("MLQA answer language", lang, MLQA_LANGUAGES)
    return normalization


def answer_tokens(
    text: str, lang: str = "en", normalization: Normalization | None = None
) -> list[str]:
    """Tokens of a normalised answer, the unit of token-level F1."""
    rules = resolve_normalization(lang, normalization)
    text = text.lower()
    if rules == "squad":
        text = "".join(ch for ch in text if ch not in _ASCII_PUNCT)
        return _ARTICLES["en"].sub(" ", text).split()
    text = "".join(ch for ch in text if not _is_unicode_punct(ch))
    if lang == "ar":
        text = text.replace(_ARABIC_ARTICLE, " ")
    elif lang in _ARTICLES:
        text = _ARTICLES[lang].sub(" ", text)
    return _mixed_segmentation(text) if lang == "zh" else text.split()


def normalize_answer(
    text: str, lang: str = "en", normalization: Normalization | None = None
) -> str:
    """The normalised answer string that exact match compares."""
    return " ".join(answer_tokens(text, lang, normalization))
