"""A trained model as one self-describing folder, reloadable without the training code.

    artifact.json            what to rebuild: backbone, task, library, adapters, head, composition
    adapters/<name>/         each adapter's weights (safetensors) and library config
    languages/<lang>/        MAD-X language adapters (role "language"), if any
    head.safetensors         the task head (absent for retrieval/mining encoders)
    composition.safetensors  learned composition weights (fusion mixtures), if any

Intermediate adapters in the store and target models in a run dir share this format.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adaptxfer import __version__, integrity
from adaptxfer.cache import atomic_dir
from adaptxfer.errors import UserError

if TYPE_CHECKING:
    import torch
    from torch import nn

    from adaptxfer.backbones import LoadedBackbone
    from adaptxfer.compose.assemble import Assembly
    from adaptxfer.tasks.model import TaskModel

FORMAT = "adaptxfer/artifact-v1"
MANIFEST = "artifact.json"


@dataclass
class AdapterEntry:
    """One saved adapter. ``role`` "task": a method adapter (``method`` is a MethodConfig);
    "language": a MAD-X language adapter (``method`` is ``{"name": "language", "lang": ...}``)."""

    name: str
    method: dict[str, Any]
    path: str
    role: str = "task"


INTERMEDIATE = "intermediate"  # the composition entry of an intermediate-phase artifact
COMPOSITION_STATE = "composition.safetensors"


def adapter_entries(assembly: Assembly) -> list[AdapterEntry]:
    """Every adapter the assembly holds, as manifest entries (task adapters, then languages)."""
    backend = assembly.backend
    entries = [
        AdapterEntry(name=n, method=backend.method_of(n).model_dump(), path=f"adapters/{n}")
        for n in backend.adapter_names()
    ]
    for lang, name in assembly.languages().items():
        entries.append(
            AdapterEntry(
                name=name,
                method={"name": "language", "lang": lang},
                path=f"languages/{lang}",
                role="language",
            )
        )
    return entries


@dataclass
class Manifest:
    backbone: str
    quantization: str
    task: str
    kind: str
    library: str
    adapters: list[AdapterEntry]
    composition: dict[str, Any]
    head: dict[str, Any] | None
    metrics: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    format: str = FORMAT
    adaptxfer_version: str = __version__

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=False)

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        path = Path(directory) / MANIFEST
        if not path.exists():
            raise UserError(f"{directory}: not an adaptxfer artifact (no {MANIFEST})")
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise UserError(f"{path}: format {data.get('format')!r} is not {FORMAT!r}")
        data["adapters"] = [AdapterEntry(**a) for a in data["adapters"]]
        return cls(**data)


def is_artifact(directory: Path) -> bool:
    return (Path(directory) / MANIFEST).exists()


def adapter_dir(directory: Path) -> Path:
    """The folder of an artifact's (first) task adapter, e.g. a stored intermediate's."""
    entry = Manifest.read(directory).adapters[0]
    return Path(directory) / entry.path


# -- the composition entry of the manifest ------------------------------------------------
def describe_composition(assembly: Assembly) -> dict[str, Any]:
    """The manifest's ``composition``: name, active and trainable adapters, and what the
    composition needs to be restored (e.g. the fused adapters)."""
    composition = assembly.composition
    return {
        "name": composition.name if composition else INTERMEDIATE,
        "active": list(assembly.active),
        "trainable": list(assembly.trainable),
        **(composition.describe(assembly) if composition else {}),
    }


def composition_state(assembly: Assembly) -> dict[str, torch.Tensor]:
    """Learned composition weights (fusion / mixture), saved as composition.safetensors."""
    composition = assembly.composition
    return composition.state(assembly.backend) if composition else {}


def restore_composition(
    assembly: Assembly, description: dict[str, Any], state: dict[str, torch.Tensor]
) -> None:
    """Re-activate a saved composition for evaluation (nothing trainable)."""
    from adaptxfer.compose.composition import Plan, Saved
    from adaptxfer.compose.registry import get_composition

    if description["name"] == INTERMEDIATE:
        assembly.apply(None, Plan(tuple(description["active"]), ()))
        return
    composition = get_composition(description["name"])()
    assembly.apply(composition, composition.restore(assembly, Saved(description, state)))


def save_artifact(
    directory: Path, assembly: Assembly, head: nn.Module | None, manifest: Manifest
) -> Path:
    """Write atomically: a crash leaves no folder that looks like a finished artifact."""
    from safetensors.torch import save_file

    with atomic_dir(Path(directory)) as tmp:
        for entry in manifest.adapters:
            assembly.backend.save(entry.name, tmp / entry.path)
        if head is not None:
            save_file(
                {k: v.detach().cpu().contiguous() for k, v in head.state_dict().items()},
                str(tmp / "head.safetensors"),
            )
        state = composition_state(assembly)
        if state:
            save_file(state, str(tmp / COMPOSITION_STATE))
        (tmp / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
    return Path(directory)


@dataclass
class LoadedArtifact:
    model: TaskModel
    tokenizer: Any
    manifest: Manifest
    backbone: LoadedBackbone
    assembly: Assembly


def load_artifact(directory: str | Path, device: str | None = None) -> LoadedArtifact:
    """Rebuild backbone + adapters + composition + head, ready for evaluation."""
    from safetensors.torch import load_file

    from adaptxfer.backbones import load_backbone
    from adaptxfer.compose.assemble import Assembly
    from adaptxfer.methods.settings import MethodConfig
    from adaptxfer.tasks.heads import build_head
    from adaptxfer.tasks.model import TaskModel

    directory = Path(directory)
    manifest = Manifest.read(directory)
    problem = integrity.check(directory)
    if problem is not None:
        raise UserError(f"artifact {directory} is damaged ({problem}); train it again")
    backbone = load_backbone(manifest.backbone, quantization=manifest.quantization, device=device)
    assembly = Assembly.create(backbone, manifest.library)
    for entry in manifest.adapters:
        if entry.role == "language":
            assembly.add_language(entry.method["lang"], directory / entry.path)
        else:
            assembly.backend.load(
                entry.name, directory / entry.path, MethodConfig.model_validate(entry.method)
            )
    state_path = directory / COMPOSITION_STATE
    restore_composition(
        assembly, manifest.composition, load_file(str(state_path)) if state_path.exists() else {}
    )
    head = None
    if manifest.head is not None:
        head = build_head(manifest.head)
        head.load_state_dict(load_file(str(directory / "head.safetensors")))
        head.requires_grad_(False)  # evaluation only, like the reloaded adapters
        head.to(backbone.device)
    model = TaskModel(assembly.encoder, head, manifest.head)
    model.eval()
    return LoadedArtifact(
        model=model,
        tokenizer=backbone.tokenizer,
        manifest=manifest,
        backbone=backbone,
        assembly=assembly,
    )
