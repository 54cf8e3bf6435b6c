"""Set-up: everything one training run is built from, before the loop starts.

The data (cleaned as asked), the tokenizer (and GloVe words), the loaders, the model, the optimizer
with its schedule, the loss and the accelerator, each built by one function; `Run` holds them once
`accelerator.prepare` has wrapped them, for the steps of the loop to share.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import torch
from torch.utils.data import DataLoader

from ..config import MULTI_LABEL, SINGLE_LABEL
from ..data import SOURCE_COLUMN, is_multi_label, label_names, load_splits
from ..data.hygiene import drop_conflicting, drop_shared_texts, with_validation
from ..errors import EmotionBiLSTMError
from ..model import EmotionBiLSTM
from ..tokenizer import encode_batch, train_tokenizer
from . import goemotions_head
from .checkpoint import TrainState
from .ema import WeightAverage
from .sampling import EncodedTexts, LengthBucketSampler, collate
from .settings import TrainConfig

if TYPE_CHECKING:
    from .distill import Distillation


@dataclass
class TrainingData:
    """The splits as training reads them (train cleaned), and the label set they carry."""

    splits: dict[str, Any]
    names: list[str]
    multi: bool
    auxiliary: goemotions_head.AuxiliaryRows | None = None  # with --goemotions-auxiliary-weight
    distillation: Distillation | None = None  # with --teacher: transfer texts, the teacher's outputs

    def encoded(self, tokenizer: Any, split: Any) -> EncodedTexts:
        """`split`'s token ids with its targets: a class id, or (multi-label) a 0/1 float per label."""
        labels = split["label"]
        targets = [_multi_hot(ids, len(self.names)) for ids in labels] if self.multi else labels
        return EncodedTexts(encode_batch(tokenizer, split["text"]), targets)

    def train_texts(self) -> list[str]:
        """The texts of the labelled training rows, then of the rows only the auxiliary head reads."""
        extra = self.auxiliary.extra_texts if self.auxiliary is not None else []
        return [*self.splits["train"]["text"], *extra]

    def transfer_texts(self) -> list[str]:
        return self.distillation.transfer.texts if self.distillation is not None else []

    def encoded_train(self, tokenizer: Any) -> EncodedTexts:
        """The training rows encoded: the train split, the comments only the auxiliary head reads (with
        each row's 28 targets), then the transfer texts only the teacher labels (with each row's teacher
        log-probabilities). Rows without a main label have NO_LABEL."""
        train_set = self.encoded(tokenizer, self.splits["train"])
        if self.auxiliary is None and self.distillation is None:
            return train_set
        extra = self.auxiliary.extra_texts if self.auxiliary is not None else []
        transfer = self.transfer_texts()
        unlabelled = [*extra, *transfer]
        auxiliary = None
        if self.auxiliary is not None:
            auxiliary = self.auxiliary.per_row + self.auxiliary.extra_targets + [None] * len(transfer)
        return EncodedTexts(
            train_set.ids + encode_batch(tokenizer, unlabelled),
            list(train_set.labels) + [goemotions_head.NO_LABEL] * len(unlabelled),
            auxiliary,
            self.distillation.targets if self.distillation is not None else None,
        )


class WordVectors(NamedTuple):
    """Pretrained word vectors, and the vocabulary size before their unseen words were added."""

    words: Any
    vectors: Any
    unseen_from: int


@dataclass
class Run:
    """What the steps of one training run share once `accelerator.prepare` has wrapped it."""

    config: TrainConfig
    accelerator: Any
    data: TrainingData
    tokenizer: Any
    model: Any  # these five as `accelerator.prepare` returns them
    optimizer: Any
    train_loader: DataLoader
    val_loader: DataLoader
    scheduler: Any
    sampler: LengthBucketSampler  # the training loader's, which `set_epoch` reseeds
    loss_fn: torch.nn.Module
    say: Callable[[str], None]
    auxiliary_head: Any = None  # with --goemotions-auxiliary-weight, as `accelerator.prepare` returns it
    averager: WeightAverage | None = None
    state: TrainState = field(default_factory=TrainState)
    best_weights: dict[str, torch.Tensor] | None = None  # of the kept epoch, restored at the end
    started: float = 0.0

    @property
    def unwrapped(self) -> EmotionBiLSTM:
        return self.accelerator.unwrap_model(self.model)

    def averaged(self) -> contextlib.AbstractContextManager:
        """With --ema-decay, the averaged weights in the model for the block; else nothing changes."""
        return self.averager.applied(self.unwrapped) if self.averager else contextlib.nullcontext()


