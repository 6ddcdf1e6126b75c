"""MAD-X language adapters: an invertible bottleneck adapter per language, trained by
masked-LM on that language's unlabelled text (offline: its Bible translation, train-split
books only), stored once per (backbone, quantisation, language, settings)."""

from adaptxfer.language.artifact import (
    language_adapter_artifact,
    language_adapter_spec,
    load_language_adapter,
    read_language_manifest,
    save_language_adapter,
)
from adaptxfer.language.mlm_head import TiedMaskedLMHead
from adaptxfer.language.settings import LanguageAdapterSettings
from adaptxfer.language.texts import language_adapter_languages, language_texts
from adaptxfer.language.training import (
    TrainedLanguageAdapter,
    adapter_parameters,
    evaluate_mlm,
    language_adapter_config,
    train_language_adapter,
)

__all__ = [
    "LanguageAdapterSettings",
    "TiedMaskedLMHead",
    "TrainedLanguageAdapter",
    "adapter_parameters",
    "evaluate_mlm",
    "language_adapter_artifact",
    "language_adapter_config",
    "language_adapter_languages",
    "language_adapter_spec",
    "language_texts",
    "load_language_adapter",
    "read_language_manifest",
    "save_language_adapter",
    "train_language_adapter",
]
