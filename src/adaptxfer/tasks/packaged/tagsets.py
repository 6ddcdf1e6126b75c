"""Map each corpus's own part-of-speech tags onto the 12 universal tags of Petrov, Das and
McDonald (2012, "A universal part-of-speech tagset"):

NOUN VERB ADJ ADV PRON DET ADP NUM CONJ PRT . X  ("." = punctuation)

The tables follow the authors' published mappings (en-ptb, es-cast3lb, the CoNLL-X Dutch
coarse tags, which are Wotan's) and, for STTS, the same choices (articles DET, every
pronoun PRON, particles PRT); the two STTS adverb-like pronouns (PROAV "davon", PWAV
"wie") are ADV, as in UD German. Corpus quirks are listed where they are handled. A tag a
table does not know is an error naming the file and line, never a silent guess.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

UNIVERSAL: tuple[str, ...] = (
    "NOUN", "VERB", "ADJ", "ADV", "PRON", "DET", "ADP", "NUM", "CONJ", "PRT", ".", "X",
)  # fmt: skip


def _table(groups: Mapping[str, str]) -> Mapping[str, str]:
    """``{"NN NNS": "NOUN"}`` -> ``{"NN": "NOUN", "NNS": "NOUN"}``."""
    return MappingProxyType({tag: tag_u for tags, tag_u in groups.items() for tag in tags.split()})


PENN = _table(
    {
        "NN NNS NNP NNPS": "NOUN",
        "VB VBD VBG VBN VBP VBZ MD": "VERB",
        "JJ JJR JJS": "ADJ",
        "RB RBR RBS WRB": "ADV",
        "PRP PRP$ WP WP$": "PRON",
        "DT PDT WDT EX": "DET",
        "IN": "ADP",
        "CD": "NUM",
        "CC": "CONJ",
        "RP TO POS": "PRT",
        "-LRB- -RRB- ``": ".",
        "FW LS SYM UH": "X",
    }
)
# The Italian WaCKy sample uses a reduced Penn set: FC for ": ; -", X for symbols ("=", "+").
PENN_ITALIAN = MappingProxyType({**PENN, "FC": ".", "X": "X"})

STTS = _table(
    {
        "NN NE": "NOUN",
        "VAFIN VAIMP VAINF VAPP VMFIN VMINF VMPP VVFIN VVIMP VVINF VVIZU VVPP": "VERB",
        "ADJA ADJD": "ADJ",
        "ADV PROAV PAV PWAV": "ADV",
        "PDS PDAT PIS PIAT PIDAT PPER PPOSS PPOSAT PRELS PRELAT PRF PWS PWAT": "PRON",
        "ART": "DET",
        "APPR APPRART APPO APZR": "ADP",
        "CARD": "NUM",
        "KON KOKOM KOUI KOUS": "CONJ",
        "PTKA PTKANT PTKNEG PTKVZ PTKZU": "PRT",
        "FM ITJ TRUNC XY": "X",
    }
)

# Parole/EAGLES (FreeLing's short tags, as in Wikicorpus): the category is the first
# letter. W (dates) and Z (numerals, units) are NUM, as in Petrov's es-cast3lb map.
PAROLE_CATEGORY = MappingProxyType(
    {
        "A": "ADJ", "C": "CONJ", "D": "DET", "F": ".", "I": "X", "N": "NOUN",
        "P": "PRON", "R": "ADV", "S": "ADP", "V": "VERB", "W": "NUM", "Z": "NUM",
    }
)  # fmt: skip

# Wotan (Twente News Corpus): the part before the features, "N(soort,ev,neut)" -> "N".
WOTAN = MappingProxyType(
    {
        "N": "NOUN", "V": "VERB", "Adj": "ADJ", "Adv": "ADV", "Pron": "PRON", "Art": "DET",
        "Prep": "ADP", "Num": "NUM", "Conj": "CONJ", "Punc": ".", "Int": "X", "Misc": "X",
    }
)  # fmt: skip

# Google's universal tags in turkish-treebanks: already these 12 (CONJ and PRT, not UD v2's
# CCONJ and PART), with PUNCT for "." and two rare extras.
TURKISH = MappingProxyType(
    {**{tag: tag for tag in UNIVERSAL if tag != "."}, "PUNCT": ".", "ONOM": "X", "AFFIX": "X"}
)


def _punctuation(tag: str) -> bool:
    """Tags made only of punctuation ("," "." "$(" "''" ...): the corpora tag punctuation
    with the mark itself."""
    return not any(ch.isalnum() for ch in tag)


def penn(tag: str) -> str | None:
    first = tag.split("|", 1)[0]  # "VBG|NN": an annotator's doubt; Petrov takes the first
    return "." if _punctuation(first) else PENN.get(first)


def penn_italian(tag: str) -> str | None:
    if tag == "858":  # one token ("83") in the file carries this tag: a corpus slip
        return "NUM"
    return "." if _punctuation(tag) else PENN_ITALIAN.get(tag)


def stts(tag: str) -> str | None:
    return "." if _punctuation(tag) else STTS.get(tag)


def parole(tag: str) -> str | None:
    return PAROLE_CATEGORY.get(tag[:1])


def wotan(tag: str) -> str | None:
    return WOTAN.get(tag.split("(", 1)[0])


def turkish(tag: str) -> str | None:
    return TURKISH.get(tag)


Mapper = Callable[[str], "str | None"]