def load_training_data(config: TrainConfig, accelerator: Any, say: Callable[[str], None]) -> TrainingData:
    """The splits of `config.data` (plus --add-data), the label set, and the train split cleaned as asked."""
    with accelerator.main_process_first():
        splits = load_splits(
            config.data,
            config.dataset_config,
            config.validation_fraction,
            config.seed,
            log=say,
            labels=config.labels,
            add=config.add_data,
            neutral_limit=config.neutral_limit,
            keep_partly_mapped=config.keep_partly_mapped,
            multi_label=config.multi_label,
        )
    names = label_names(splits["train"])
    multi = is_multi_label(splits["train"])
    say(f"{len(names)} labels{' (multi-label)' if multi else ''}: {', '.join(names)}")
    if multi and (config.class_weights or config.label_smoothing):
        raise EmotionBiLSTMError("--class-weights and --label-smoothing are for single-label training")
    splits["train"] = _cleaned_train_split(config, splits, say)
    extra = None
    if config.goemotions_auxiliary_weight:
        if multi:
            raise EmotionBiLSTMError("--goemotions-auxiliary-weight is for single-label training")
        extra = goemotions_head.auxiliary_rows(config.add_data, splits["train"], config.train_on_validation)
        say(
            f"--goemotions-auxiliary-weight {config.goemotions_auxiliary_weight}: all 28 GoEmotions labels on "
            f"{sum(t is not None for t in extra.per_row)} training comments and {len(extra.extra_texts)} more "
            "that the mapping leaves out (no main label)"
        )
    return TrainingData(splits, names, multi, extra)


def _cleaned_train_split(config: TrainConfig, splits: dict[str, Any], say: Callable[[str], None]) -> Any:
    train_split = splits["train"]
    if config.dedupe:
        train_split, removed = drop_shared_texts(splits)
        others = ", ".join(name for name in splits if name != "train")
        say(f"--dedupe: dropped {removed} training row(s) whose normalised text is also in {others}")
    if config.train_on_validation:
        train_split = with_validation(train_split, splits["validation"])
        say("training on train + validation: validation figures below are on seen data")
    if config.drop_conflicting:
        train_split, removed = drop_conflicting(train_split)
        say(f"dropped {removed} repeated or conflicting training rows")
    return train_split


def build_tokenizer(
    config: TrainConfig, texts: list[str], say: Callable[[str], None]
) -> tuple[Any, WordVectors | None]:
    """The vocabulary learnt from `texts` (the training split's, and any transfer texts), extended by
    --extra-vocab words of the --pretrained-vectors when asked."""
    tokenizer = train_tokenizer(texts, config.tokenizer, config.vocab_size, config.min_frequency, config.max_length)
    if not config.pretrained_vectors:
        return tokenizer, None
    from .vectors import extend_vocabulary, load_vectors

    trained_vocab_size = tokenizer.get_vocab_size()
    words, vectors = load_vectors(config.pretrained_vectors)
    added = extend_vocabulary(tokenizer, words, config.extra_vocab)
    say(f"{config.pretrained_vectors}: added {added} words unseen in training to the vocabulary")
    return tokenizer, WordVectors(words, vectors, unseen_from=trained_vocab_size)


def get_dataloaders(config: TrainConfig, data: TrainingData, tokenizer: Any) -> tuple[DataLoader, DataLoader]:
    """Training batches of similar lengths in a seeded order; validation in length order."""
    train_set = data.encoded_train(tokenizer)
    # validation sorted by length: cheap batches; the order does not change any metric
    validation = data.splits["validation"]
    val_split = validation.select(sorted(range(len(validation)), key=lambda i: len(validation[i]["text"])))
    weights = _source_weights(config, data)
    if weights is not None and data.auxiliary is not None:  # the comments only the auxiliary head reads are added data
        weights += [config.added_data_weight] * len(data.auxiliary.extra_texts)
    if weights is not None:  # transfer texts: once an epoch
        weights += [1.0] * len(data.transfer_texts())
    sampler = LengthBucketSampler([len(ids) for ids in train_set.ids], config.batch_size, config.seed, weights=weights)
    train_loader = DataLoader(train_set, batch_sampler=sampler, collate_fn=collate)
    val_loader = DataLoader(data.encoded(tokenizer, val_split), batch_size=256, shuffle=False, collate_fn=collate)
    return train_loader, val_loader


def _source_weights(config: TrainConfig, data: TrainingData) -> list[float] | None:
    """Each training row's draws an epoch: 1 for --data's rows, --added-data-weight for --add-data's."""
    train_split = data.splits["train"]
    if config.added_data_weight == 1 or SOURCE_COLUMN not in train_split.column_names:
        return None
    return [1.0 if source == 0 else config.added_data_weight for source in train_split[SOURCE_COLUMN]]


