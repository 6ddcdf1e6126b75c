"""Load a frozen backbone encoder and its fast tokenizer, optionally quantised."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from adaptxfer.backbones.quantization import (
    Quantization,
    bnb_config,
    check_quantization,
    prepare_quantized_for_training,
    quiet_int8_cast_warning,
    require_bitsandbytes,
)
from adaptxfer.backbones.registry import BACKBONES, is_local_path, known_backbones, resolve_source
from adaptxfer.errors import MissingAssetError, UnsupportedError

if TYPE_CHECKING:
    import torch
    from torch import nn
    from transformers import PretrainedConfig, PreTrainedTokenizerFast

    from adaptxfer.backbones.vocab import VocabularyPrune


@dataclass
class LoadedBackbone:
    """A frozen encoder (every parameter has ``requires_grad=False``) and its tokenizer."""

    model: nn.Module
    tokenizer: PreTrainedTokenizerFast
    name: str
    source: str
    quantization: Quantization
    device: str
    compute_dtype: torch.dtype
    hidden_size: int
    num_layers: int
    vocabulary: VocabularyPrune | None = None  # set once pruned (prune_vocab)


def default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _check_device(device: str) -> str:
    import torch

    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise UnsupportedError(f"device {device!r} is not a torch device ({error})") from None
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise UnsupportedError(f"device {device!r} was asked for but torch sees no CUDA GPU")
    if parsed.type not in ("cpu", "cuda"):
        raise UnsupportedError(f"device {device!r}: only cpu and cuda are supported")
    return str(parsed)


def compute_dtype_for(device: str) -> torch.dtype:
    """float32 on CPU; bf16 on GPUs that support it (the frozen weights are only read)."""
    import torch

    if device.startswith("cuda") and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float32


def _unavailable(name: str, source: str, error: BaseException) -> MissingAssetError:
    """A clear error for a backbone that cannot be loaded: bad folder, or Hub out of reach."""
    if is_local_path(source):
        return MissingAssetError(
            f"backbone {name!r}: cannot load the folder {source!r} ({error}); expected a "
            "folder written by save_pretrained with config.json, weights and tokenizer files"
        )
    from huggingface_hub import constants

    hint = "" if name in BACKBONES else f" (registered names: {', '.join(known_backbones())})"
    if constants.HF_HUB_OFFLINE:
        where = "offline mode is on (HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE)"
        fix = "go online (unset HF_HUB_OFFLINE and TRANSFORMERS_OFFLINE) to download it"
    else:
        where = "the Hugging Face Hub could not be reached"
        fix = "connect to the internet to download it (HF_HUB_OFFLINE=1 makes this fail fast)"
    return MissingAssetError(
        f"backbone {name!r} (Hub id {source!r}) is not in the local Hugging Face cache and "
        f"{where}{hint}: pass a local folder path instead (one written by save_pretrained), "
        f"or {fix}. Cause: {str(error).splitlines()[0] if str(error) else type(error).__name__}"
    )


# What from_pretrained raises for missing files / unreachable Hub (ValueError: bad config).
_CONFIG_ERRORS: tuple[type[BaseException], ...] = (OSError, ValueError)


def _load_config(name: str, source: str) -> PretrainedConfig:
    from transformers import AutoConfig

    try:
        return AutoConfig.from_pretrained(source)
    except _CONFIG_ERRORS as error:
        raise _unavailable(name, source, error) from error


def _encoder_kwargs(config: PretrainedConfig) -> dict[str, Any]:
    """``add_pooling_layer=False`` where the AutoModel class accepts it (a bare encoder)."""
    from transformers import MODEL_MAPPING

    try:
        model_class = MODEL_MAPPING[type(config)]
    except KeyError:
        return {}
    parameters = inspect.signature(model_class.__init__).parameters
    return {"add_pooling_layer": False} if "add_pooling_layer" in parameters else {}


def _load_tokenizer(name: str, source: str) -> PreTrainedTokenizerFast:
    from transformers import AutoTokenizer

    try:
        # fix_mistral_regex=False: transformers 4.57.6 otherwise warns about a Mistral regex
        # for every local folder saved by 4.57.3+, whatever the model.
        tokenizer = AutoTokenizer.from_pretrained(source, use_fast=True, fix_mistral_regex=False)
    except _CONFIG_ERRORS as error:
        raise _unavailable(name, source, error) from error
    if not tokenizer.is_fast:
        raise UnsupportedError(
            f"backbone {name!r}: only a slow tokenizer is available; adaptxfer needs a fast "
            "one (offset mappings for tagging and QA). Add tokenizer.json to the folder."
        )
    return tokenizer


def load_backbone(
    name: str,
    quantization: Quantization = "none",
    device: str | None = None,
    *,
    keep_vocabulary: Callable[[PreTrainedTokenizerFast], Sequence[int]] | None = None,
) -> LoadedBackbone:
    """Load ``name`` (registered name, Hub id or folder) as a frozen, eval-mode encoder.

    CPU loads float32 (explicitly: a quantised load would otherwise leave the unquantised
    weights in float16); CUDA computes in bf16. Quantised weights go through bitsandbytes.
    ``keep_vocabulary`` (given the tokenizer, the token ids to keep) prunes the embedding
    table (:mod:`.vocab`) before the model moves to the device, so the full table never
    reaches GPU memory unless a quantised load put it there.
    """
    import torch
    from transformers import AutoModel

    quantization = check_quantization(quantization)
    device = _check_device(device or default_device())
    compute_dtype = compute_dtype_for(device)
    source = resolve_source(name)
    config = _load_config(name, source)
    kwargs: dict[str, Any] = {"dtype": compute_dtype, **_encoder_kwargs(config)}
    require_bitsandbytes(quantization)
    if quantization == "int8":
        quiet_int8_cast_warning()
    quant_config = bnb_config(quantization, compute_dtype)
    if quant_config is not None:
        kwargs["quantization_config"] = quant_config
        kwargs["device_map"] = {"": torch.device(device)}
    from safetensors import SafetensorError

    try:
        model = AutoModel.from_pretrained(source, config=config, **kwargs)
    except OSError as error:
        raise _unavailable(name, source, error) from error
    except SafetensorError as error:
        raise MissingAssetError(
            f"backbone {name!r}: the weights in {source} are damaged ({error}); replace the "
            "file (a Hub download: fetch it again with force_download=True)"
        ) from error
    tokenizer = _load_tokenizer(name, source)
    vocabulary = None
    if keep_vocabulary is not None:
        from adaptxfer.backbones.vocab import prune_vocabulary

        vocabulary = prune_vocabulary(model, keep_vocabulary(tokenizer))
    if quant_config is None:
        model.to(device)
    else:
        # Never let bnb repack 4-bit weights on AVX512-BF16 CPUs (see quantization.py).
        prepare_quantized_for_training(model)
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return LoadedBackbone(
        model=model,
        tokenizer=tokenizer,
        name=name,
        source=source,
        quantization=quantization,
        device=device,
        compute_dtype=compute_dtype,
        hidden_size=int(config.hidden_size),
        num_layers=int(config.num_hidden_layers),
        vocabulary=vocabulary,
    )
