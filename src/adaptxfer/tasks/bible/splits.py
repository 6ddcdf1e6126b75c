"""Train/dev/test by whole books, so that no verse (in any translation) crosses splits.

The assignment is fixed here, not drawn at random, so every run and every language sees
the same split. Dev and test each mix Old and New Testament books and genres:

- dev (6 books): Numbers, Judges, Proverbs | Acts, Romans, Hebrews
- test (8 books): Job, Ecclesiastes, Ezekiel, Amos | John, 1 Corinthians, James, Revelation
- train: the other 52 books.

Books that share whole passages stay together in train: the Synoptic Gospels (Matthew,
Mark, Luke); Samuel, Kings and Chronicles, with Isaiah 36-39 (= 2 Kings 18-20), Jeremiah
52 (= 2 Kings 24-25), Psalm 18 (= 2 Samuel 22) and Psalm 105:1-15 (= 1 Chronicles
16:8-22); Ezra and Nehemiah; Ephesians and Colossians; Jude and 2 Peter; Exodus,
Leviticus and Deuteronomy. What still
crosses is formulae ("Yahweh spoke to Moses, saying,") and the odd quotation: in the WEB,
78 dev verses (1.7%, 59 of them in Numbers) and 46 test verses (1.0%, 41 in Ezekiel) share
at least 70% of their words with some train verse.

Sizes (KJV versification): train 21,999 verses, dev 4,564, test 4,539. After dropping
missing verses, every en-xx language keeps at least 4,016 dev and 4,237 test pairs
(Turkish, which merges many verses), enough for 400 gold pairs among 2 x 1,600 mining
distractors.
"""

from __future__ import annotations

from types import MappingProxyType

from adaptxfer.errors import UnknownNameError
from adaptxfer.tasks.spec import SPLITS

DEV_BOOKS: tuple[int, ...] = (4, 7, 20, 44, 45, 58)
TEST_BOOKS: tuple[int, ...] = (18, 21, 26, 30, 43, 46, 59, 66)
TRAIN_BOOKS: tuple[int, ...] = tuple(
    b for b in range(1, 67) if b not in DEV_BOOKS and b not in TEST_BOOKS
)
NEW_TESTAMENT_FROM = 40  # Matthew

SPLIT_BOOKS = MappingProxyType({"train": TRAIN_BOOKS, "dev": DEV_BOOKS, "test": TEST_BOOKS})


def check_split(split: str) -> str:
    if split not in SPLITS:
        raise UnknownNameError("split", split, SPLITS)
    return split


def books(split: str) -> tuple[int, ...]:
    """The book numbers (1 = Genesis ... 66 = Revelation) of a split."""
    return SPLIT_BOOKS[check_split(split)]


def split_of_book(book: int) -> str:
    for split, numbers in SPLIT_BOOKS.items():
        if book in numbers:
            return split
    raise UnknownNameError("Bible book number", str(book), [str(b) for b in range(1, 67)])
