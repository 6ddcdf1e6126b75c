"""XTREME and XTREME-R target tasks: zero-shot transfer from English training data.

Language lists are the benchmarks' own (:mod:`adaptxfer.tasks.languages`). Training data
is English, as in XTREME: XNLI trains on MNLI (facebook/xnli's English train split),
XQuAD and MLQA on SQuAD v1.1, TyDiQA-GoldP on its English training split, PAN-X/WikiANN
and UD-POS on their English splits, XCOPA on COPA. Retrieval tasks (Tatoeba, BUCC,
LAReQA, Mewsli-X) are read straight from the encoder without training.

Hub notes (datasets 5 runs no loading scripts, so only parquet/data-file ids are used):
- google/xtreme's bucc18 configs keep only the gold pairs of BUCC 2018, so mining there
  has no distractors and is easier than the official task. For the official setting,
  convert the BUCC release (``{lang}-en.{sample,training}.{lang,en,gold}``) into rows
  ``{"side": "source"|"target", "id", "text", "gold"}`` (gold: the English id of a
  source sentence's translation, else "") at ``<data_dir>/bucc2018/<lang>/{dev,test}.jsonl``.
- Tatoeba (XTREME) comes from google/xtreme (tatoeba.<iso3>, its only split is
  "validation", used as test); XTREME-R's 41 languages from mteb/tatoeba-bitext-mining
  (``<iso3>-eng``), which covers the five added languages.
- LAReQA reads XQuAD-R (google-research-datasets/xquad_r); the Hub copy has no sentence
  breaks, so answer candidates come from splitting each context at sentence-final
  punctuation (local files may carry the original ``sentence_breaks`` column instead).
- Mewsli-X is not on the Hub: local files only (see its entry).
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from adaptxfer.tasks import languages as L
from adaptxfer.tasks.catalog.intermediate import (
    NLI_FIELDS,
    NLI_LABELS,
    SQUAD_FIELDS,
    copa_rows,
    copa_source,
    squad_source,
)
from adaptxfer.tasks.registry import register
from adaptxfer.tasks.spec import CombinedSource, HubSource, LocalSource, TaskSpec

UPOS = tuple(
    [
        "ADJ",
        "ADP",
        "ADV",
        "AUX",
        "CCONJ",
        "DET",
        "INTJ",
        "NOUN",
        "NUM",
        "PART",
        "PRON",
        "PROPN",
        "PUNCT",
        "SCONJ",
        "SYM",
        "VERB",
        "X",
    ]
)
NER = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC")
MINING_FIELDS = {"side": "side", "id": "id", "text": "text", "gold": "gold"}
RETRIEVAL_FIELDS = {"id": "id", "source": "source", "target": "target"}
RANKING_FIELDS = {
    "side": "side",
    "id": "id",
    "text": "text",
    "language": "language",
    "keys": "keys",
}
XTREME = "Hu et al. 2020, XTREME"
XTREME_R = "Ruder et al. 2021, XTREME-R"


# -- reshaping Hub rows into a kind's columns -------------------------------------------------
def tatoeba_pairs(data: Any, lang: str, *, english: str, other: str) -> Any:
    """Aligned sentence pairs as retrieval rows (``source`` = English, ``target`` = other)."""
    if (
        "source" in data.column_names
        and "target" in data.column_names
        and "id" in data.column_names
    ):
        return data

    def convert(row: dict[str, Any], index: int) -> dict[str, Any]:
        return {"id": str(index), "source": row[english].strip(), "target": row[other].strip()}

    return data.map(convert, with_indices=True, remove_columns=data.column_names)


def bucc_sentences(data: Any, lang: str) -> Any:
    """google/xtreme bucc18 pairs (ids in source_lang/target_lang) as mining rows."""
    if "side" in data.column_names:
        return data
    import datasets

    rows: list[dict[str, str]] = []
    targets: dict[str, str] = {}
    for i, pair in enumerate(data):
        source_id = pair["source_lang"] or f"{lang}-{i:06d}"
        target_id = pair["target_lang"] or f"en-{i:06d}"
        rows.append(
            {
                "side": "source",
                "id": source_id,
                "text": pair["source_sentence"].strip(),
                "gold": target_id,
            }
        )
        targets.setdefault(target_id, pair["target_sentence"].strip())
    rows += [{"side": "target", "id": t, "text": text, "gold": ""} for t, text in targets.items()]
    return datasets.Dataset.from_list(rows)


SENTENCE_END = re.compile(r"[.!?؟।]+[\"'”’»)\]]*\s+|[。！？]+[」』”’)]*\s*")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text`` (split after sentence-final marks)."""
    spans, start = [], 0
    for match in SENTENCE_END.finditer(text):
        if match.end() > start:
            spans.append((start, match.end()))
            start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def lareqa_rows(data: Any, lang: str, *, language: str) -> Any:
    """One XQuAD-R language as ranking rows: its questions and its contexts' sentences.

    A question's key is its cross-lingual id (shared by its translations); the sentence
    holding its answer carries the same key, so every language's answer sentence is
    relevant to it.
    """
    if "side" in data.column_names:
        return data
    import datasets

    has_breaks = "sentence_breaks" in data.column_names
    contexts: dict[str, int] = {}
    sentences: list[list[str]] = []
    keys: list[list[list[str]]] = []
    queries = []
    for row in data:
        context = row["context"]
        spans = (
            [tuple(b) for b in row["sentence_breaks"]] if has_breaks else sentence_spans(context)
        )
        if context not in contexts:
            contexts[context] = len(contexts)
            sentences.append([context[a:b].strip() for a, b in spans])
            keys.append([[] for _ in spans])
        c = contexts[context]
        starts = row["answers"]["answer_start"]
        if starts:
            hit = next((s for s, (a, b) in enumerate(spans) if a <= int(starts[0]) < b), None)
            if hit is not None:
                keys[c][hit].append(str(row["id"]))
        queries.append(
            {
                "side": "query",
                "id": f"{language}:{row['id']}",
                "text": row["question"].strip(),
                "language": language,
                "keys": [str(row["id"])],
            }
        )
    candidates = [
        {
            "side": "candidate",
            "id": f"{language}:{c}:{s}",
            "text": text,
            "language": language,
            "keys": keys[c][s],
        }
        for c, texts in enumerate(sentences)
        for s, text in enumerate(texts)
        if text
    ]
    return datasets.Dataset.from_list(queries + candidates)


