"""The model folder: what `save_pretrained` writes and `from_pretrained` reads back, locally or from the Hub.

A folder holds `config.json` (the constructor arguments), `model.safetensors`, `tokenizer.json`, the
model card `README.md` and, after training, `metrics.json`. Nothing but safetensors and JSON is ever
read (a pickle can run code), and every file is checked before it is used: a corrupt, hostile or
mismatched file is refused with one line naming it, never a traceback or a silently wrong model.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import safetensors.torch
import torch
from huggingface_hub import hf_hub_download
from safetensors import SafetensorError, safe_open
from tokenizers import Tokenizer

from .choices import Pooling, values
from .errors import ModelLoadError, first_line
from .labels import NUM_LABELS

WEIGHTS_NAME, CONFIG_NAME, TOKENIZER_NAME = "model.safetensors", "config.json", "tokenizer.json"
METRICS_NAME = "metrics.json"
CARD_NAME = "README.md"
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".ckpt")
POOLINGS = values(Pooling)
# transformers' names for the two kinds of head; the default is left out of config.json
SINGLE_LABEL, MULTI_LABEL = "single_label_classification", "multi_label_classification"
PROBLEM_TYPES = (SINGLE_LABEL, MULTI_LABEL)
# Refuse configs beyond these before allocating anything: a hostile or corrupt config.json must
# not make us reserve terabytes. Each bound is far above any sensible emotion classifier.
SIZE_LIMITS = {
    "vocab_size": 2_000_000,
    "embedding_dim": 2048,
    "hidden_size": 4096,
    "num_layers": 8,
    "max_length": 8192,
}
MAX_PARAMETERS = 500_000_000
MAX_LABELS = 10_000  # far beyond any label set one text classifier head should carry
# Weights may be stored in these; they are always loaded back into float32 parameters.
SAVE_DTYPES = (torch.float32, torch.float16, torch.bfloat16)
# safetensors' codes for the dtypes a weights file may hold, by torch's name for them
DTYPE_NAMES = {"F32": "float32", "F16": "float16", "BF16": "bfloat16", "I64": "int64"}

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


def check_source(model_id: str) -> None:
    """Refuse a local folder with a file missing (or a pickle instead of weights), and a path that is no
    folder, before the Hub mixin reads anything or takes the path for a Hub id."""
    if os.path.isdir(model_id):
        _check_local_folder(Path(model_id))
    elif looks_like_path(model_id):
        raise ModelLoadError(f"{model_id}: no such model folder")


@contextmanager
def loading(model_id: str) -> Iterator[None]:
    """Turn what huggingface_hub raises while loading `model_id` (network, cache, JSON) into one line."""
    try:
        yield
    except ModelLoadError:
        raise
    except json.JSONDecodeError as exc:
        raise ModelLoadError(f"{model_id}: {CONFIG_NAME} is not valid JSON ({exc})") from None
    except Exception as exc:
        raise ModelLoadError(f"{model_id}: could not load the model: {first_line(exc)}") from None


def looks_like_path(model_id: str) -> bool:
    """True for things a user means as a folder (./runs/x, /tmp/x, a/b/c), not a Hub id (owner/name)."""
    return model_id.startswith((".", "/", "~")) or model_id.count("/") != 1 or (os.sep != "/" and os.sep in model_id)


def fetcher(model_id: str, **download: Any) -> Callable[[str], str]:
    """A function from a file name to a local path: in the folder `model_id`, or through the Hub cache
    (`download` are `hf_hub_download`'s revision, cache and token arguments)."""

    def fetch(filename: str) -> str:
        if os.path.isdir(model_id):
            return os.path.join(model_id, filename)
        return hf_hub_download(repo_id=model_id, filename=filename, **download)

    return fetch


def validate_config(model_id: str, config: Any, defaults: dict[str, Any]) -> dict[str, Any]:
    """Check config.json's fields, types and sizes; return the constructor arguments (`defaults` fill the gaps)."""
    if not isinstance(config, dict):
        raise ModelLoadError(f"{model_id}: {CONFIG_NAME} must hold a JSON object")
    required = ("vocab_size", "embedding_dim", "hidden_size", "num_labels")
    missing = [name for name in required if name not in config]
    if missing:
        raise ModelLoadError(f"{model_id}: {CONFIG_NAME} lacks {', '.join(missing)}")
    args = {name: config.get(name, default) for name, default in defaults.items()}
    args["id2label"], args["label2id"] = config.get("id2label"), config.get("label2id")
    _check_sizes(model_id, args)
    for name in ("dropout", "embedding_dropout"):
        if not isinstance(args[name], (int, float)) or not 0 <= args[name] < 1:
            raise ModelLoadError(f"{model_id}: {CONFIG_NAME} {name}={args[name]!r} is not in [0, 1)")
    temperature = args["temperature"]
    if not isinstance(temperature, (int, float)) or not (0 < temperature < 1000) or math.isnan(temperature):
        raise ModelLoadError(f"{model_id}: {CONFIG_NAME} temperature={temperature!r} is not a positive number")
    if args["pooling"] not in POOLINGS:
        raise ModelLoadError(
            f"{model_id}: {CONFIG_NAME} pooling={args['pooling']!r} is not one of {', '.join(POOLINGS)}"
        )
    args["id2label"] = _check_id2label(model_id, args["id2label"], args["label2id"], args["num_labels"])
    args.pop("label2id")  # derived from id2label, which was just checked against it
    _check_head(model_id, args)
    _check_parameter_count(model_id, args)
    return args


def _check_sizes(model_id: str, args: dict[str, Any]) -> None:
    for name, limit in SIZE_LIMITS.items():
        value = args[name]
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= limit:
            raise ModelLoadError(f"{model_id}: {CONFIG_NAME} {name}={value!r} is not an integer in 1..{limit}")
    num_labels = args["num_labels"]
    if not isinstance(num_labels, int) or isinstance(num_labels, bool) or not 2 <= num_labels <= MAX_LABELS:
        raise ModelLoadError(
            f"{model_id}: {CONFIG_NAME} num_labels={num_labels!r} is not an integer in 2..{MAX_LABELS}"
        )


def _check_head(model_id: str, args: dict[str, Any]) -> None:
    """problem_type is one transformers knows, and a multi-label head's thresholds are one per label."""
    if args["problem_type"] not in PROBLEM_TYPES:
        kinds = ", ".join(PROBLEM_TYPES)
        raise ModelLoadError(f"{model_id}: {CONFIG_NAME} problem_type={args['problem_type']!r} is not one of {kinds}")
    thresholds, num_labels = args["thresholds"], args["num_labels"]
    if thresholds is not None and (
        not isinstance(thresholds, list)
        or len(thresholds) != num_labels
        or not all(isinstance(t, (int, float)) and not isinstance(t, bool) and 0 <= t <= 1 for t in thresholds)
    ):
        raise ModelLoadError(
            f"{model_id}: {CONFIG_NAME} thresholds must be {num_labels} numbers in [0, 1] (one a label)"
        )


def _check_parameter_count(model_id: str, args: dict[str, Any]) -> None:
    e, h, layers = args["embedding_dim"], args["hidden_size"], args["num_layers"]
    lstm_params = 2 * 4 * h * (e + h + 2) + (layers - 1) * 2 * 4 * h * (2 * h + h + 2)
    if args["vocab_size"] * e + lstm_params > MAX_PARAMETERS:
        raise ModelLoadError(f"{model_id}: {CONFIG_NAME} asks for over {MAX_PARAMETERS:,} parameters; refusing")


def _check_id2label(model_id: str, id2label: Any, label2id: Any, num_labels: int) -> dict[int, str] | None:
    """id2label must name every id 0..num_labels-1 once, and label2id (when present) must be its inverse."""
    if id2label is None:
        if num_labels != NUM_LABELS:
            raise ModelLoadError(f"{model_id}: {CONFIG_NAME} has num_labels={num_labels} but no id2label naming them")
        return None
    if (
        not isinstance(id2label, dict)
        or not all(str(k).isdigit() for k in id2label)
        or not all(isinstance(v, str) and v for v in id2label.values())
    ):
        raise ModelLoadError(f"{model_id}: {CONFIG_NAME} id2label must map ids 0..{num_labels - 1} to names")
    ids = {int(k) for k in id2label}
    if ids != set(range(len(id2label))):
        raise ModelLoadError(f"{model_id}: {CONFIG_NAME} id2label must map ids 0..{len(id2label) - 1} to names")
    if len(id2label) != num_labels:
        raise ModelLoadError(
            f"{model_id}: {CONFIG_NAME} id2label names {len(id2label)} labels but num_labels is {num_labels}"
        )
    names = {int(k): v for k, v in id2label.items()}
    if len(set(names.values())) != len(names):
        raise ModelLoadError(f"{model_id}: {CONFIG_NAME} id2label names one label twice")
    if label2id is not None and (
        not isinstance(label2id, dict) or {str(k): v for k, v in label2id.items()} != {v: k for k, v in names.items()}
    ):
        raise ModelLoadError(f"{model_id}: {CONFIG_NAME} label2id is not the inverse of id2label")
    return names


def read_tokenizer(model_id: str, fetch: Callable[[str], str], vocab_size: int) -> Tokenizer:
    """tokenizer.json, which must have exactly the vocabulary the embedding was built for."""
    try:
        tokenizer = Tokenizer.from_file(fetch(TOKENIZER_NAME))
    except Exception as exc:
        raise ModelLoadError(f"{model_id}: {TOKENIZER_NAME} is missing or unreadable ({first_line(exc)})") from None
    if tokenizer.get_vocab_size() != vocab_size:
        raise ModelLoadError(
            f"{model_id}: {TOKENIZER_NAME} has {tokenizer.get_vocab_size()} tokens but {CONFIG_NAME} says "
            f"vocab_size {vocab_size}: they do not belong together"
        )
    return tokenizer


def read_weights(model_id: str, fetch: Callable[[str], str]) -> dict[str, torch.Tensor]:
    try:
        return safetensors.torch.load_file(fetch(WEIGHTS_NAME))
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelLoadError(f"{model_id}: {WEIGHTS_NAME} is corrupt or truncated ({first_line(exc)})") from None


def load_weights(model_id: str, model: torch.nn.Module, state: dict[str, torch.Tensor]) -> None:
    """Copy `state` into `model` after checking every tensor against the model `config.json` describes."""
    _check_weights(model_id, state, model.state_dict())
    try:
        # load_state_dict copies into the float32 parameters, so float16 files load as float32.
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise ModelLoadError(f"{model_id}: {WEIGHTS_NAME} does not match {CONFIG_NAME} ({first_line(exc)})") from None


def _check_weights(model_id: str, state: dict[str, torch.Tensor], expected: dict[str, torch.Tensor]) -> None:
    """Name the first tensor that is missing, extra, misshapen or not finite (safetensors has no checksum)."""
    for name, tensor in expected.items():
        if name not in state:
            raise ModelLoadError(f"{model_id}: {WEIGHTS_NAME} lacks the tensor {name}")
        if name.startswith("classifier.") and state[name].shape[:1] != tensor.shape[:1]:
            raise ModelLoadError(
                f"{model_id}: {WEIGHTS_NAME} has {state[name].shape[0]} output rows ({name}) but {CONFIG_NAME}'s "
                f"id2label names {tensor.shape[0]} labels: they do not belong together"
            )
        if tuple(state[name].shape) != tuple(tensor.shape):
            raise ModelLoadError(
                f"{model_id}: {WEIGHTS_NAME} has {name} of shape {tuple(state[name].shape)} but {CONFIG_NAME} "
                f"implies {tuple(tensor.shape)}"
            )
        if state[name].is_floating_point() and not bool(torch.isfinite(state[name]).all()):
            raise ModelLoadError(f"{model_id}: {WEIGHTS_NAME} holds NaN or infinite values in {name} (corrupt)")
    extra = sorted(set(state) - set(expected))
    if extra:
        raise ModelLoadError(f"{model_id}: {WEIGHTS_NAME} holds unexpected tensors ({', '.join(extra[:3])})")


def _check_local_folder(folder: Path) -> None:
    names = {p.name for p in folder.iterdir()}
    if WEIGHTS_NAME not in names:
        pickles = sorted(n for n in names if n.endswith(PICKLE_SUFFIXES))
        if pickles:
            raise ModelLoadError(
                f"{folder}: holds {pickles[0]} (a pickle) but no {WEIGHTS_NAME}; "
                "pickles can run code and are never loaded"
            )
        raise ModelLoadError(f"{folder}: {WEIGHTS_NAME} is missing")
    if CONFIG_NAME not in names:
        raise ModelLoadError(f"{folder}: {CONFIG_NAME} is missing")
    if TOKENIZER_NAME not in names:
        raise ModelLoadError(f"{folder}: {TOKENIZER_NAME} is missing")
    try:  # checked here because the Hub mixin reads config.json before our validation runs
        config = json.loads((folder / CONFIG_NAME).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"{folder}: {CONFIG_NAME} is not valid JSON ({first_line(exc)})") from None
    if not isinstance(config, dict):
        raise ModelLoadError(f"{folder}: {CONFIG_NAME} must hold a JSON object, not {type(config).__name__}")


def read_training_summary(fetch: Callable[[str], str]) -> dict[str, Any] | None:
    """metrics.json as a dict, or None when the model has none (it is optional) or it is unreadable."""
    try:
        summary = json.loads(Path(fetch(METRICS_NAME)).read_text(encoding="utf-8"))
    except Exception:  # absent locally or on the Hub, offline, or not JSON: the model still works
        return None
    return summary if isinstance(summary, dict) else None


def default_model_dir() -> Path:
    """The folder of the model that ships inside the package."""
    return Path(__file__).parent / "pretrained"
