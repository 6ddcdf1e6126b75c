"""Language adapters in the content-addressed store: trained once, loaded anywhere.

Folder (an adaptxfer artifact, so the store recognises it):

    artifact.json          Manifest: kind "language-adapter", the adapter entry, metrics
    adapters/<lang>/       the adapters library's save_adapter output (safetensors + config)
    mlm_head.safetensors   the fitted MLM transform head (only to score or continue MLM)
    spec.json              written by the store: exactly what determined the adapter
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adaptxfer.artifacts import AdapterEntry, Manifest
from adaptxfer.backbones.quantization import check_quantization
from adaptxfer.errors import MissingAssetError, UserError
from adaptxfer.language_adapters.settings import LanguageAdapterSettings
from adaptxfer.language_adapters.texts import resolve_translation

if TYPE_CHECKING:
    from torch import nn

    from adaptxfer.language_adapters.training import TrainedLanguageAdapter
    from adaptxfer.store import AdapterStore

KIND = "language-adapter"
HEAD_FILE = "mlm_head.safetensors"


def language_adapter_spec(
    backbone: str, quantization: str, lang: str, settings: LanguageAdapterSettings
) -> dict[str, Any]:
    """The store key's content. The translation is resolved, so leaving it to the default
    and naming the default explicitly give the same adapter."""
    translation = resolve_translation(lang, settings.translation)
    resolved = settings.model_copy(update={"translation": translation})
    return {
        "kind": KIND,
        "backbone": backbone,
        "quantization": check_quantization(quantization),
        "lang": lang,
        "settings": resolved.model_dump(mode="json"),
    }


def _method(settings: LanguageAdapterSettings) -> dict[str, Any]:
    return {
        "name": "seq_bn_inv",
        "reduction_factor": settings.reduction_factor,
        "non_linearity": settings.non_linearity,
        "inv_adapter": settings.inv_adapter,
        "inv_adapter_reduction_factor": settings.inv_adapter_reduction_factor,
    }


def save_language_adapter(
    trained: TrainedLanguageAdapter,
    directory: Path,
    *,
    backbone: str,
    quantization: str,
    settings: LanguageAdapterSettings,
) -> None:
    """Write the adapter, head and manifest into ``directory`` (the store's temp folder)."""
    import torch
    from safetensors.torch import save_file

    directory = Path(directory)
    relative = f"adapters/{trained.lang}"
    (directory / relative).mkdir(parents=True, exist_ok=True)
    trained.model.save_adapter(str(directory / relative), trained.name, use_safetensors=True)
    head_state = {k: v.detach().cpu().contiguous() for k, v in trained.head.state_dict().items()}
    save_file(head_state, str(directory / HEAD_FILE))
    manifest = Manifest(
        backbone=backbone,
        quantization=quantization,
        task=f"mlm:{trained.lang}",
        kind=KIND,
        library="adapters",
        adapters=[AdapterEntry(name=trained.lang, method=_method(settings), path=relative)],
        composition={},
        head=None,
        metrics=trained.metrics,
        provenance={
            "torch": torch.__version__,
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "translation": trained.translation,
            "settings": settings.model_dump(mode="json"),
        },
    )
    (directory / "artifact.json").write_text(manifest.to_json(), encoding="utf-8")


def language_adapter_artifact(
    backbone: str,
    quantization: str,
    lang: str,
    store: AdapterStore,
    settings: LanguageAdapterSettings,
) -> Path:
    """The stored language adapter for ``lang``, trained (once) if the store lacks it."""
    spec = language_adapter_spec(backbone, quantization, lang, settings)

    def build(directory: Path) -> None:
        from adaptxfer.backbones import load_backbone
        from adaptxfer.language_adapters.training import Resumable, train_language_adapter

        loaded = load_backbone(backbone, quantization=spec["quantization"])
        resumable = Resumable(store.checkpoints(spec))  # an interrupted training continues
        trained = train_language_adapter(loaded, lang, settings, resumable=resumable)
        save_language_adapter(
            trained, directory, backbone=backbone, quantization=quantization, settings=settings
        )

    return store.get_or_build(spec, build)


def read_language_manifest(directory: Path) -> Manifest:
    """The manifest of a language-adapter artifact (else a UserError naming the folder)."""
    manifest = Manifest.read(Path(directory))
    if manifest.kind != KIND or len(manifest.adapters) != 1:
        raise UserError(
            f"{directory}: artifact of kind {manifest.kind!r}, expected one {KIND!r} adapter"
        )
    return manifest


def load_language_adapter(model: nn.Module, directory: Path, name: str) -> None:
    """Load the stored adapter into an adapters-library model (``adapters.init`` applied)
    as ``name``, frozen and not activated: compose it, e.g. ``Stack(name, task)``."""
    from adaptxfer.language_adapters.training import adapter_parameters

    if not hasattr(model, "adapters_config"):
        raise UserError(
            f"load_language_adapter: the model ({type(model).__name__}) has no adapters "
            "support; call adapters.init(model) first"
        )
    manifest = read_language_manifest(directory)
    folder = Path(directory) / manifest.adapters[0].path
    if not (folder / "adapter_config.json").is_file():
        raise MissingAssetError(f"{folder}: no adapter_config.json; the artifact is incomplete")
    model.load_adapter(str(folder), load_as=name, set_active=False, use_safetensors=True)
    for parameter in adapter_parameters(model, name).values():
        parameter.requires_grad_(False)
