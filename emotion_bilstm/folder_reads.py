"""Reading a model folder without torch: its file names and caps, and the checks every loader runs.

`EmotionBiLSTM.from_pretrained` (model_folder.py, torch) and the light `pipeline` (light.py, NumPy)
read a folder or a Hub repo through these, so both refuse the same things with the same one line:
a folder with a file missing, hostile (a FIFO, a link out of the folder, oversize) or a pickle instead
of weights; a config.json `ModelConfig.from_json` refuses; a tokenizer.json that does not fit the
embedding or cannot tokenize; weights that are not floating point (from the header, before any is
loaded), misshapen for the config, or not finite. Every read goes through `safe_read.read_bounded`
under the cap FILE_LIMITS sets for its name. Nothing but safetensors and JSON is ever read.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tokenizers import Tokenizer

from .config import CONFIG_NAME, ModelConfig
from .errors import ModelLoadError, first_line
from .safe_read import check_regular_file, parse_json, read_bounded

WEIGHTS_NAME, TOKENIZER_NAME = "model.safetensors", "tokenizer.json"
METRICS_NAME = "metrics.json"
CARD_NAME = "README.md"
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".ckpt")
# safetensors' codes for the dtypes a weights file may hold, by torch's name for them
DTYPE_NAMES = {
    "F64": "float64",
    "F32": "float32",
    "F16": "float16",
    "BF16": "bfloat16",
    "I64": "int64",
    "I32": "int32",
    "I16": "int16",
    "I8": "int8",
    "U8": "uint8",
    "BOOL": "bool",
}
# What loading accepts, by safetensors' code: floating point only (integer or bool weights would load
# and predict garbage); every one is converted to float32 (float64 too).
FLOAT_CODES = {"F32": "float32", "F16": "float16", "BF16": "bfloat16", "F64": "float64"}
# The most bytes each file of a model folder may hold. Far above what any model this package writes
# needs (the shipped model: config 0.5 KB, card 20 KB, metrics 40 KB, tokenizer 1 MB, weights 9 MB),
# low enough that a hostile folder (a 10 GB "config") cannot take the machine's memory.
FILE_LIMITS = {
    CONFIG_NAME: 4 << 20,  # MAX_LABELS labels named twice (id2label, label2id) plus thresholds: about 1 MB
    METRICS_NAME: 16 << 20,  # a training summary: per-class figures and histories
    CARD_NAME: 4 << 20,  # the rendered model card
    TOKENIZER_NAME: 128 << 20,  # SIZE_LIMITS' 2,000,000 tokens at up to ~60 bytes of JSON each
    WEIGHTS_NAME: 4 << 30,  # MAX_PARAMETERS float32 values plus the largest head, with room to spare
}
# A text run through a loaded tokenizer once: a normaliser rule that panics inside the Rust library
# (an empty-match Replace before Lowercase does, on any text) is refused at load, not at predict.
PROBE_TEXT = "I DIDN'T feel ﬁne!! 😭❤️ @bob https://t.co/x &amp; Ünïcode sooo  "
# Names that end like these are files, never Hub repos: `--model data/train.txt` is a path.
FILE_SUFFIXES = (
    ".txt", ".json", ".jsonl", ".csv", ".tsv", ".md", ".yaml", ".yml", ".parquet", ".arrow", ".safetensors",
    ".bin", ".pt", ".pth", ".pkl", ".ckpt", ".onnx", ".h5", ".npy", ".npz", ".png", ".gz", ".zip", ".tar",
)  # fmt: skip


# ----- reading ----------------------------------------------------------------------------------


def check_source(model_id: str) -> None:
    """Refuse a local folder with a file missing, hostile (a FIFO, a link out of the folder, oversize) or a
    pickle instead of weights, and a path that is no folder, before the Hub mixin reads anything or takes
    the path for a Hub id (which would cost a round of network retries)."""
    if os.path.isdir(model_id):
        _check_local_folder(Path(model_id))
    elif os.path.lexists(model_id):
        raise ModelLoadError(
            f"{model_id}: not a model folder (a file; pass the folder holding {CONFIG_NAME} and {WEIGHTS_NAME})"
        )
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
    # The mixin parses a Hub repo's config.json itself (a local folder's was checked by `check_source`):
    # these two are what Python's JSON parser raises on absurd nesting and on a 5,000-digit integer.
    except RecursionError:
        raise ModelLoadError(f"{model_id}: {CONFIG_NAME} is nested too deeply to read") from None
    except ValueError as exc:
        if "integer string conversion" not in str(exc):
            raise ModelLoadError(f"{model_id}: could not load the model: {first_line(exc)}") from None
        raise ModelLoadError(f"{model_id}: {CONFIG_NAME} holds an integer too long to read") from None
    except Exception as exc:
        raise ModelLoadError(f"{model_id}: could not load the model: {first_line(exc)}") from None


def looks_like_path(model_id: str) -> bool:
    """True for things a user means as a path (./runs/x, /tmp/x, a/b/c, data/x.txt), not a Hub id (owner/name)."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    if model_id.startswith((".", "/", "~")) or model_id.count("/") != 1:
        return True
    if any(sep in model_id for sep in (os.sep, os.altsep) if sep and sep != "/"):
        return True
    if model_id.lower().endswith(FILE_SUFFIXES):
        return True
    try:
        validate_repo_id(model_id)
    except HFValidationError:
        return True  # no Hub repo can have this name
    return False


