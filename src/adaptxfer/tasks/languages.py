"""The XTREME and XTREME-R language lists, as data (ISO 639-1 codes unless noted).

Sources (checked against the benchmark's own code, google-research/xtreme):
- XTREME (Hu et al., 2020): ``TASK2LANGS`` in ``evaluate.py`` — pawsx, xnli, panx,
  udpos, bucc2018, tatoeba, xquad, mlqa, tydiqa.
- XTREME-R (Ruder et al., 2021): ``TASK2LANGS`` of ``evaluate.py`` for XTREME-R (UD-POS:
  the XTREME 33 plus lt pl uk wo ro, from UD v2.7), ``scripts/download_data.sh`` (XCOPA
  languages; the WikiANN list, i.e. panx plus qu pl uk az lt pa gu ro), ``scripts/run_tatoeba.sh``
  (Tatoeba: the XTREME 36 plus az lt pl uk ro), ``third_party/utils_mewslix.py``
  (``MENTION_LANGUAGES``), LAReQA's XQuAD-R (the 11 XQuAD languages) and XQuAD with
  Romanian (12).
Order follows the source lists; code that needs a stable order should sort.
"""

from __future__ import annotations


def _codes(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# -- XTREME -------------------------------------------------------------------------------
XNLI = _codes("ar bg de el en es fr hi ru sw th tr ur vi zh")
PAWSX = _codes("de en es fr ja ko zh")
UDPOS = _codes(
    "af ar bg de el en es et eu fa fi fr he hi hu id it ja kk ko mr nl pt ru ta te th tl tr "
    "ur vi yo zh"
)
PANX = _codes(
    "ar he vi id jv ms tl eu ml ta te af nl en de el bn hi mr ur fa fr it pt es bg ru ja ka "
    "ko th sw yo my zh kk tr et fi hu"
)
XQUAD = _codes("en es de el ru tr ar vi th zh hi")
MLQA = _codes("en es de ar hi vi zh")
TYDIQA = _codes("en ar bn fi id ko ru sw te")
BUCC = _codes("de fr ru zh")
TATOEBA = _codes(
    "ar he vi id jv tl eu ml ta te af nl de el bn hi mr ur fa fr it pt es bg ru ja ka ko th "
    "sw zh kk tr et fi hu"
)

# -- XTREME-R additions -------------------------------------------------------------------
XCOPA = _codes("et ht id it qu sw ta th tr vi zh")
UDPOS_R = UDPOS + _codes("lt pl uk wo ro")
WIKIANN_R = PANX + _codes("qu pl uk az lt pa gu ro")
TATOEBA_R = TATOEBA + _codes("az lt pl uk ro")
MEWSLIX = _codes("ar de en es fa ja pl ro ta tr uk")
LAREQA = _codes("ar de el en es hi ru th tr vi zh")
XQUAD_R = (*XQUAD, "ro")

# -- per-dataset language names and codes on the Hub ----------------------------------------
# google/xtreme names its udpos configs by English language name (udpos.<Name>); it has the
# XTREME 33 only (lt pl uk wo ro, added by XTREME-R, are local files).
UD_NAMES = {
    "af": "Afrikaans",
    "ar": "Arabic",
    "bg": "Bulgarian",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "et": "Estonian",
    "eu": "Basque",
    "fa": "Persian",
    "fi": "Finnish",
    "fr": "French",
    "he": "Hebrew",
    "hi": "Hindi",
    "hu": "Hungarian",
    "id": "Indonesian",
    "it": "Italian",
    "ja": "Japanese",
    "kk": "Kazakh",
    "ko": "Korean",
    "lt": "Lithuanian",
    "mr": "Marathi",
    "nl": "Dutch",
    "pl": "Polish",
    "pt": "Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "ta": "Tamil",
    "te": "Telugu",
    "th": "Thai",
    "tl": "Tagalog",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "ur": "Urdu",
    "vi": "Vietnamese",
    "wo": "Wolof",
    "yo": "Yoruba",
    "zh": "Chinese",
}

# Tatoeba (LASER's test sets) uses ISO 639-3 codes, e.g. google/xtreme tatoeba.<code>.
TATOEBA_ISO3 = {
    "af": "afr",
    "ar": "ara",
    "az": "aze",
    "bg": "bul",
    "bn": "ben",
    "de": "deu",
    "el": "ell",
    "es": "spa",
    "et": "est",
    "eu": "eus",
    "fa": "pes",
    "fi": "fin",
    "fr": "fra",
    "he": "heb",
    "hi": "hin",
    "hu": "hun",
    "id": "ind",
    "it": "ita",
    "ja": "jpn",
    "jv": "jav",
    "ka": "kat",
    "kk": "kaz",
    "ko": "kor",
    "lt": "lit",
    "ml": "mal",
    "mr": "mar",
    "nl": "nld",
    "pl": "pol",
    "pt": "por",
    "ro": "ron",
    "ru": "rus",
    "sw": "swh",
    "ta": "tam",
    "te": "tel",
    "th": "tha",
    "tl": "tgl",
    "tr": "tur",
    "uk": "ukr",
    "ur": "urd",
    "vi": "vie",
    "zh": "cmn",
}

# TyDiQA-GoldP ids start with the language's English name ("finnish-1438...-0").
TYDIQA_NAMES = {
    "en": "english",
    "ar": "arabic",
    "bn": "bengali",
    "fi": "finnish",
    "id": "indonesian",
    "ko": "korean",
    "ru": "russian",
    "sw": "swahili",
    "te": "telugu",
}
