"""What a task is: a declarative entry (name, role, kind, languages, source, metric).

A task says *what* data and *which* metric; its kind (``tasks/kinds``) says *how* the data
is tokenised, which head reads the encoder and how predictions are decoded and scored.
Adding a task of an existing kind is one :class:`TaskSpec`; a new kind is one module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["intermediate", "target"]
# What studies group tasks by (one table, read by the catalog test, ``adaptxfer tasks`` and
# the studies' ``compare`` blocks): a target's category, an intermediate task's group.
TARGET_CATEGORIES: tuple[str, ...] = (
    "classification",
    "structured-prediction",
    "qa",
    "retrieval",
    "reasoning",
)
INTERMEDIATE_GROUPS: tuple[str, ...] = ("nlu", "qa", "paraphrase", "commonsense", "reasoning")
CATEGORIES: Mapping[str, tuple[str, ...]] = {
    "target": TARGET_CATEGORIES,
    "intermediate": INTERMEDIATE_GROUPS,
}
Split = Literal["train", "dev", "test"]
SPLITS: tuple[str, ...] = ("train", "dev", "test")


@dataclass(frozen=True)
class HubSource:
    """A dataset on the Hugging Face Hub, read with ``datasets.load_dataset``.

    ``config`` and the split names may contain ``{lang}`` (the task language, in the
    task's own code, see ``lang_codes``). ``fields`` maps each canonical column of the
    task kind to a column of the Hub schema; local files in the same Hub schema are read
    with the same mapping, so a user without Hub access can drop files in a data dir.
    """

    path: str
    config: str | None = None
    splits: Mapping[str, str] = field(
        default_factory=lambda: {"train": "train", "dev": "validation", "test": "test"}
    )
    fields: Mapping[str, str] = field(default_factory=dict)
    lang_codes: Mapping[str, str] = field(default_factory=dict)
    filters: Mapping[str, Any] = field(default_factory=dict)
    local_format: Literal["jsonl", "conllu"] = "jsonl"
    how_to_obtain: str = ""
    prepare: Callable[[Any, str], Any] | None = None
    only_languages: tuple[str, ...] = ()

    def hub_lang(self, lang: str) -> str:
        return self.lang_codes.get(lang, lang)

    def serves(self, lang: str, split: str) -> bool:
        """Whether this source holds ``split`` for ``lang`` (parts of a combined source
        may be limited to some languages, e.g. English training data)."""
        return split in self.splits and (not self.only_languages or lang in self.only_languages)


@dataclass(frozen=True)
class LocalSource:
    """Data that only exists as local files (licensed or unpublished on the Hub, e.g.
    CCGbank or Mewsli-X): ``<data_dir>/<task>/<lang>/<split>.jsonl|.conllu``.

    ``how_to_obtain`` says where the data comes from and how to convert it; the error for
    a missing file repeats it. ``fields``, ``prepare`` and ``local_format`` work as for
    :class:`HubSource`.
    """

    how_to_obtain: str
    fields: Mapping[str, str] = field(default_factory=dict)
    splits: tuple[str, ...] = SPLITS
    local_format: Literal["jsonl", "conllu"] = "jsonl"
    prepare: Callable[[Any, str], Any] | None = None
    description: str = ""
    lang_codes: Mapping[str, str] = field(default_factory=dict)
    filters: Mapping[str, Any] = field(default_factory=dict)

    def hub_lang(self, lang: str) -> str:
        return self.lang_codes.get(lang, lang)


@dataclass(frozen=True)
class CombinedSource:
    """Several Hub sources behind one task, named by part.

    A split is the concatenation, in order, of every part that serves it for the
    language (:meth:`HubSource.serves`): ANLI+ trains on ANLI r1-r3 + MNLI + SNLI; XQuAD
    trains on SQuAD and is tested on XQuAD. Each part keeps its own field mapping and
    ``prepare``. Local files: ``<split>.jsonl`` when one part serves the split, else one
    ``<split>.<part>.jsonl`` per part, each in that part's Hub schema.
    """

    parts: Mapping[str, HubSource]
    description: str = ""

    def serving(self, lang: str, split: str) -> dict[str, HubSource]:
        return {name: part for name, part in self.parts.items() if part.serves(lang, split)}


@dataclass(frozen=True)
class BuiltSource:
    """Data made by adaptxfer itself (e.g. from the offline Bible corpus).

    ``build(lang, split, seed, max_examples)`` returns a ``datasets.Dataset`` already in the
    kind's canonical columns; with ``takes_data_dir`` it also gets ``data_dir`` (the
    recipe's, or ``$ADAPTXFER_DATA``), for sources that read local files before the Hub.
    """

    build: Callable[..., Any]
    description: str = ""
    takes_data_dir: bool = False


Source = HubSource | LocalSource | CombinedSource | BuiltSource


@dataclass(frozen=True)
class Floor:
    """What an answer that ignores the input scores, in percent, per language, on the split
    a run reports (dev for intermediate tasks, test for targets): the ``"majority"`` class
    (or tag) or the ``"chance"`` of a random choice, as the task's kind names it.

    Measured on the whole split when the task was added (a test recomputes it); runs
    report the floor of the examples they actually score beside every score.
    """

    name: str
    by_language: Mapping[str, float]

    def describe(self) -> str:
        values = sorted(self.by_language.values())
        if not values:
            return ""
        if values[0] == values[-1]:
            return f"{self.name} {values[0]:.1f}"
        return f"{self.name} {values[0]:.1f}–{values[-1]:.1f}"


@dataclass(frozen=True)
class TaskSpec:
    """One task of the study.

    ``languages`` are the languages it is evaluated in (intermediate tasks: ``("en",)``);
    ``train_language`` is the language of its training split (English for every task in
    the zero-shot protocol); ``other_train_languages`` are the languages besides it with a
    training split (native or machine-translated), in which the task can also serve as an
    intermediate task (``task@lang``, :mod:`.units`). ``label_names`` fixes label order for classification and
    tagging heads. ``kind_options`` passes kind-specific settings (e.g. the number of
    choices, or the hidden layer used for retrieval). ``floor`` is the score of an
    input-blind answer (see :class:`Floor`), where it has been measured. ``category`` is
    a target's category or an intermediate task's group (:data:`CATEGORIES`), what
    studies compare (reasoning vs. NLU intermediates, classification vs. reasoning
    targets).
    """

    name: str
    role: Role
    kind: str
    languages: tuple[str, ...]
    source: Source
    metric: str
    description: str = ""
    label_names: tuple[str, ...] = ()
    train_language: str = "en"
    other_train_languages: tuple[str, ...] = ()
    benchmark: str = ""
    kind_options: Mapping[str, Any] = field(default_factory=dict)
    reference: str = ""
    floor: Floor | None = None
    category: str = ""

    def __post_init__(self) -> None:
        allowed = CATEGORIES[self.role]
        if self.category and self.category not in allowed:
            raise ValueError(
                f"task {self.name!r}: category {self.category!r} is not one of {allowed}"
            )

    @property
    def num_labels(self) -> int:
        return len(self.label_names)

    @property
    def source_name(self) -> str:
        source = self.source
        if isinstance(source, HubSource):
            return source.path + (f" ({source.config})" if source.config else "")
        if isinstance(source, CombinedSource):
            return source.description or " + ".join(
                dict.fromkeys(part.path for part in source.parts.values())
            )
        if isinstance(source, LocalSource):
            return source.description or "local files only"
        return source.description or "built-in"
