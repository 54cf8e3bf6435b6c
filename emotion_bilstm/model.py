"""The model: embeddings -> bidirectional LSTM over packed sequences -> pooling -> linear head.

`EmotionBiLSTM` owns its tokenizer and its Hub format: `save_pretrained` writes `config.json`,
`model.safetensors`, `tokenizer.json` and a model card; `from_pretrained` reads a folder or a Hub
repo id back, strictly, refusing anything but safetensors and JSON.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .choices import Pooling, values
from .errors import ModelLoadError, first_line, writing
from .explain import explain as explain_texts
from .files import staged_folder
from .labels import ID2LABEL, NUM_LABELS
from .predictions import format_multi_label, format_predictions
from .tokenizer import PAD_ID, encode_batch, reads_a_word

if TYPE_CHECKING:
    from tokenizers import Tokenizer

POOLINGS = values(Pooling)
# transformers' names for the two kinds of head; the default is left out of config.json
SINGLE_LABEL, MULTI_LABEL = "single_label_classification", "multi_label_classification"
PROBLEM_TYPES = (SINGLE_LABEL, MULTI_LABEL)
WEIGHTS_NAME, CONFIG_NAME, TOKENIZER_NAME = "model.safetensors", "config.json", "tokenizer.json"
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".ckpt")
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
METRICS_NAME = "metrics.json"


class EmotionBiLSTM(
    nn.Module,
    PyTorchModelHubMixin,
    library_name="emotion-bilstm",
    license="mit",
    language=["en"],
    pipeline_tag="text-classification",
    tags=["emotion", "bilstm", "text-classification"],
    repo_url="https://github.com/emotion-bilstm/emotion-bilstm",
):
    """A bidirectional LSTM emotion classifier. Every size is a constructor argument and so in `config.json`."""

    def __init__(
        self,
        vocab_size: int = 30000,
        embedding_dim: int = 200,
        hidden_size: int = 128,
        num_layers: int = 1,
        dropout: float = 0.3,
        embedding_dropout: float = 0.1,
        pooling: str = "max",
        num_labels: int = NUM_LABELS,
        max_length: int = 128,
        temperature: float = 1.0,
        id2label: dict | None = None,
        label2id: dict | None = None,
        problem_type: str = SINGLE_LABEL,
        thresholds: list[float] | None = None,
    ) -> None:
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, not {pooling!r}")
        if problem_type not in PROBLEM_TYPES:
            raise ValueError(f"problem_type must be one of {PROBLEM_TYPES}, not {problem_type!r}")
        if id2label is None:
            # a model built without names: the default six when it has six outputs, else placeholders
            id2label = ID2LABEL if num_labels == NUM_LABELS else {i: f"LABEL_{i}" for i in range(num_labels)}
        id2label = {int(k): v for k, v in id2label.items()}
        if sorted(id2label) != list(range(num_labels)):
            raise ValueError(f"id2label must name ids 0..{num_labels - 1}, got {sorted(id2label)}")
        self.config: dict[str, Any] = {
            "vocab_size": vocab_size,
            "embedding_dim": embedding_dim,
            "hidden_size": hidden_size,
            "num_layers": num_layers,
            "dropout": dropout,
            "embedding_dropout": embedding_dropout,
            "pooling": pooling,
            "num_labels": num_labels,
            "max_length": max_length,
            "temperature": temperature,
            "id2label": {str(k): v for k, v in id2label.items()},
            "label2id": {v: k for k, v in id2label.items()},
        }
        if problem_type == MULTI_LABEL:
            # sigmoid per label; a label applies when its probability reaches its threshold (tuned on validation)
            self.config["problem_type"] = problem_type
            self.config["thresholds"] = [float(t) for t in thresholds] if thresholds else [0.5] * num_labels
        self.id2label = id2label
        self.pooling = pooling
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=PAD_ID)
        self.embedding_dropout = nn.Dropout(embedding_dropout)
        self.lstm = nn.LSTM(
            embedding_dim,
            hidden_size,
            num_layers=num_layers,
            batch_first=True,
            bidirectional=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(2 * hidden_size, num_labels)
        self.tokenizer: Tokenizer | None = None
        # Set by training so that `save_pretrained` can write a model card from the real run.
        self.training_summary: dict[str, Any] | None = None

    @property
    def multi_label(self) -> bool:
        return self.config.get("problem_type") == MULTI_LABEL

    @property
    def thresholds(self) -> list[float] | None:
        """Per-label decision thresholds of a multi-label model (None for a single-label one)."""
        return self.config.get("thresholds")

    @thresholds.setter
    def thresholds(self, values: Sequence[float]) -> None:
        if not self.multi_label:
            raise ValueError("only a multi-label model has per-label thresholds")
        if len(values) != self.config["num_labels"]:
            raise ValueError(f"{len(values)} thresholds for {self.config['num_labels']} labels")
        # 12 decimals: calibration moves thresholds to sigmoid(logit(t) / T), which must round-trip
        self.config["thresholds"] = [round(float(v), 12) for v in values]

    @property
    def temperature(self) -> float:
        return float(self.config["temperature"])

    @temperature.setter
    def temperature(self, value: float) -> None:
        self.config["temperature"] = float(value)

    def forward(self, input_ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Logits of shape (batch, num_labels) for right-padded `input_ids` of true `lengths`."""
        embedded = self.embedding_dropout(self.embedding(input_ids))
        packed = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True, enforce_sorted=False)
        outputs, (hidden, _) = self.lstm(packed)
        if self.pooling == "last":
            pooled = torch.cat([hidden[-2], hidden[-1]], dim=-1)  # last layer, forward and backward
        else:
            padded, _ = pad_packed_sequence(outputs, batch_first=True, total_length=input_ids.shape[1])
            mask = torch.arange(padded.shape[1], device=padded.device)[None, :] < lengths.to(padded.device)[:, None]
            mask = mask.unsqueeze(-1)
            if self.pooling == "max":
                pooled = padded.masked_fill(~mask, torch.finfo(padded.dtype).min).amax(dim=1)
            else:
                pooled = (padded * mask).sum(dim=1) / lengths.to(padded.device)[:, None].to(padded.dtype)
        return self.classifier(self.dropout(pooled))

    # ----- inference -------------------------------------------------------------------------

    def encode(self, texts: list[str]) -> list[list[int]]:
        if self.tokenizer is None:
            raise RuntimeError("this model has no tokenizer; load it with from_pretrained or set model.tokenizer")
        # Clean lower-case texts skip the Rust normaliser (same ids, see fast_tokenize.py); checked once per tokenizer.
        cached = self.__dict__.get("_word_lookup")
        if cached is None or cached[0] is not self.tokenizer:
            from .fast_tokenize import word_lookup_for

            cached = (self.tokenizer, word_lookup_for(self.tokenizer))
            self.__dict__["_word_lookup"] = cached
        if cached[1] is not None:
            return cached[1].encode(texts)
        return encode_batch(self.tokenizer, texts)

    def predict_proba(self, texts: list[str], batch_size: int = 512, fast: bool = True) -> torch.Tensor:
        """Calibrated class probabilities, shape (len(texts), num_labels), in input order.

        A multi-label model's rows are independent per-label probabilities (sigmoid), not a softmax.

        Texts are sorted by length so each batch holds similar lengths (little padding, short packs).
        On CPU the recurrence runs in `fast_lstm` (same numbers, several times faster); `fast=False`
        forces the `nn.LSTM` reference path.
        """
        return self._proba_for_ids(self.encode(list(texts)), batch_size, fast)

    def _proba_for_ids(self, ids: list[list[int]], batch_size: int = 512, fast: bool = True) -> torch.Tensor:
        if fast:
            from .fast_lstm import fast_path

            engine = fast_path(self)
            if engine is not None:
                return engine.predict_proba(ids, self.config["num_labels"], batch_size)
        from .scoring import logits_for_ids, probabilities

        return probabilities(logits_for_ids(self, ids, batch_size), self.temperature, self.multi_label)

    def predict(
        self,
        texts: list[str] | str,
        top_k: int | None = None,
        batch_size: int = 512,
        threshold: float | None = None,
    ) -> list[dict[str, Any]]:
        """Label, score and per-label scores (best first) for each text.

        `top_k` keeps only the k best labels in `scores`; by default every label. With `top_k` or
        `threshold`, each result also has `top`: the k best labels (`{"label", "score"}`, best
        first) that score at least `threshold`, as fastText's `-k` and `-t`; both options apply
        together.

        A multi-label model returns `labels` (every label whose probability reaches its tuned
        threshold, or `threshold` when given; at most `top_k`; possibly none) and every label's score.

        A text with no word the model reads (empty, punctuation, unknown emoji, only URLs or @mentions,
        only words it never saw) gets `label: None` (`labels: None`) and a `reason`: any label would be
        a guess.
        """
        if isinstance(texts, str):
            texts = [texts]
        ids = self.encode(list(texts))
        probs = self._proba_for_ids(ids, batch_size)
        readable = [reads_a_word(row) for row in ids]
        if self.multi_label:
            return format_multi_label(probs, self.id2label, self.thresholds, top_k, threshold, readable)
        return format_predictions(probs, self.id2label, top_k, threshold, readable)

    def explain(self, texts: list[str] | str, top_k: int = 5, batch_size: int = 512) -> list[dict[str, Any]]:
        """Each word's contribution to the predicted label, by leaving one token out (see `explain.py`)."""
        return explain_texts(self, texts, top_k=top_k, batch_size=batch_size)

    # ----- Hub format ------------------------------------------------------------------------

    def save_pretrained(
        self,
        save_directory: str | os.PathLike,
        *,
        config: dict | None = None,
        dtype: torch.dtype | None = None,
        extra_files: Sequence[str | os.PathLike] = (),
        **kwargs: Any,
    ):
        """Write the model folder atomically: a crash never leaves a half-written folder behind.

        Files go to a hidden sibling folder first, which then replaces `save_directory` by renames.
        `dtype=torch.float16` stores the floating-point weights in half precision (half the size);
        `from_pretrained` loads them back into float32 parameters. `extra_files` (a reliability
        diagram, say) are copied in first, so that the model card lists them with the rest.
        """
        if dtype is not None and dtype not in SAVE_DTYPES:
            raise ValueError(f"dtype must be one of {SAVE_DTYPES}, not {dtype!r}")
        target = Path(save_directory)
        push = kwargs.pop("push_to_hub", False)
        repo_id = kwargs.pop("repo_id", None)
        # a full disk or a read-only folder is one line naming the target, not a safetensors traceback
        with writing(target), staged_folder(target) as staging:
            # The card reads file sizes and the stored dtype from the folder, which is written before the card.
            kwargs["model_card_kwargs"] = {**(kwargs.get("model_card_kwargs") or {}), "folder": staging}
            for extra in extra_files:
                shutil.copy2(extra, staging / Path(extra).name)
            self._save_dtype = dtype
            try:
                super().save_pretrained(staging, config=config or self.config, **kwargs)
            finally:
                self._save_dtype = None
        if push:
            return self.push_to_hub(repo_id or target.name, config=config or self.config, **kwargs)
        return None

    def _save_pretrained(self, save_directory: Path) -> None:
        from safetensors.torch import save_file

        if self.tokenizer is None:
            raise RuntimeError("cannot save a model without its tokenizer")
        dtype = getattr(self, "_save_dtype", None)
        state = {
            name: (tensor.to(dtype) if dtype is not None and tensor.is_floating_point() else tensor)
            .detach()
            .contiguous()
            .cpu()
            for name, tensor in self.state_dict().items()
        }
        save_file(state, str(save_directory / WEIGHTS_NAME), metadata={"format": "pt"})
        # safetensors writes through a private temporary file (mode 0600); give it the mode every other
        # file of the folder gets, so a shared or published model folder is readable like its config
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(save_directory / WEIGHTS_NAME, 0o666 & ~umask)
        self.tokenizer.save(str(save_directory / TOKENIZER_NAME))
        if self.training_summary is not None:
            metrics_path = save_directory / METRICS_NAME
            metrics_path.write_text(json.dumps(self.training_summary, indent=2) + "\n")

    def generate_model_card(self, *args: Any, **kwargs: Any):
        from .card import build_model_card

        return build_model_card(self, **kwargs)

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: str | os.PathLike, **kwargs: Any) -> EmotionBiLSTM:
        """Load a model folder or Hub repo id (through the Hub cache, so `HF_HUB_OFFLINE=1` works).

        Returns the model in eval mode, on CPU unless `map_location` says otherwise. Raises
        `ModelLoadError` with a one-line reason for anything missing, corrupt or absurd.
        """
        model_id = str(pretrained_model_name_or_path)
        if os.path.isdir(model_id):
            _check_local_folder(Path(model_id))
        elif looks_like_path(model_id):
            raise ModelLoadError(f"{model_id}: no such model folder")
        try:
            return super().from_pretrained(pretrained_model_name_or_path, **kwargs)
        except ModelLoadError:
            raise
        except json.JSONDecodeError as exc:
            raise ModelLoadError(f"{model_id}: config.json is not valid JSON ({exc})") from None
        except Exception as exc:  # network, cache and validation errors from huggingface_hub
            raise ModelLoadError(f"{model_id}: could not load the model: {first_line(exc)}") from None

    @classmethod
    def _from_pretrained(
        cls,
        *,
        model_id: str,
        revision: str | None,
        cache_dir: str | Path | None,
        force_download: bool,
        local_files_only: bool,
        token: str | bool | None,
        config: dict | None = None,
        map_location: str = "cpu",
        **model_kwargs: Any,
    ) -> EmotionBiLSTM:
        from safetensors import SafetensorError
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        if config is None:
            raise ModelLoadError(f"{model_id}: config.json is missing")
        init_args = validate_config(model_id, config)
        init_args.update({k: v for k, v in model_kwargs.items() if k in init_args})

        def fetch(filename: str) -> str:
            if os.path.isdir(model_id):
                return os.path.join(model_id, filename)
            from huggingface_hub import hf_hub_download

            return hf_hub_download(
                repo_id=model_id,
                filename=filename,
                revision=revision,
                cache_dir=cache_dir,
                force_download=force_download,
                token=token,
                local_files_only=local_files_only,
            )

        try:
            tokenizer = Tokenizer.from_file(fetch(TOKENIZER_NAME))
        except Exception as exc:
            raise ModelLoadError(f"{model_id}: tokenizer.json is missing or unreadable ({first_line(exc)})") from None
        if tokenizer.get_vocab_size() != init_args["vocab_size"]:
            raise ModelLoadError(
                f"{model_id}: tokenizer.json has {tokenizer.get_vocab_size()} tokens but config.json says "
                f"vocab_size {init_args['vocab_size']}: they do not belong together"
            )
        try:
            state = load_file(fetch(WEIGHTS_NAME))
        except (SafetensorError, OSError, ValueError) as exc:
            raise ModelLoadError(f"{model_id}: {WEIGHTS_NAME} is corrupt or truncated ({first_line(exc)})") from None
        model = cls(**init_args)
        _check_weights(model_id, state, model.state_dict())
        try:
            # load_state_dict copies into the float32 parameters, so float16 files load as float32.
            model.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            raise ModelLoadError(f"{model_id}: {WEIGHTS_NAME} does not match config.json ({first_line(exc)})") from None
        model.tokenizer = tokenizer
        # Keep the real run's figures, so that saving this model again writes a card that is still true.
        model.training_summary = _read_training_summary(fetch)
        return model.to(map_location).eval()