def fetcher(model_id: str, **download: Any) -> Callable[[str], str]:
    """A function from a file name to a local path: in the folder `model_id`, or through the Hub cache
    (`download` are `hf_hub_download`'s revision, cache and token arguments)."""

    def fetch(filename: str) -> str:
        if os.path.isdir(model_id):
            return os.path.join(model_id, filename)
        from huggingface_hub import hf_hub_download

        return hf_hub_download(repo_id=model_id, filename=filename, **download)

    return fetch


def read_tokenizer(model_id: str, fetch: Callable[[str], str], vocab_size: int) -> Tokenizer:
    """tokenizer.json, which must have exactly the vocabulary the embedding was built for, every id a row
    of it, and a normaliser that runs."""
    data = read_bounded(fetched(model_id, fetch, TOKENIZER_NAME), model_id, FILE_LIMITS[TOKENIZER_NAME])
    try:
        tokenizer = Tokenizer.from_str(data.decode("utf-8"))
    except Exception as exc:
        raise ModelLoadError(f"{model_id}: {TOKENIZER_NAME} is unreadable ({first_line(exc)})") from None
    if tokenizer.get_vocab_size() != vocab_size:
        raise ModelLoadError(
            f"{model_id}: {TOKENIZER_NAME} has {tokenizer.get_vocab_size()} tokens but {CONFIG_NAME} says "
            f"vocab_size {vocab_size}: they do not belong together"
        )
    # get_vocab_size counts entries: ids need not run 0..n-1, and an id past the embedding's rows
    # fails (or crawls through a huge one-hot) only when a text holds that token
    vocab = tokenizer.get_vocab(with_added_tokens=True)
    token, top = max(vocab.items(), key=lambda item: item[1], default=("", -1))
    if top >= vocab_size:
        raise ModelLoadError(
            f"{model_id}: {TOKENIZER_NAME} gives {token!r} the id {top}, past the embedding's {vocab_size} rows "
            f"({CONFIG_NAME} vocab_size)"
        )
    _probe(model_id, tokenizer)
    return tokenizer


def _probe(model_id: str, tokenizer: Tokenizer) -> None:
    """Run the tokenizer once: a rule that fails or panics inside the Rust library is refused here.

    A Rust panic arrives as pyo3's PanicException, a BaseException (not an Exception), after Rust's
    panic hook has written to the process's stderr: that goes to a temporary file, shown only when
    the probe passes (a warning), so that a refusal stays one line.
    """
    sys.stderr.flush()
    with tempfile.TemporaryFile() as captured:
        saved = os.dup(2)
        os.dup2(captured.fileno(), 2)
        try:
            tokenizer.encode(PROBE_TEXT)
        except BaseException as exc:  # PanicException is no Exception; the others are raised again below
            failure: BaseException | None = exc
        else:
            failure = None
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        if failure is None:
            captured.seek(0)
            sys.stderr.write(captured.read().decode("utf-8", "replace"))
            return
    if not isinstance(failure, Exception) and type(failure).__name__ != "PanicException":
        raise failure  # KeyboardInterrupt, SystemExit
    raise ModelLoadError(
        f"{model_id}: {TOKENIZER_NAME} cannot tokenize text; its normaliser or pre-tokenizer is broken "
        f"({first_line(failure)})"
    )


def read_config(model_id: str, fetch: Callable[[str], str]) -> ModelConfig:
    """config.json, read bounded and checked (`ModelConfig.from_json`)."""
    data = read_bounded(fetched(model_id, fetch, CONFIG_NAME), model_id, FILE_LIMITS[CONFIG_NAME])
    return ModelConfig.from_json(model_id, parse_json(data, f"{model_id}: {CONFIG_NAME}"))


def read_header(model_id: str, data: bytes) -> dict[str, Any]:
    """The JSON header of a safetensors file's bytes (an 8-byte length, then the header), every tensor in it
    floating point: checked before any tensor is loaded."""
    length = int.from_bytes(data[:8], "little") if len(data) >= 8 else -1
    if not 0 < length <= len(data) - 8:
        raise ModelLoadError(f"{model_id}: {WEIGHTS_NAME} is corrupt or truncated (no valid header)")
    header = parse_json(data[8 : 8 + length], f"{model_id}: {WEIGHTS_NAME}'s header")
    if not isinstance(header, dict) or not all(isinstance(v, dict) for k, v in header.items() if k != "__metadata__"):
        raise ModelLoadError(f"{model_id}: {WEIGHTS_NAME} is corrupt or truncated (a malformed header)")
    for name in sorted(k for k in header if k != "__metadata__"):
        code = header[name].get("dtype")
        if code not in FLOAT_CODES:
            stored = DTYPE_NAMES.get(code, str(code).lower())
            raise ModelLoadError(
                f"{model_id}: {WEIGHTS_NAME} stores {name} as {stored}; weights must be floating point "
                f"({', '.join(FLOAT_CODES.values())})"
            )
    return header


