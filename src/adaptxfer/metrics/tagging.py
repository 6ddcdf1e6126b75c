"""Sequence tagging: entity-level F1 (NER) and XTREME's UD-POS scores, via seqeval.

XTREME's ``run_tag.py`` and ``evaluate.py`` report seqeval's micro precision/recall/F1
(default, non-strict "conlleval" mode) for *both* PAN-X (NER) and UD-POS.

seqeval 1.2.2 on tags without an IOB prefix such as UD's "NOUN": the default mode reads
the first character as the chunk tag and the rest as the type ("NOUN" -> tag "N", type
"OUN"; "X" -> tag "X", type "_"). A tag letter that is not B/I/E/S/O neither opens nor
closes a chunk on its own, so a *run of equal tags is one chunk*: gold ``NOUN NOUN VERB``
holds two chunks, (OUN, 0-1) and (ERB, 2), and predicting ``NOUN VERB VERB`` matches
neither. Tags starting with "S" (SCONJ, SYM) are single-token chunks, tags starting with
"I" (INTJ) continue a run like the others, the old Google tag "." counts as outside
(never a chunk), and two tags with the same remainder lose the first run (CCONJ then
SCONJ: both type "CONJ", the CCONJ chunk is dropped). The tag ``X`` gets type "_", the
type of the "O" that seqeval puts after every sentence before it reads the corpus as one
sequence. So ``X`` is its own chunk only inside a sentence: a run of ``X`` that ends a
sentence is not closed by that "O" (it is dropped, or it runs on into a next sentence that
starts with ``X``), and a run that starts a sentence opens no chunk of its own (it
extends the last chunk start before it). The POS "F1" is therefore F1 over maximal same-tag runs, not
per-token accuracy; :func:`pos_scores` reports it as ``f1`` (the number XTREME publishes)
together with plain token ``accuracy``.

seqeval is pinned to 1.2.2 (``pyproject.toml``). The 2020 XTREME numbers were probably
produced with seqeval 0.0.x, which took the whole tag as the type ("CCONJ" and "SCONJ"
differ there): gold ``CCONJ SCONJ NOUN`` against ``NOUN SCONJ NOUN`` is 66.7 under 0.0.12
and 80.0 under 1.2.2, so published UD-POS F1 and ours can differ by a little for that
reason alone; token accuracy has no such ambiguity.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

from seqeval.metrics import f1_score, precision_score, recall_score

TagSequences = Sequence[Sequence[str]]


def _checked(predictions: TagSequences, references: TagSequences) -> tuple[list, list]:
    preds = [list(s) for s in predictions]
    refs = [list(s) for s in references]
    if len(preds) != len(refs):
        raise ValueError(f"tagging: {len(preds)} predicted sentences but {len(refs)} references")
    if not refs:
        raise ValueError("tagging: no sentences to score")
    for i, (p, r) in enumerate(zip(preds, refs, strict=True)):
        if len(p) != len(r):
            raise ValueError(
                f"tagging: sentence {i} has {len(p)} predicted tags but {len(r)} gold tags"
            )
    return preds, refs


def _seqeval(preds: list, refs: list) -> dict[str, float]:
    # zero_division=0 is seqeval's "warn" value without the warning.
    return {
        "f1": 100.0 * float(f1_score(refs, preds, zero_division=0)),
        "precision": 100.0 * float(precision_score(refs, preds, zero_division=0)),
        "recall": 100.0 * float(recall_score(refs, preds, zero_division=0)),
    }


def entity_f1(predictions: TagSequences, references: TagSequences) -> dict[str, float]:
    """Entity-level micro ``{"f1", "precision", "recall"}`` in percent, IOB2 tags.

    seqeval's default mode, as XTREME: an ``I-X`` after ``O`` or after another type starts
    a new entity rather than being dropped.
    """
    preds, refs = _checked(predictions, references)
    return _seqeval(preds, refs)


def pos_scores(predictions: TagSequences, references: TagSequences) -> dict[str, float]:
    """XTREME's UD-POS ``f1``/``precision``/``recall`` (seqeval over same-tag runs, see the
    module docstring) and token ``accuracy``, all in percent."""
    preds, refs = _checked(predictions, references)
    with warnings.catch_warnings():
        # seqeval warns "NOUN seems not to be NE tag." once per tag; expected here.
        warnings.filterwarnings("ignore", message=".*seems not to be NE tag")
        scores = _seqeval(preds, refs)
    total = sum(len(r) for r in refs)
    if total == 0:
        raise ValueError("pos_scores: every sentence is empty")
    correct = sum(
        p == r for ps, rs in zip(preds, refs, strict=True) for p, r in zip(ps, rs, strict=True)
    )
    scores["accuracy"] = 100.0 * correct / total
    return scores


def entity_scorer(
    predictions: TagSequences, references: TagSequences, lang: str
) -> dict[str, float]:
    """The ``entity_f1`` metric's scorer (PAN-X / WikiANN)."""
    return entity_f1(predictions, references)


def pos_scorer(predictions: TagSequences, references: TagSequences, lang: str) -> dict[str, float]:
    """The ``pos`` metric's scorer (UD-POS): seqeval F1 first, token accuracy beside it."""
    scores = pos_scores(predictions, references)
    return {"f1": scores["f1"], "accuracy": scores["accuracy"]}