# -- entries ----------------------------------------------------------------------------------
def _target(
    name: str,
    kind: str,
    languages: tuple[str, ...],
    source: Any,
    metric: str,
    description: str,
    benchmark: str = "xtreme",
    **kw: Any,
) -> TaskSpec:
    return register(
        TaskSpec(
            name=name,
            role="target",
            kind=kind,
            languages=languages,
            source=source,
            metric=metric,
            description=description,
            benchmark=benchmark,
            reference=XTREME if benchmark == "xtreme" else XTREME_R,
            **kw,
        )
    )


# XTREME -------------------------------------------------------------------------------------
_target(
    "xnli",
    "classification",
    L.XNLI,
    HubSource("facebook/xnli", config="{lang}", fields=NLI_FIELDS),
    "accuracy",
    "XNLI: NLI in 15 languages; English train = MNLI",
    label_names=NLI_LABELS,
    other_train_languages=tuple(lang for lang in L.XNLI if lang != "en"),  # translated MNLI
    category="classification",
)

_target(
    "pawsx",
    "classification",
    L.PAWSX,
    HubSource(
        "google-research-datasets/paws-x",
        config="{lang}",
        fields={"sentence1": "sentence1", "sentence2": "sentence2", "label": "label"},
    ),
    "accuracy",
    "PAWS-X: adversarial paraphrase identification in 7 languages",
    label_names=("not_paraphrase", "paraphrase"),
    other_train_languages=tuple(lang for lang in L.PAWSX if lang != "en"),  # translated PAWS
    category="classification",
)


def _udpos_source(how_to_obtain: str) -> HubSource:
    return HubSource(
        "google/xtreme",
        config="udpos.{lang}",
        lang_codes=L.UD_NAMES,
        fields={"tokens": "tokens", "tags": "pos_tags"},
        local_format="conllu",
        how_to_obtain=how_to_obtain,
    )


