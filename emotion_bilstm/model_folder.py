"""The model folder in torch: writing it (`write_files`), reading its weights into an `EmotionBiLSTM`.

What a folder holds and the checks on reading it are torch-free, in `folder_reads.py` (the light
`pipeline` reads folders too); this module adds what needs torch: the state dict written as
safetensors (in float32, float16 or bfloat16), and read back into the model's float32 parameters after
`folder_reads.check_weights`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import safetensors.torch
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load as tensors_from_bytes  # safetensors' own format, never a pickle
from tokenizers import Tokenizer

from .config import CONFIG_NAME
from .errors import ModelLoadError, first_line
from .folder_reads import (
    DTYPE_NAMES,
    FILE_LIMITS,
    METRICS_NAME,
    TOKENIZER_NAME,
    WEIGHTS_NAME,
    check_weights,
    fetched,
    read_header,
)
from .safe_read import read_bounded

# Weights may be stored in these; they are always loaded back into float32 parameters.
SAVE_DTYPES = (torch.float32, torch.float16, torch.bfloat16)

# ----- writing ----------------------------------------------------------------------------------


def write_files(
    folder: Path,
    state: dict[str, torch.Tensor],
    tokenizer: Tokenizer,
    summary: dict[str, Any] | None,
    dtype: torch.dtype | None = None,
) -> None:
    """The weights (floating-point tensors in `dtype` when given), the tokenizer and the training
    summary; the Hub mixin writes config.json and the card."""
    stored = {
        name: (tensor.to(dtype) if dtype is not None and tensor.is_floating_point() else tensor)
        .detach()
        .contiguous()
        .cpu()
        for name, tensor in state.items()
    }
    safetensors.torch.save_file(stored, str(folder / WEIGHTS_NAME), metadata={"format": "pt"})
    # safetensors writes through a private temporary file (mode 0600); give it the mode every other
    # file of the folder gets, so a shared or published model folder is readable like its config
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(folder / WEIGHTS_NAME, 0o666 & ~umask)
    tokenizer.save(str(folder / TOKENIZER_NAME))
    if summary is not None:
        (folder / METRICS_NAME).write_text(json.dumps(summary, indent=2) + "\n")


def stored_dtypes(weights: Path) -> list[str]:
    """The dtypes a safetensors file holds ("float16", ...), from its header alone: no tensor is loaded."""
    with safe_open(str(weights), framework="pt") as handle:
        codes = sorted({handle.get_slice(name).get_dtype() for name in handle.keys()})  # noqa: SIM118
    return [DTYPE_NAMES.get(code, code.lower()) for code in codes]


def stored_float_dtype(weights: Path) -> torch.dtype | None:
    """The floating-point dtype the weights are stored in, so that a float16 model stays float16 when rewritten."""
    names = [str(dtype).removeprefix("torch.") for dtype in SAVE_DTYPES]
    floats = [name for name in stored_dtypes(weights) if name in names]
    return getattr(torch, floats[0]) if floats else None


# ----- reading ----------------------------------------------------------------------------------


def read_weights(model_id: str, fetch: Callable[[str], str]) -> dict[str, torch.Tensor]:
    """model.safetensors' tensors, all floating point (checked from the header before any is loaded)."""
    data = read_bounded(fetched(model_id, fetch, WEIGHTS_NAME), model_id, FILE_LIMITS[WEIGHTS_NAME])
    read_header(model_id, data)
    try:
        return tensors_from_bytes(data)
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelLoadError(f"{model_id}: {WEIGHTS_NAME} is corrupt or truncated ({first_line(exc)})") from None


def load_weights(model_id: str, model: torch.nn.Module, state: dict[str, torch.Tensor]) -> None:
    """Copy `state` into `model` after checking every tensor against the model `config.json` describes."""
    expected = {name: tuple(tensor.shape) for name, tensor in model.state_dict().items()}
    check_weights(model_id, state, expected, lambda tensor: bool(torch.isfinite(tensor).all()))
    try:
        # load_state_dict copies into the float32 parameters, so float16 files load as float32.
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise ModelLoadError(f"{model_id}: {WEIGHTS_NAME} does not match {CONFIG_NAME} ({first_line(exc)})") from None
