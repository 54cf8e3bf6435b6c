"""The fixed choices of the library, as Enums the CLI parser can refuse bad values with.

They live here, torch-free, so that `emo-cli` can build its options without importing torch, and
the library modules (model.py, tokenizer.py, writers.py, vectors.py, data.py) take their tuples of
allowed values from these Enums, so a choice the parser offers is always one the library accepts.
"""

from __future__ import annotations

from enum import Enum


class Pooling(str, Enum):
    """How the LSTM's outputs over a text become one vector (model.py)."""

    MAX = "max"
    MEAN = "mean"
    LAST = "last"


class TokenizerKind(str, Enum):
    """The vocabulary model learnt from the training split (tokenizer.py)."""

    WORD = "word"
    WORDPIECE = "wordpiece"
    UNIGRAM = "unigram"


class MixedPrecision(str, Enum):
    """accelerate's mixed precision; `auto` picks bf16/fp16 on a GPU and `no` on CPU (training.py)."""

    AUTO = "auto"
    NO = "no"
    BF16 = "bf16"
    FP16 = "fp16"


class OutputFormat(str, Enum):
    """What `classify` writes (writers.py)."""

    TABLE = "table"
    JSONL = "jsonl"
    CSV = "csv"
    PARQUET = "parquet"  # table input only (tables.py)


class Engine(str, Enum):
    """What runs the network for `predict`, `classify` and `evaluate` (cli/_shared.py).

    `numpy`: the light model (light.py, numpy_engine.py), no torch imported. `torch`: `EmotionBiLSTM`
    and its engines (engines.py: `auto` picks fast-bf16, fast or reference)."""

    NUMPY = "numpy"
    TORCH = "torch"


class Split(str, Enum):
    """The split names every dataset is brought to (data.py)."""

    TRAIN = "train"
    VALIDATION = "validation"
    TEST = "test"


class PretrainedVectors(str, Enum):
    """Word vectors the embedding can start from (vectors.py)."""

    GLOVE_6B_50D = "glove-6b-50d"


class DistillLoss(str, Enum):
    """How the student matches its teacher (training/distill.py): KL at a temperature, or MSE on logits."""

    KL = "kl"
    MSE = "mse"


def values(choice: type[Enum]) -> tuple[str, ...]:
    """The allowed strings of an Enum, in declaration order: what the library modules check against."""
    return tuple(member.value for member in choice)