_target(
    "udpos",
    "tagging",
    L.UDPOS,
    _udpos_source("Local files are CoNLL-U treebanks of Universal Dependencies (v2.5 in XTREME)."),
    "pos",
    "UD-POS: universal part-of-speech tags, 33 languages",
    label_names=UPOS,
    category="structured-prediction",
)

_target(
    "panx",
    "tagging",
    L.PANX,
    HubSource(
        "google/xtreme", config="PAN-X.{lang}", fields={"tokens": "tokens", "tags": "ner_tags"}
    ),
    "entity_f1",
    "PAN-X (WikiANN) NER: PER/ORG/LOC, entity-level F1, 40 languages",
    label_names=NER,
    category="structured-prediction",
)


def _xquad_source(note: str) -> CombinedSource:
    """English SQuAD to train on, XQuAD's translated dev set to test on."""
    return CombinedSource(
        {
            "squad": squad_source(only_languages=("en",)),
            "xquad": HubSource(
                "google/xquad",
                config="xquad.{lang}",
                splits={"test": "validation"},
                fields=SQUAD_FIELDS,
            ),
        },
        description=f"rajpurkar/squad (train) + google/xquad (test{note})",
    )


_target(
    "xquad",
    "extractive_qa",
    L.XQUAD,
    _xquad_source(""),
    "squad",
    "XQuAD: SQuAD v1.1 dev translated into 10 languages; trained on SQuAD",
    category="qa",
)

_target(
    "mlqa",
    "extractive_qa",
    L.MLQA,
    CombinedSource(
        {
            "squad": squad_source(splits={"train": "train"}, only_languages=("en",)),
            "mlqa": HubSource(
                "google/xtreme",
                config="MLQA.{lang}.{lang}",
                splits={"dev": "validation", "test": "test"},
                fields=SQUAD_FIELDS,
            ),
        },
        description="rajpurkar/squad (train) + google/xtreme MLQA.<lang>.<lang>",
    ),
    "mlqa",
    "MLQA: extractive QA, context and question in the same language; MLQA answer normalisation",
    category="qa",
)

_target(
    "tydiqa",
    "extractive_qa",
    L.TYDIQA,
    HubSource(
        "google/xtreme",
        config="tydiqa",
        splits={"train": "train", "test": "validation"},
        fields=SQUAD_FIELDS,
        filters={"id": "{lang}-*"},
        lang_codes=L.TYDIQA_NAMES,
    ),
    "squad",
    "TyDiQA-GoldP: gold-passage QA in 9 languages; trained on its English training split",
    category="qa",
)

_target(
    "bucc2018",
    "mining",
    L.BUCC,
    HubSource(
        "google/xtreme",
        config="bucc18.{lang}",
        splits={"dev": "validation", "test": "test"},
        fields=MINING_FIELDS,
        prepare=bucc_sentences,
        how_to_obtain=(
            "The Hub copy holds the gold pairs only; for the official task with distractors "
            "see the notes in adaptxfer/tasks/catalog/xtreme.py."
        ),
    ),
    "bucc",
    "BUCC 2018 bitext mining (xx->en), margin scoring, F1 at the dev-tuned threshold "
    "(eval.bucc_threshold)",
    category="retrieval",
)

_target(
    "tatoeba",
    "retrieval",
    L.TATOEBA,
    HubSource(
        "google/xtreme",
        config="tatoeba.{lang}",
        splits={"test": "validation"},
        lang_codes=L.TATOEBA_ISO3,
        fields=RETRIEVAL_FIELDS,
        prepare=partial(tatoeba_pairs, english="target_sentence", other="source_sentence"),
    ),
    "tatoeba",
    "Tatoeba sentence retrieval, accuracy@1 of English queries (XTREME's direction), 36 languages",
    category="retrieval",
)