def build_model(
    config: TrainConfig,
    data: TrainingData,
    tokenizer: Any,
    word_vectors: WordVectors | None,
    say: Callable[[str], None],
) -> EmotionBiLSTM:
    model = EmotionBiLSTM(
        **config.model_args(tokenizer.get_vocab_size()),
        num_labels=len(data.names),
        id2label=dict(enumerate(data.names)),
        problem_type=MULTI_LABEL if data.multi else SINGLE_LABEL,
    )
    model.tokenizer = tokenizer
    if word_vectors is not None:
        from .vectors import initialise_embedding

        found = initialise_embedding(
            model.embedding.weight,
            tokenizer,
            word_vectors.words,
            word_vectors.vectors,
            unseen_from=word_vectors.unseen_from,
        )
        rows = tokenizer.get_vocab_size()
        say(f"{config.pretrained_vectors}: {found} of {rows} embedding rows start from its vectors")
    return model


def build_optimizer(
    config: TrainConfig, model: EmotionBiLSTM, steps_per_epoch: int, head: torch.nn.Module | None = None
) -> tuple[Any, Any]:
    """AdamW (over the model and an auxiliary head), and a learning rate that warms up and then decays to 0."""
    optimizer = torch.optim.AdamW(
        trained_parameters(model, head), lr=config.learning_rate, weight_decay=config.weight_decay
    )
    total_steps = steps_per_epoch * config.epochs
    warmup_steps = int(total_steps * config.warmup_ratio)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: _warmup_linear(step, warmup_steps, total_steps)
    )
    return optimizer, scheduler


def build_loss(config: TrainConfig, data: TrainingData, train_labels: list) -> torch.nn.Module:
    """Cross-entropy (class weights and label smoothing as asked), or for multi-label one BCE per label."""
    if data.multi:  # one independent yes/no per label
        return torch.nn.BCEWithLogitsLoss()
    labelled = [label for label in train_labels if label != goemotions_head.NO_LABEL]
    weights = _class_weights(labelled, len(data.names)) if config.class_weights else None
    # with auxiliary or transfer rows some rows have no main label: summed, then divided (goemotions_head, distill)
    reduction = "sum" if data.auxiliary is not None or data.distillation is not None else "mean"
    return torch.nn.CrossEntropyLoss(weight=weights, label_smoothing=config.label_smoothing, reduction=reduction)


def build_accelerator(config: TrainConfig) -> Any:
    """accelerate's Accelerator: on the CPU or the GPU, several processes or one, at the precision asked."""
    from accelerate import Accelerator

    return Accelerator(cpu=_use_cpu(config), mixed_precision=_mixed_precision(config))


def main_process_log(accelerator: Any, log: Callable[[str], None] | None) -> Callable[[str], None]:
    """`log`, heard from the main process only (every process runs the same steps)."""

    def say(message: str) -> None:
        if log is not None and accelerator.is_main_process:
            log(message)

    return say


def trained_parameters(model: torch.nn.Module, head: torch.nn.Module | None) -> list[torch.nn.Parameter]:
    """What the optimizer steps and the gradient clip bounds: the model's weights and an auxiliary head's."""
    return [*model.parameters(), *(head.parameters() if head is not None else ())]


def _multi_hot(ids: list[int], num_labels: int) -> list[float]:
    row = [0.0] * num_labels
    for i in ids:
        row[i] = 1.0
    return row


def _class_weights(labels: list[int], num_labels: int) -> torch.Tensor:
    """Inverse-frequency weights, normalised to mean 1, so rare classes (surprise, love) count more."""
    counts = torch.bincount(torch.tensor(labels), minlength=num_labels).float().clamp(min=1)
    weights = counts.sum() / (num_labels * counts)
    return weights / weights.mean()


def _warmup_linear(step: int, warmup_steps: int, total_steps: int) -> float:
    if step < warmup_steps:
        return (step + 1) / (warmup_steps + 1)
    return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))


def _use_cpu(config: TrainConfig) -> bool:
    """--cpu, or several processes on a machine without CUDA.

    accelerate only picks its multi-CPU (gloo) mode when told cpu=True; without it, processes
    started by `accelerate launch`/`torchrun` on a CPU-only machine would each train alone and
    race to write the same output folder.
    """
    return config.cpu or (int(os.environ.get("WORLD_SIZE", "1")) > 1 and not torch.cuda.is_available())


def _mixed_precision(config: TrainConfig) -> str:
    """bf16 (or fp16) on a GPU; never on CPU, where half-precision LSTMs are slow or unsupported."""
    if config.mixed_precision != "auto":
        if config.mixed_precision != "no" and (config.cpu or not torch.cuda.is_available()):
            raise EmotionBiLSTMError(
                f"--mixed-precision {config.mixed_precision} needs a GPU; use 'no' or 'auto' on CPU"
            )
        return config.mixed_precision
    if config.cpu or not torch.cuda.is_available():
        return "no"
    return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