def validate_config(model_id: str, config: Any) -> dict[str, Any]:
    """Check config.json's fields, types and sizes; return the constructor arguments."""
    if not isinstance(config, dict):
        raise ModelLoadError(f"{model_id}: config.json must hold a JSON object")
    defaults = EmotionBiLSTM._hub_mixin_jsonable_default_values
    required = ("vocab_size", "embedding_dim", "hidden_size", "num_labels")
    missing = [name for name in required if name not in config]
    if missing:
        raise ModelLoadError(f"{model_id}: config.json lacks {', '.join(missing)}")
    args = {name: config.get(name, default) for name, default in defaults.items()}
    args["id2label"], args["label2id"] = config.get("id2label"), config.get("label2id")
    for name, limit in SIZE_LIMITS.items():
        value = args[name]
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= limit:
            raise ModelLoadError(f"{model_id}: config.json {name}={value!r} is not an integer in 1..{limit}")
    num_labels = args["num_labels"]
    if not isinstance(num_labels, int) or isinstance(num_labels, bool) or not 2 <= num_labels <= MAX_LABELS:
        raise ModelLoadError(f"{model_id}: config.json num_labels={num_labels!r} is not an integer in 2..{MAX_LABELS}")
    for name in ("dropout", "embedding_dropout"):
        if not isinstance(args[name], (int, float)) or not 0 <= args[name] < 1:
            raise ModelLoadError(f"{model_id}: config.json {name}={args[name]!r} is not in [0, 1)")
    temperature = args["temperature"]
    if not isinstance(temperature, (int, float)) or not (0 < temperature < 1000) or math.isnan(temperature):
        raise ModelLoadError(f"{model_id}: config.json temperature={temperature!r} is not a positive number")
    if args["pooling"] not in POOLINGS:
        raise ModelLoadError(f"{model_id}: config.json pooling={args['pooling']!r} is not one of {', '.join(POOLINGS)}")
    args["id2label"] = _check_id2label(model_id, args["id2label"], args["label2id"], num_labels)
    args.pop("label2id")  # derived from id2label, which was just checked against it
    if args["problem_type"] not in PROBLEM_TYPES:
        kinds = ", ".join(PROBLEM_TYPES)
        raise ModelLoadError(f"{model_id}: config.json problem_type={args['problem_type']!r} is not one of {kinds}")
    thresholds = args["thresholds"]
    if thresholds is not None and (
        not isinstance(thresholds, list)
        or len(thresholds) != num_labels
        or not all(isinstance(t, (int, float)) and not isinstance(t, bool) and 0 <= t <= 1 for t in thresholds)
    ):
        raise ModelLoadError(f"{model_id}: config.json thresholds must be {num_labels} numbers in [0, 1] (one a label)")
    e, h, layers = args["embedding_dim"], args["hidden_size"], args["num_layers"]
    lstm_params = 2 * 4 * h * (e + h + 2) + (layers - 1) * 2 * 4 * h * (2 * h + h + 2)
    if args["vocab_size"] * e + lstm_params > MAX_PARAMETERS:
        raise ModelLoadError(f"{model_id}: config.json asks for over {MAX_PARAMETERS:,} parameters; refusing")
    return args