# XTREME-R additions ---------------------------------------------------------------------------
_target(
    "xcopa",
    "multiple_choice",
    L.XCOPA,
    CombinedSource(
        {
            "copa": copa_source(only_languages=("en",)),
            "xcopa": HubSource(
                "cambridgeltl/xcopa",
                config="{lang}",
                splits={"dev": "validation", "test": "test"},
                fields={
                    "context": "context",
                    "question": "question",
                    "choices": "choices",
                    "label": "label",
                },
                prepare=copa_rows,
            ),
        },
        description="aps/super_glue copa (train) + cambridgeltl/xcopa",
    ),
    "accuracy",
    "XCOPA: causal commonsense in 11 languages; trained on English COPA",
    benchmark="xtreme-r",
    category="reasoning",
)

_target(
    "udpos-r",
    "tagging",
    L.UDPOS_R,
    _udpos_source(
        "google/xtreme has the XTREME 33 languages only; for lt, pl, uk, wo and ro (added by "
        "XTREME-R from UD v2.7) put the CoNLL-U treebanks of Universal Dependencies v2.7 "
        "(every treebank of the language, concatenated per split) at "
        "<data_dir>/udpos-r/<lang>/{test,dev}.conllu."
    ),
    "pos",
    "UD-POS (XTREME-R's 38 languages: XTREME's 33 plus lt, pl, uk, wo, ro from UD v2.7)",
    benchmark="xtreme-r",
    label_names=UPOS,
    category="structured-prediction",
)

_target(
    "wikiann",
    "tagging",
    L.WIKIANN_R,
    HubSource(
        "unimelb-nlp/wikiann", config="{lang}", fields={"tokens": "tokens", "tags": "ner_tags"}
    ),
    "entity_f1",
    "WikiANN NER (XTREME-R's 48 languages), entity-level F1",
    benchmark="xtreme-r",
    label_names=NER,
    category="structured-prediction",
)

_target(
    "tatoeba-r",
    "retrieval",
    L.TATOEBA_R,
    HubSource(
        "mteb/tatoeba-bitext-mining",
        config="{lang}-eng",
        splits={"test": "test"},
        lang_codes=L.TATOEBA_ISO3,
        fields=RETRIEVAL_FIELDS,
        prepare=partial(tatoeba_pairs, english="sentence2", other="sentence1"),
    ),
    "tatoeba",
    "Tatoeba sentence retrieval (XTREME-R's 41 languages), accuracy@1 of English queries",
    benchmark="xtreme-r",
    category="retrieval",
)

_target(
    "mewsli-x",
    "ranking",
    L.MEWSLIX,
    LocalSource(
        how_to_obtain=(
            "Mewsli-X is not on the Hub: get it with google-research/xtreme's "
            "scripts/download_mewslix_data.sh. Write one JSON line per mention, "
            '{"side": "query", "id": <example_id>, "text": "<mention>: <sentence with { <mention> }>", '
            '"language": <lang>, "keys": [<entity_id>]}, plus one per candidate entity, '
            '{"side": "candidate", "id": <entity_id>, "text": <description>, "language": "en", '
            '"keys": [<entity_id>]}, to <data_dir>/mewsli-x/<lang>/{dev,test}.jsonl.'
        ),
        fields=RANKING_FIELDS,
        splits=("dev", "test"),
        description="Mewsli-X (XTREME-R download), local files only",
    ),
    "map@20",
    "Mewsli-X entity linking: rank English Wikipedia entities for a mention, mAP@20",
    benchmark="xtreme-r",
    category="retrieval",
)

_target(
    "lareqa",
    "ranking",
    L.LAREQA,
    CombinedSource(
        {
            code: HubSource(
                "google-research-datasets/xquad_r",
                config=code,
                splits={"test": "validation"},
                fields=RANKING_FIELDS,
                prepare=partial(lareqa_rows, language=code),
            )
            for code in L.LAREQA
        },
        description="google-research-datasets/xquad_r (all 11 languages pooled)",
    ),
    "map@20_pooled",
    "LAReQA: retrieve answer sentences from the 11-language XQuAD-R pool, mAP@20 over all questions",
    benchmark="xtreme-r",
    category="retrieval",
)

_target(
    "xquad-ro",
    "extractive_qa",
    L.XQUAD_R,
    _xquad_source(", with Romanian"),
    "squad",
    "XQuAD with Romanian (XTREME-R's 12 languages); trained on SQuAD",
    benchmark="xtreme-r",
    category="qa",
)
