"""The light model: inference without torch, for `emo-cli predict/classify/evaluate` and library users.

    import emotion_bilstm
    classify = emotion_bilstm.pipeline()               # the shipped model; or pipeline("dir-or-hub-id")
    classify.predict(["I can't believe they cancelled the show, so angry!!"])

`Pipeline` reads a model folder or a Hub repo (through huggingface_hub's cache, as `from_pretrained`
does) with the checks `EmotionBiLSTM.from_pretrained` runs (`folder_reads.py`), the weights through
`safetensors.numpy`, and runs `numpy_engine.NumpyBiLSTM`. `predict` returns what `EmotionBiLSTM.predict`
returns (`predictions.format_results`); probabilities are within 1e-5 of the float32 torch reference.
Importing `EmotionBiLSTM` (a `PyTorchModelHubMixin`) imports torch, so nothing here touches it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .config import ModelConfig
from .errors import ModelLoadError, first_line
from .fast_tokenize import word_lookup_for
from .folder_reads import (
    FILE_LIMITS,
    WEIGHTS_NAME,
    check_source,
    check_weights,
    expected_shapes,
    fetched,
    fetcher,
    loading,
    read_config,
    read_header,
    read_tokenizer,
    shipped_model_folder,
)
from .numpy_engine import NumpyBiLSTM, probabilities
from .predictions import check_inference_arguments, format_results
from .safe_read import read_bounded
from .tokenizer import encode_batch

if TYPE_CHECKING:
    from tokenizers import Tokenizer

ENGINE_DESCRIPTION = "numpy (float32, no torch)"


class Pipeline:
    """An emotion model for inference only: `predict`, `predict_proba`, `encode`, `logits`, with the model's
    labels, temperature and (multi-label) thresholds. `pipeline(...)` loads one."""

    def __init__(self, config: ModelConfig, tokenizer: Tokenizer, weights: dict[str, np.ndarray]) -> None:
        self.config, self.tokenizer = config, tokenizer
        self.engine = NumpyBiLSTM(weights, config.hidden_size, config.num_layers, config.pooling)
        self._word_lookup = word_lookup_for(tokenizer)

    @property
    def id2label(self) -> dict[int, str]:
        assert self.config.id2label is not None  # set by ModelConfig
        return self.config.id2label

    @property
    def labels(self) -> list[str]:
        return self.config.labels

    @property
    def multi_label(self) -> bool:
        return self.config.multi_label

    @property
    def thresholds(self) -> list[float] | None:
        """Per-label decision thresholds of a multi-label model (None for a single-label one)."""
        return self.config.thresholds

    @property
    def temperature(self) -> float:
        return float(self.config.temperature)

    @property
    def engine_description(self) -> str:
        """What `classify`'s log line names, as `engines.describe_engine` does for the torch engines."""
        return ENGINE_DESCRIPTION

    def encode(self, texts: list[str]) -> list[list[int]]:
        """Token ids for each text, as `EmotionBiLSTM.encode` gives them (never empty)."""
        if self._word_lookup is not None:
            return self._word_lookup.encode(texts)
        return encode_batch(self.tokenizer, texts)

    def logits(self, ids: list[list[int]], batch_size: int = 512) -> np.ndarray:
        """Logits before temperature (len(ids), num_labels), float32, in input order."""
        check_inference_arguments(batch_size=batch_size)
        return self.engine.logits_in_order(ids, batch_size)

    def predict_proba(self, texts: Sequence[str], batch_size: int = 512) -> np.ndarray:
        """Calibrated probabilities (len(texts), num_labels), float32, as `EmotionBiLSTM.predict_proba`."""
        check_inference_arguments(batch_size=batch_size)
        return probabilities(self.logits(self.encode(list(texts)), batch_size), self.temperature, self.multi_label)

    def predict(
        self,
        texts: list[str] | str,
        top_k: int | None = None,
        batch_size: int = 512,
        threshold: float | None = None,
    ) -> list[dict[str, Any]]:
        """Label, score and per-label scores (best first) for each text: see `EmotionBiLSTM.predict`."""
        check_inference_arguments(batch_size=batch_size, top_k=top_k, threshold=threshold)
        if isinstance(texts, str):
            texts = [texts]
        ids = self.encode(list(texts))
        probs = probabilities(self.engine.logits_in_order(ids, batch_size), self.temperature, self.multi_label)
        return format_results(probs, ids, self.id2label, self.thresholds, top_k, threshold)

    @classmethod
    def from_pretrained(
        cls,
        model_id: str | os.PathLike,
        *,
        revision: str | None = None,
        cache_dir: str | os.PathLike | None = None,
        force_download: bool = False,
        local_files_only: bool = False,
        token: str | bool | None = None,
    ) -> Pipeline:
        """Load a model folder or Hub repo id; `ModelLoadError` with one line for anything missing, corrupt
        or absurd, as `EmotionBiLSTM.from_pretrained` refuses it."""
        model_id = str(model_id)
        check_source(model_id)
        download = {"revision": revision, "cache_dir": cache_dir, "force_download": force_download}
        fetch = fetcher(model_id, **download, local_files_only=local_files_only, token=token)
        with loading(model_id):
            config = read_config(model_id, fetch)
            tokenizer = read_tokenizer(model_id, fetch, config.vocab_size)
            weights = read_arrays(model_id, fetch)
            check_weights(model_id, weights, expected_shapes(config), lambda array: bool(np.isfinite(array).all()))
            return cls(config, tokenizer, weights)


def read_arrays(model_id: str, fetch: Callable[[str], str]) -> dict[str, np.ndarray]:
    """model.safetensors' tensors as float32 arrays, every one floating point (checked from the header first).

    NumPy has no bfloat16: such tensors are read as 16-bit integers (the header says I16 for them) and
    widened to float32 by their bits, as bfloat16 is float32's upper half."""
    from safetensors import SafetensorError
    from safetensors.numpy import load

    data = read_bounded(fetched(model_id, fetch, WEIGHTS_NAME), model_id, FILE_LIMITS[WEIGHTS_NAME])
    header = read_header(model_id, data)
    bfloat16 = [name for name, entry in header.items() if name != "__metadata__" and entry["dtype"] == "BF16"]
    if bfloat16:
        data = _bfloat16_as_int16(header, data)
    try:
        arrays = load(data)
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelLoadError(f"{model_id}: {WEIGHTS_NAME} is corrupt or truncated ({first_line(exc)})") from None
    for name in bfloat16:
        arrays[name] = (arrays[name].view(np.uint16).astype(np.uint32) << 16).view(np.float32)
    return {name: array.astype(np.float32, copy=False) for name, array in arrays.items()}


def _bfloat16_as_int16(header: dict[str, Any], data: bytes) -> bytes:
    """The same safetensors bytes with every BF16 tensor's dtype written I16 (the same width)."""
    import json

    length = int.from_bytes(data[:8], "little")
    relabelled = {
        name: ({**entry, "dtype": "I16"} if name != "__metadata__" and entry["dtype"] == "BF16" else entry)
        for name, entry in header.items()
    }
    text = json.dumps(relabelled, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # safetensors pads the header to 8 bytes
    return len(text).to_bytes(8, "little") + text + data[8 + length :]


def pipeline(model: str | os.PathLike | None = None, **download: Any) -> Pipeline:
    """The light model of `model` (a folder or Hub repo id), or with no argument the one shipped in the package.

    `download`: `revision`, `cache_dir`, `force_download`, `local_files_only`, `token` for a Hub repo."""
    if model is None:
        model = shipped_model_folder()
    return Pipeline.from_pretrained(model, **download)
