"""The folder uploaded for one artifact: a peft / adapters repo that is also an artifact.

    README.md                   the model card
    adapter_config.json         the top adapter, in its own library's layout at the root:
    adapter_model.safetensors     peft (PeftModel.from_pretrained(base, repo)), or
    (adapter.safetensors)         adapters (model.load_adapter(repo, use_safetensors=True))
    adapters/<name>/            further adapters of a composition (stack, fuse, merge)
    languages/<lang>/           MAD-X language adapters
    head.safetensors            the task head
    composition.safetensors     learned fusion / mixture weights
    artifact.json               the manifest, pointing at "." for the root adapter
    intermediate_spec.json      what determined an intermediate adapter (its store key)
    recipe.yaml, results.json   the run that trained or used it

Local paths never leave the machine: the libraries' configs name the public base model.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import yaml

from adaptxfer.artifacts import MANIFEST
from adaptxfer.cache import atomic_dir
from adaptxfer.errors import UserError
from adaptxfer.hub.card import build_card, main_adapter, public_base_model
from adaptxfer.hub.locate import PushSource
from adaptxfer.hub.safety import check_folder, folder_sizes

CARD = "README.md"
INTERMEDIATE_SPEC = "intermediate_spec.json"
RECIPE = "recipe.yaml"
RESULTS = "results.json"
# Fields of the libraries' adapter configs that hold the base model's name or path.
BASE_MODEL_FIELDS = ("base_model_name_or_path", "model_name")


def _copy_adapter(source: Path, dest: Path, base_model: str | None) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for item in sorted(source.iterdir()):
        if not item.is_file():
            continue
        if item.suffix == ".json":
            config = json.loads(item.read_text(encoding="utf-8"))
            for key in BASE_MODEL_FIELDS:
                if isinstance(config, dict) and key in config:
                    config[key] = base_model
            (dest / item.name).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        else:
            shutil.copyfile(item, dest / item.name)


def export_artifact(source: PushSource, repo_id: str, out: Path, license: str) -> list[str]:
    """Write the upload folder for ``source`` into ``out`` (atomically) and return its
    files. The folder passes the same checks ``adaptxfer pull`` applies."""
    manifest = source.manifest
    main = main_adapter(manifest)
    base_model = public_base_model(manifest.backbone)
    with atomic_dir(Path(out)) as tmp:
        entries = []
        for entry in manifest.adapters:
            path = "." if entry is main else entry.path
            _copy_adapter(source.artifact / entry.path, tmp / path, base_model)
            entries.append(dataclasses.replace(entry, path=path))
        for name in ("head.safetensors", "composition.safetensors"):
            if (source.artifact / name).is_file():
                shutil.copyfile(source.artifact / name, tmp / name)
        shipped = dataclasses.replace(manifest, adapters=entries)
        (tmp / MANIFEST).write_text(shipped.to_json() + "\n", encoding="utf-8")
        if source.spec is not None:
            (tmp / INTERMEDIATE_SPEC).write_text(
                json.dumps(source.spec, indent=2, sort_keys=True) + "\n", encoding="utf-8"
            )
        if source.run is not None:
            recipe = yaml.safe_dump(source.run.recipe, sort_keys=False)
            (tmp / RECIPE).write_text(recipe, encoding="utf-8")
            (tmp / RESULTS).write_text(source.run.to_json() + "\n", encoding="utf-8")
        files = sorted([*folder_sizes(tmp), CARD])
        shipped_source = dataclasses.replace(source, manifest=shipped)
        build_card(shipped_source, repo_id, license, files).save(tmp / CARD)
        check_folder(tmp, f"the folder for {repo_id}")
    return files


def claim_export_dir(path: Path) -> Path:
    """A ``--dry-run`` folder: new or empty (nothing of the user's is replaced)."""
    path = Path(path)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise UserError(f"--output {path}: exists and is not an empty folder; choose a new one")
    if path.exists():
        path.rmdir()  # atomic_dir moves the finished folder into place
    return path