def expected_shapes(config: ModelConfig) -> dict[str, tuple[int, ...]]:
    """The tensors `config` implies, by name, in state-dict order: those `EmotionBiLSTM(**config.init_kwargs())`
    holds (tests/test_numpy_engine.py checks both agree)."""
    embedding, hidden, labels = config.embedding_dim, config.hidden_size, config.num_labels
    shapes: dict[str, tuple[int, ...]] = {"embedding.weight": (config.vocab_size, embedding)}
    for layer in range(config.num_layers):
        width = embedding if layer == 0 else 2 * hidden
        for suffix in (f"l{layer}", f"l{layer}_reverse"):
            shapes[f"lstm.weight_ih_{suffix}"] = (4 * hidden, width)
            shapes[f"lstm.weight_hh_{suffix}"] = (4 * hidden, hidden)
            shapes[f"lstm.bias_ih_{suffix}"] = (4 * hidden,)
            shapes[f"lstm.bias_hh_{suffix}"] = (4 * hidden,)
    return {**shapes, "classifier.weight": (labels, 2 * hidden), "classifier.bias": (labels,)}


def check_weights(
    model_id: str, state: Mapping[str, Any], expected: Mapping[str, tuple[int, ...]], all_finite: Callable[[Any], bool]
) -> None:
    """Name the first tensor (torch or NumPy) that is missing, extra, misshapen or not finite (safetensors has no
    checksum). `expected`: each tensor's shape by name; `all_finite(tensor)`: whether it holds no NaN or infinity.
    Their dtypes were checked from the file's header (`read_header`)."""
    for name, shape in expected.items():
        if name not in state:
            raise ModelLoadError(f"{model_id}: {WEIGHTS_NAME} lacks the tensor {name}")
        found = tuple(state[name].shape)
        if name.startswith("classifier.") and found[:1] != shape[:1]:
            raise ModelLoadError(
                f"{model_id}: {WEIGHTS_NAME} has {found[0]} output rows ({name}) but {CONFIG_NAME}'s "
                f"id2label names {shape[0]} labels: they do not belong together"
            )
        if found != shape:
            raise ModelLoadError(
                f"{model_id}: {WEIGHTS_NAME} has {name} of shape {found} but {CONFIG_NAME} implies {shape}"
            )
        if not all_finite(state[name]):
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
    # Every file loading reads is checked before anything opens one: a FIFO would hang the first reader.
    for name in (WEIGHTS_NAME, TOKENIZER_NAME, METRICS_NAME):
        if name in names:
            check_regular_file(folder / name, str(folder), FILE_LIMITS[name])
    # config.json is read here because the Hub mixin reads it (without bounds) before our validation runs
    config = parse_json(
        read_bounded(folder / CONFIG_NAME, str(folder), FILE_LIMITS[CONFIG_NAME]), f"{folder}: {CONFIG_NAME}"
    )
    if not isinstance(config, dict):
        raise ModelLoadError(f"{folder}: {CONFIG_NAME} must hold a JSON object, not {type(config).__name__}")


def read_training_summary(fetch: Callable[[str], str], model_id: str | None = None) -> dict[str, Any] | None:
    """metrics.json as a dict, or None when the model has none (it is optional) or its content is no JSON
    object. A metrics.json that is no regular file, links out of the folder or is oversize is refused."""
    try:
        path = Path(fetch(METRICS_NAME))
    except Exception:  # not in the Hub repo, or offline: the model still works
        return None
    if not os.path.lexists(path):
        return None
    data = read_bounded(path, model_id or str(path.parent), FILE_LIMITS[METRICS_NAME])
    try:
        summary = parse_json(data, f"{model_id or path.parent}: {METRICS_NAME}")
    except ModelLoadError:  # not JSON: the model still works, the card just cannot quote its figures
        return None
    return summary if isinstance(summary, dict) else None


# ----- where files are ----------------------------------------------------------------------------


def fetched(model_id: str, fetch: Callable[[str], str], name: str) -> Path:
    """The local path of `name` (a Hub download fetches it into the cache first)."""
    try:
        return Path(fetch(name))
    except Exception as exc:
        raise ModelLoadError(f"{model_id}: {name} is missing or unreadable ({first_line(exc)})") from None


def default_model_dir() -> Path:
    """The folder of the model that ships inside the package."""
    return Path(__file__).parent / "pretrained"


def shipped_model_folder() -> Path:
    """`default_model_dir()`, refused in one line where this installation lacks the model (both loaders use it)."""
    folder = default_model_dir()
    if not (folder / WEIGHTS_NAME).exists():
        raise ModelLoadError(f"{folder}: the default model is not in this installation; pass --model")
    return folder
