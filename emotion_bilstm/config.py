"""The model's config: what `config.json` holds, typed, and checked before anything is allocated.

`ModelConfig` is `EmotionBiLSTM`'s constructor arguments as one dataclass (nanoGPT's `GPTConfig`
is the model). `ModelConfig.from_json` refuses a config a hostile or corrupt folder could hold:
missing fields, wrong types, absurd sizes, labels that do not add up; the message names the field.
No torch here: the config is read before any tensor exists.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from .enums import Pooling, values
from .errors import ModelLoadError
from .labels import ID2LABEL, NUM_LABELS
from .training.settings import TrainConfig  # the architecture's defaults are the training defaults

CONFIG_NAME = "config.json"
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
REQUIRED = ("vocab_size", "embedding_dim", "hidden_size", "num_labels")


@dataclass
class ModelConfig:
    """Every size and setting of one model; `config.json` is its JSON form (`to_json`).

    Example::

        >>> config = ModelConfig(vocab_size=30000, id2label={0: "calm", 1: "upset"}, num_labels=2)
        >>> config.labels, config.multi_label
        (['calm', 'upset'], False)
    """

    vocab_size: int = TrainConfig.vocab_size  # rows of the embedding: the tokenizer's vocabulary
    embedding_dim: int = TrainConfig.embedding_dim  # width of each token's vector
    hidden_size: int = TrainConfig.hidden_size  # LSTM units per direction (the head reads twice this)
    num_layers: int = TrainConfig.num_layers  # stacked LSTM layers
    dropout: float = TrainConfig.dropout  # on the pooled features (and between layers), training only
    embedding_dropout: float = TrainConfig.embedding_dropout  # on the word vectors, training only
    pooling: str = TrainConfig.pooling  # how the LSTM's outputs become one vector: max, mean or last
    num_labels: int = NUM_LABELS  # outputs of the head
    max_length: int = TrainConfig.max_length  # tokens read per text; the rest is cut
    temperature: float = 1.0  # logits are divided by it before softmax/sigmoid (fitted by `calibrate`)
    # label names by id; None: the default labels (only for a model with their number of outputs)
    id2label: dict[int, str] | None = None
    problem_type: str = SINGLE_LABEL  # multi_label_classification: a sigmoid per label, several may apply
    # a multi-label model's per-label decision thresholds (tuned on validation); None for single-label
    thresholds: list[float] | None = field(default=None)

    def __post_init__(self) -> None:
        """Programming mistakes (a bad pooling, ids with gaps) as ValueError; `from_json` words a
        file's mistakes for the user before they get here."""
        if self.pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, not {self.pooling!r}")
        if self.problem_type not in PROBLEM_TYPES:
            raise ValueError(f"problem_type must be one of {PROBLEM_TYPES}, not {self.problem_type!r}")
        if self.id2label is None:
            # a model built without names: the default labels when it has their number of outputs, else placeholders
            default = self.num_labels == NUM_LABELS
            self.id2label = dict(ID2LABEL) if default else {i: f"LABEL_{i}" for i in range(self.num_labels)}
        self.id2label = {int(k): v for k, v in self.id2label.items()}
        if sorted(self.id2label) != list(range(self.num_labels)):
            raise ValueError(f"id2label must name ids 0..{self.num_labels - 1}, got {sorted(self.id2label)}")
        if self.multi_label:
            thresholds = self.thresholds or [0.5] * self.num_labels
            self.thresholds = [float(t) for t in thresholds]
        else:
            self.thresholds = None

    @property
    def multi_label(self) -> bool:
        return self.problem_type == MULTI_LABEL

    @property
    def labels(self) -> list[str]:
        """The label names in id order."""
        assert self.id2label is not None  # set in __post_init__
        return [self.id2label[i] for i in range(self.num_labels)]

    @property
    def label2id(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.labels)}

    def init_kwargs(self) -> dict[str, Any]:
        """`EmotionBiLSTM`'s constructor arguments."""
        return {item.name: getattr(self, item.name) for item in fields(self)}

    def to_json(self) -> dict[str, Any]:
        """config.json: ids as strings (JSON keys), label2id beside id2label as transformers writes it,
        and problem_type and thresholds only for a multi-label model."""
        config = asdict(self)
        head = {"problem_type": config.pop("problem_type"), "thresholds": config.pop("thresholds")}
        config["id2label"] = {str(i): name for i, name in enumerate(self.labels)}
        config["label2id"] = self.label2id
        return {**config, **head} if self.multi_label else config

    # config.json's dict, as `model.config` was before it was typed: `model.config["num_labels"]`
    def __getitem__(self, key: str) -> Any:
        return self.to_json()[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.to_json().get(key, default)

    @classmethod
    def from_json(cls, model_id: str, config: Any) -> ModelConfig:
        """Check config.json's fields, types and sizes (missing optional fields take the defaults)."""
        if not isinstance(config, dict):
            raise ModelLoadError(f"{model_id}: {CONFIG_NAME} must hold a JSON object")
        missing = [name for name in REQUIRED if name not in config]
        if missing:
            raise ModelLoadError(f"{model_id}: {CONFIG_NAME} lacks {', '.join(missing)}")
        defaults = cls.__dataclass_fields__
        args = {name: config.get(name, item.default) for name, item in defaults.items()}
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
        args["id2label"] = _check_id2label(model_id, args["id2label"], config.get("label2id"), args["num_labels"])
        _check_head(model_id, args)
        _check_parameter_count(model_id, args)
        return cls(**args)


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
