"""``madx``: MAD-X - a new target adapter over the frozen intermediates over a language
adapter: the source language's while training, each target language's at test time
(:meth:`Madx.use_language`). Language adapters come from
:mod:`adaptxfer.language_adapters`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import Field

from adaptxfer.compose.composition import TARGET, BuildRequest, Composition, Plan, Saved
from adaptxfer.language_adapters.settings import LanguageAdapterSettings
from adaptxfer.strict_model import StrictModel

if TYPE_CHECKING:
    from adaptxfer.compose.assemble import Assembly


class MadxSettings(StrictModel):
    """MAD-X: the task adapter trains over the ``source_language`` adapter; at test time
    each target language's adapter replaces it beneath the task adapter.
    ``language_adapter`` says how the language adapters are built and trained."""

    source_language: str = "en"
    language_adapter: LanguageAdapterSettings = Field(default_factory=LanguageAdapterSettings)


class Madx(Composition):
    name = "madx"
    summary = (
        "target adapter above the frozen intermediates above an English MAD-X language "
        "adapter; each test language's adapter is swapped in for evaluation"
    )
    settings_model = MadxSettings
    requires = ("language_adapters",)
    needs_trained_target = True

    def __init__(self, settings: MadxSettings | None = None) -> None:
        super().__init__(settings)
        self.language: str | None = None  # the language adapter now under the task adapters

    def settings_problem(self, n_adapters: int, languages: Sequence[str]) -> str | None:
        from adaptxfer.language_adapters.texts import language_adapter_languages

        known = language_adapter_languages()
        missing = [lang for lang in self.language_adapters(languages) if lang not in known]
        if missing:
            return (
                f"no text to train MAD-X language adapters for {missing}; languages with "
                f"text: {', '.join(known)} (restrict `languages:` to those)"
            )
        return None

    def language_adapters(self, languages: Sequence[str]) -> dict[str, LanguageAdapterSettings]:
        """The language adapters to load for evaluating ``languages``, with their settings."""
        wanted = dict.fromkeys([self.settings.source_language, *languages])
        return {lang: self.settings.language_adapter for lang in wanted}

    def build(self, request: BuildRequest) -> Plan:
        source = self.settings.source_language
        bottom = request.assembly.language_adapter(source)
        request.add_target()
        self.language = source
        return Plan((bottom, *request.intermediates, TARGET), (TARGET,))

    def use_language(self, assembly: Assembly, lang: str) -> None:
        """Put ``lang``'s adapter beneath the task adapter(s)."""
        plan = Plan((assembly.language_adapter(lang), *assembly.active[1:]), assembly.trainable)
        self.language = lang
        assembly.apply(self, plan)

    def describe(self, assembly: Assembly) -> dict[str, Any]:
        return {"language": self.language, "languages": assembly.languages()}

    def restore(self, assembly: Assembly, saved: Saved) -> Plan:
        self.language = saved.description.get("language")
        return super().restore(assembly, saved)