def _check_id2label(model_id: str, id2label: Any, label2id: Any, num_labels: int) -> dict[int, str] | None:
    """id2label must name every id 0..num_labels-1 once, and label2id (when present) must be its inverse."""
    if id2label is None:
        if num_labels != NUM_LABELS:
            raise ModelLoadError(f"{model_id}: config.json has num_labels={num_labels} but no id2label naming them")
        return None
    if (
        not isinstance(id2label, dict)
        or not all(str(k).isdigit() for k in id2label)
        or not all(isinstance(v, str) and v for v in id2label.values())
    ):
        raise ModelLoadError(f"{model_id}: config.json id2label must map ids 0..{num_labels - 1} to names")
    ids = {int(k) for k in id2label}
    if ids != set(range(len(id2label))):
        raise ModelLoadError(f"{model_id}: config.json id2label must map ids 0..{len(id2label) - 1} to names")
    if len(id2label) != num_labels:
        raise ModelLoadError(
            f"{model_id}: config.json id2label names {len(id2label)} labels but num_labels is {num_labels}"
        )
    names = {int(k): v for k, v in id2label.items()}
    if len(set(names.values())) != len(names):
        raise ModelLoadError(f"{model_id}: config.json id2label names one label twice")
    if label2id is not None and (
        not isinstance(label2id, dict) or {str(k): v for k, v in label2id.items()} != {v: k for k, v in names.items()}
    ):
        raise ModelLoadError(f"{model_id}: config.json label2id is not the inverse of id2label")
    return names


def looks_like_path(model_id: str) -> bool:
    """True for things a user means as a folder (./runs/x, /tmp/x, a/b/c), not a Hub id (owner/name)."""
    return model_id.startswith((".", "/", "~")) or model_id.count("/") != 1 or (os.sep != "/" and os.sep in model_id)


def _check_weights(model_id: str, state: dict[str, torch.Tensor], expected: dict[str, torch.Tensor]) -> None:
    """Name the first tensor that is missing, extra, misshapen or not finite (safetensors has no checksum)."""
    for name, tensor in expected.items():
        if name not in state:
            raise ModelLoadError(f"{model_id}: {WEIGHTS_NAME} lacks the tensor {name}")
        if name.startswith("classifier.") and state[name].shape[:1] != tensor.shape[:1]:
            raise ModelLoadError(
                f"{model_id}: {WEIGHTS_NAME} has {state[name].shape[0]} output rows ({name}) but config.json's "
                f"id2label names {tensor.shape[0]} labels: they do not belong together"
            )
        if tuple(state[name].shape) != tuple(tensor.shape):
            raise ModelLoadError(
                f"{model_id}: {WEIGHTS_NAME} has {name} of shape {tuple(state[name].shape)} but config.json "
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


def _read_training_summary(fetch: Any) -> dict[str, Any] | None:
    """metrics.json as a dict, or None when the model has none (it is optional) or it is unreadable."""
    try:
        summary = json.loads(Path(fetch(METRICS_NAME)).read_text(encoding="utf-8"))
    except Exception:  # absent locally or on the Hub, offline, or not JSON: the model still works
        return None
    return summary if isinstance(summary, dict) else None


def default_model_dir() -> Path:
    """The folder of the model that ships inside the package."""
    return Path(__file__).parent / "pretrained"


def load_default(**kwargs: Any) -> EmotionBiLSTM:
    """The default model shipped in the package (no network needed)."""
    folder = default_model_dir()
    if not (folder / WEIGHTS_NAME).exists():
        raise ModelLoadError(f"{folder}: the default model is not in this installation; pass --model")
    return EmotionBiLSTM.from_pretrained(folder, **kwargs)
