"""Training: one `accelerate` loop for one CPU, one GPU, or many processes (`accelerate launch`).

The shape follows accelerate's `examples/nlp_example.py`: build everything, `prepare` it, then a
plain loop. Checkpoints (`accelerator.save_state`) after every epoch let `--resume` continue a
killed run exactly where its last epoch ended; the best model (by validation macro-F1) is saved
with `save_pretrained` into the output folder, which is replaced atomically each time.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import random
import shutil
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, NamedTuple

import torch
from torch.utils.data import DataLoader, Dataset

from ..cleaning import drop_conflicting, drop_shared_texts, with_validation
from ..data import SOURCE_COLUMN, is_multi_label, label_names, load_splits
from ..errors import EmotionBiLSTMError, OutputError, writing
from ..files import (
    check_model_output,
    clean_stale_temporaries,
    refuse_special_folder,
    replace_folder,
    temporary_name,
    write_text_atomic,
)
from ..metrics import apply_thresholds, classification_metrics, multilabel_metrics, tune_thresholds
from ..model import MULTI_LABEL, SINGLE_LABEL, EmotionBiLSTM
from ..model_folder import WEIGHTS_NAME
from ..tokenizer import PAD_ID, UNK_ID, encode_batch, train_tokenizer
from . import goemotions_head as auxiliary
from .ema import WeightAverage
from .sampling import pad_batch
from .settings import TrainConfig

STATE_NAME = "train_state.json"  # in the checkpoint folder, beside accelerate's `state/`


@dataclass
class TrainState:
    """What early stopping and the history need to survive a restart (saved as JSON, never pickled)."""

    epoch: int = 0  # epochs completed
    best_macro_f1: float = -1.0
    best_epoch: int = 0
    epochs_without_improvement: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)  # the run's TrainConfig: --resume must match it

    @classmethod
    def read(cls, path: Path) -> TrainState:
        raw = json.loads(path.read_text())
        return cls(**{f.name: raw[f.name] for f in fields(cls) if f.name in raw})

    def write(self, path: Path) -> None:
        write_text_atomic(path, json.dumps(asdict(self), indent=2))


class EncodedTexts(Dataset):
    """Token ids with their targets: a class id, or (multi-label) a 0/1 float per label.

    With `auxiliary` (--goemotions-auxiliary-weight) each row also carries its 28 GoEmotions targets, or None.
    """

    def __init__(
        self,
        ids: list[list[int]],
        labels: list[int] | list[list[float]],
        auxiliary: list[list[float] | None] | None = None,
    ) -> None:
        self.ids, self.labels, self.auxiliary = ids, labels, auxiliary

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index: int) -> tuple:
        if self.auxiliary is None:
            return self.ids[index], self.labels[index]
        return self.ids[index], self.labels[index], self.auxiliary[index]


def collate(batch: list[tuple]) -> dict[str, torch.Tensor]:
    input_ids, lengths = pad_batch([row[0] for row in batch])
    tensors = {"input_ids": input_ids, "lengths": lengths, "labels": torch.tensor([row[1] for row in batch])}
    if len(batch[0]) == 3:  # rows off GoEmotions have no 28-label targets: zeros, masked out of the loss
        targets = [row[2] for row in batch]
        tensors["auxiliary_labels"] = torch.tensor([t or [0.0] * auxiliary.NUM_LABELS for t in targets])
        tensors["auxiliary_mask"] = torch.tensor([t is not None for t in targets])
    return tensors


class LengthBucketSampler:
    """Batches of similar lengths in a shuffled order: little padding, so short LSTM runs.

    Shuffles within buckets of 50 batches, then shuffles the batches; the order depends only on
    `seed` and the epoch (set with `set_epoch`), so a resumed run sees the same batches.
    `weights` (one a row) says how often each row is drawn an epoch: 2 twice, 0.5 for a seeded half
    of the rows of that weight (drawn anew each epoch), so an epoch always has the same length.
    """

    def __init__(
        self,
        lengths: list[int],
        batch_size: int,
        seed: int,
        bucket_batches: int = 50,
        weights: list[float] | None = None,
    ) -> None:
        self.lengths, self.batch_size, self.seed, self.bucket_batches = lengths, batch_size, seed, bucket_batches
        self.weights = weights
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return math.ceil(self._epoch_rows() / self.batch_size)

    def _epoch_rows(self) -> int:
        if self.weights is None:
            return len(self.lengths)
        return sum(int(w) * n + round((w % 1) * n) for w, n in Counter(self.weights).items())

    def _drawn(self, rng: random.Random) -> list[int]:
        """Each row index as often as its weight says (a seeded share of the rows for a fraction)."""
        if self.weights is None:
            return list(range(len(self.lengths)))
        rows_of: dict[float, list[int]] = defaultdict(list)
        for index, weight in enumerate(self.weights):
            rows_of[weight].append(index)
        drawn: list[int] = []
        for weight, rows in sorted(rows_of.items()):
            drawn += rows * int(weight) + rng.sample(rows, round((weight % 1) * len(rows)))
        return drawn

    def __iter__(self) -> Iterator[list[int]]:
        rng = random.Random(self.seed * 1000 + self.epoch)
        indices = self._drawn(rng)
        rng.shuffle(indices)
        bucket = self.batch_size * self.bucket_batches
        batches: list[list[int]] = []
        for start in range(0, len(indices), bucket):
            chunk = sorted(indices[start : start + bucket], key=self.lengths.__getitem__)
            batches += [chunk[i : i + self.batch_size] for i in range(0, len(chunk), self.batch_size)]
        rng.shuffle(batches)
        return iter(batches)


@dataclass
class TrainingData:
    """The splits as training reads them (train cleaned), and the label set they carry."""

    splits: dict[str, Any]
    names: list[str]
    multi: bool
    auxiliary: auxiliary.AuxiliaryRows | None = None  # with --goemotions-auxiliary-weight

    def encoded(self, tokenizer: Any, split: Any) -> EncodedTexts:
        """`split`'s token ids with its targets: a class id, or (multi-label) a 0/1 float per label."""
        labels = split["label"]
        targets = [_multi_hot(ids, len(self.names)) for ids in labels] if self.multi else labels
        return EncodedTexts(encode_batch(tokenizer, split["text"]), targets)

    def encoded_train(self, tokenizer: Any) -> EncodedTexts:
        """The train split encoded; with auxiliary rows, each row's 28 targets and then the comments only they read."""
        train_set = self.encoded(tokenizer, self.splits["train"])
        if self.auxiliary is None:
            return train_set
        extra = self.auxiliary
        return EncodedTexts(
            train_set.ids + encode_batch(tokenizer, extra.extra_texts),
            list(train_set.labels) + [auxiliary.NO_LABEL] * len(extra.extra_texts),
            extra.per_row + extra.extra_targets,
        )


class Glove(NamedTuple):
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


def train(
    config: TrainConfig,
    log: Callable[[str], None] | None = None,
    show_progress: bool = True,
) -> dict[str, Any]:
    """Train, early-stop on validation macro-F1, save the best model to `config.output_dir`.

    Returns the summary also written to `metrics.json`. Only the main process writes files.
    """
    from accelerate import Accelerator
    from accelerate.utils import set_seed

    if config.extra_vocab and not config.pretrained_vectors:
        raise EmotionBiLSTMError("--extra-vocab adds words from pretrained vectors: give --pretrained-vectors too")
    if config.added_data_weight != 1 and not config.add_data:
        raise EmotionBiLSTMError("--added-data-weight weighs the rows of --add-data: give --add-data too")
    if config.goemotions_auxiliary_weight:
        auxiliary.goemotions_source(config.add_data)  # refuses before any data is read
    check_model_output(Path(config.output_dir), overwrite=config.overwrite, resume=config.resume)
    _check_checkpoint_dir(config.checkpoint_path())
    resumed = state_to_resume(config)
    accelerator = Accelerator(cpu=_use_cpu(config), mixed_precision=_mixed_precision(config))
    say = _main_process_log(accelerator, log)
    say(f"training on {accelerator.num_processes} process(es), device {accelerator.device}")
    set_seed(config.seed)
    data = load_training_data(config, accelerator, say)
    tokenizer, glove = build_tokenizer(config, data.splits["train"], say)
    train_loader, val_loader = get_dataloaders(config, data, tokenizer)
    model = build_model(config, data, tokenizer, glove, say)
    head = auxiliary.build_head(config.hidden_size) if data.auxiliary is not None else None
    optimizer, scheduler = build_optimizer(config, model, steps_per_epoch=len(train_loader), head=head)
    loss_fn = build_loss(config, data, train_loader.dataset.labels).to(accelerator.device)
    prepared = accelerator.prepare(model, optimizer, train_loader, val_loader, scheduler, *([head] if head else []))
    run = Run(config, accelerator, data, tokenizer, *prepared[:5], train_loader.batch_sampler, loss_fn, say)
    run.auxiliary_head = prepared[5] if head else None
    start_or_resume(run, resumed)
    with _progress(show_progress and accelerator.is_main_process) as progress:
        steps = len(run.train_loader)
        bar = progress.add_task("training", total=config.epochs * steps, completed=run.state.epoch * steps, status="")
        while run.state.epoch < config.epochs and run.state.epochs_without_improvement < config.patience:
            epoch = run.state.epoch + 1
            epoch_started = time.perf_counter()
            train_loss = run_epoch(run, epoch, lambda status: progress.update(bar, advance=1, status=status))
            metrics = evaluate_and_keep_best(run, epoch, train_loss, epoch_started)
            progress.update(bar, status=_bar_status(run.state, metrics))
            say(_epoch_line(run.state.history[-1], data.multi))
            _save_checkpoint(accelerator, config.checkpoint_path(), run.state)
        if run.state.epochs_without_improvement >= config.patience:
            say(f"stopped early: no better validation macro-F1 for {config.patience} epochs")
    return finish(run)


def state_to_resume(config: TrainConfig) -> TrainState | None:
    """With --resume, the checkpoint's state, refused unless it was trained with these settings."""
    if not config.resume:
        return None
    checkpoint_dir = config.checkpoint_path()
    state_file = checkpoint_dir / STATE_NAME
    if not state_file.exists():
        raise EmotionBiLSTMError(f"{checkpoint_dir}: no checkpoint to resume from (run without --resume)")
    resumed = TrainState.read(state_file)
    _check_same_settings(config, resumed.settings)
    return resumed


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
        extra = auxiliary.auxiliary_rows(config.add_data, splits["train"], config.train_on_validation)
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


def build_tokenizer(config: TrainConfig, train_split: Any, say: Callable[[str], None]) -> tuple[Any, Glove | None]:
    """The vocabulary learnt from the training split, extended by --extra-vocab GloVe words when asked."""
    tokenizer = train_tokenizer(
        train_split["text"], config.tokenizer, config.vocab_size, config.min_frequency, config.max_length
    )
    if not config.pretrained_vectors:
        return tokenizer, None
    from .vectors import extend_vocabulary, load_glove

    trained_vocab_size = tokenizer.get_vocab_size()
    words, vectors = load_glove(config.pretrained_vectors)
    added = extend_vocabulary(tokenizer, words, config.extra_vocab)
    say(f"{config.pretrained_vectors}: added {added} words unseen in training to the vocabulary")
    return tokenizer, Glove(words, vectors, unseen_from=trained_vocab_size)


def get_dataloaders(config: TrainConfig, data: TrainingData, tokenizer: Any) -> tuple[DataLoader, DataLoader]:
    """Training batches of similar lengths in a seeded order; validation in length order."""
    train_set = data.encoded_train(tokenizer)
    # validation sorted by length: cheap batches; the order does not change any metric
    validation = data.splits["validation"]
    val_split = validation.select(sorted(range(len(validation)), key=lambda i: len(validation[i]["text"])))
    weights = _source_weights(config, data)
    if weights is not None and data.auxiliary is not None:  # the comments only the auxiliary head reads are added data
        weights += [config.added_data_weight] * len(data.auxiliary.extra_texts)
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
    config: TrainConfig, data: TrainingData, tokenizer: Any, glove: Glove | None, say: Callable[[str], None]
) -> EmotionBiLSTM:
    model = EmotionBiLSTM(
        **config.model_args(tokenizer.get_vocab_size()),
        num_labels=len(data.names),
        id2label=dict(enumerate(data.names)),
        problem_type=MULTI_LABEL if data.multi else SINGLE_LABEL,
    )
    model.tokenizer = tokenizer
    if glove is not None:
        from .vectors import initialise_embedding

        found = initialise_embedding(
            model.embedding.weight, tokenizer, glove.words, glove.vectors, unseen_from=glove.unseen_from
        )
        say(f"{config.pretrained_vectors}: {found} of {tokenizer.get_vocab_size()} embedding rows start from GloVe")
    return model


def build_optimizer(
    config: TrainConfig, model: EmotionBiLSTM, steps_per_epoch: int, head: torch.nn.Module | None = None
) -> tuple[Any, Any]:
    """AdamW (over the model and an auxiliary head), and a learning rate that warms up and then decays to 0."""
    optimizer = torch.optim.AdamW(
        _trained_parameters(model, head), lr=config.learning_rate, weight_decay=config.weight_decay
    )
    total_steps = steps_per_epoch * config.epochs
    warmup_steps = int(total_steps * config.warmup_ratio)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: _warmup_linear(step, warmup_steps, total_steps)
    )
    return optimizer, scheduler


def build_loss(config: TrainConfig, data: TrainingData, train_labels: list) -> torch.nn.Module:
    if data.multi:  # one independent yes/no per label
        return torch.nn.BCEWithLogitsLoss()
    labelled = [label for label in train_labels if label != auxiliary.NO_LABEL]
    weights = _class_weights(labelled, len(data.names)) if config.class_weights else None
    # with auxiliary rows some rows have no main label: summed, then divided by the rows that have one
    reduction = "sum" if data.auxiliary is not None else "mean"
    return torch.nn.CrossEntropyLoss(weight=weights, label_smoothing=config.label_smoothing, reduction=reduction)


def start_or_resume(run: Run, resumed: TrainState | None) -> None:
    """A fresh state, or the checkpoint's: weights, optimizer, scheduler, RNGs, weight average, history."""
    config, accelerator = run.config, run.accelerator
    if config.ema_decay:
        run.averager = WeightAverage(run.unwrapped, config.ema_decay)
        accelerator.register_for_checkpointing(run.averager)  # saved and restored with the rest of the state
    if resumed is not None:
        checkpoint_dir = config.checkpoint_path()
        accelerator.load_state(str(checkpoint_dir / "state"))
        run.state = resumed
        run.say(
            f"resumed from {checkpoint_dir} after epoch {resumed.epoch} (best macro-F1 {resumed.best_macro_f1:.4f})"
        )
    run.state.settings = asdict(config)
    run.best_weights = _load_best_weights(config.output_dir) if run.state.best_epoch else None
    run.started = time.perf_counter()


def run_epoch(run: Run, epoch: int, step_done: Callable[[str], None]) -> float:
    """One pass over the training batches; returns the mean training loss over every process."""
    config, accelerator, model = run.config, run.accelerator, run.model
    run.sampler.set_epoch(epoch)
    run.train_loader.set_epoch(epoch)
    model.train()
    total_loss, batches = 0.0, 0
    for step, batch in enumerate(run.train_loader, start=1):
        input_ids = _word_dropout(batch["input_ids"], config.word_dropout)
        if run.auxiliary_head is None:
            loss = run.loss_fn(model(input_ids, batch["lengths"]).float(), batch["labels"])
        else:
            logits, features = model(input_ids, batch["lengths"], with_features=True)
            loss = auxiliary.joint_loss(
                run.loss_fn,
                logits.float(),
                batch["labels"],
                run.auxiliary_head(features).float(),
                batch,
                config.goemotions_auxiliary_weight,
            )
        accelerator.backward(loss)
        if config.max_grad_norm:
            accelerator.clip_grad_norm_(_trained_parameters(model, run.auxiliary_head), config.max_grad_norm)
        run.optimizer.step()
        run.scheduler.step()
        if run.averager is not None:
            run.averager.update(run.unwrapped)
        run.optimizer.zero_grad(set_to_none=True)
        loss_value = loss.item()
        _stop_unless_finite(run, "the loss", loss_value, epoch, step)
        total_loss += loss_value
        batches += 1
        step_done(f"epoch {epoch} loss {total_loss / batches:.4f}")
    # A finite loss can still step to infinite weights (say on the epoch's last step): never evaluate or save them.
    largest = torch.stack([p.detach().abs().amax() for p in _trained_parameters(model, run.auxiliary_head)]).amax()
    _stop_unless_finite(run, "the weights", float(largest), epoch, batches)  # NaN if any is NaN
    mean_loss = torch.tensor(total_loss / max(batches, 1), device=accelerator.device)
    return accelerator.reduce(mean_loss, "mean").item()


def _stop_unless_finite(run: Run, what: str, value: float, epoch: int, step: int) -> None:
    """Stop training with an EmotionBiLSTMError unless `value` is finite on every process (all stop together).

    Checked after every step, before anything of the epoch is evaluated or saved, so the model folder
    and the checkpoint keep the last good epoch's, or are never written: training on used to save
    NaN weights that the loader then refused. One process stopping alone would leave the others
    waiting for it in the next gradient all-reduce.
    """
    accelerator = run.accelerator
    bad = not math.isfinite(value)
    if accelerator.num_processes > 1:
        bad = bool(accelerator.reduce(torch.tensor(float(bad), device=accelerator.device), "sum") > 0)
    if not bad:
        return
    kept = f"{run.config.output_dir} keeps epoch {run.state.best_epoch}'s model" if run.state.best_epoch else ""
    raise EmotionBiLSTMError(
        f"training stopped: {what} became {_non_finite(value)} at epoch {epoch} step {step}; the learning rate "
        f"({run.config.learning_rate:g}) is probably too high: try a lower --lr" + (f" ({kept})" if kept else "")
    )


def _non_finite(value: float) -> str:
    """How a value is not finite: NaN, infinite, or (finite here) NaN or infinite on another process."""
    return "NaN" if math.isnan(value) else "infinite" if math.isinf(value) else "NaN or infinite"


def evaluate_and_keep_best(run: Run, epoch: int, train_loss: float, epoch_started: float) -> dict[str, Any]:
    """Validation metrics of this epoch, recorded in the history; the weights kept if they are the best yet."""
    config, state = run.config, run.state
    with run.averaged():  # with an average, it is the averaged weights that are evaluated and kept
        metrics = evaluate_loader(run.model, run.val_loader, run.accelerator, run.data.names)
        state.history.append(
            {
                "epoch": epoch,
                "train_loss": round(train_loss, 5),
                "val_accuracy": round(metrics["accuracy"], 5),
                "val_macro_f1": round(metrics["macro_f1"], 5),
                **({"val_micro_f1": round(metrics["micro_f1"], 5)} if run.data.multi else {}),
                "seconds": round(time.perf_counter() - epoch_started, 2),
                "learning_rate": run.scheduler.get_last_lr()[0],
            }
        )
        state.epoch = epoch
        if config.train_on_validation or config.keep_last or metrics["macro_f1"] > state.best_macro_f1:
            keep_best(run, epoch, metrics)
        else:
            state.epochs_without_improvement += 1
    return metrics


def keep_best(run: Run, epoch: int, metrics: dict[str, Any]) -> None:
    """Remember this epoch's weights and save them as the model folder (replaced atomically)."""
    state, unwrapped = run.state, run.unwrapped
    state.best_macro_f1, state.best_epoch = metrics["macro_f1"], epoch
    state.epochs_without_improvement = 0
    if run.data.multi:  # the thresholds tuned on this epoch's validation output belong to these weights
        unwrapped.thresholds = metrics["thresholds"]
    run.best_weights = {k: v.detach().cpu().clone() for k, v in unwrapped.state_dict().items()}
    if run.accelerator.is_main_process:
        unwrapped.training_summary = _summary(run.config, state, metrics, None, run.tokenizer, run.started)
        unwrapped.save_pretrained(run.config.output_dir)


def finish(run: Run) -> dict[str, Any]:
    """The kept weights back in the model, final figures (validation, test), calibration, the model saved."""
    config, accelerator, unwrapped = run.config, run.accelerator, run.unwrapped
    if run.best_weights is not None:
        unwrapped.load_state_dict(run.best_weights)
    label_recall = None
    if config.neutral_recall is not None:
        from ..calibration import set_label_recall

        label_recall = set_label_recall(
            unwrapped,
            run.data.splits["validation"],
            "neutral",
            config.neutral_recall,
            run.say,
            config.train_on_validation,
        )
    val_metrics = evaluate_loader(run.model, run.val_loader, accelerator, run.data.names)
    if run.data.multi:
        unwrapped.thresholds = val_metrics["thresholds"]
    summary = _summary(config, run.state, val_metrics, _test_metrics(run, val_metrics), run.tokenizer, run.started)
    if label_recall is not None:
        summary["label_recall"] = label_recall
    if accelerator.is_main_process:
        from ..calibration import calibrate_after_training, save_with_diagram

        calibration = calibrate_after_training(
            unwrapped, run.data.splits["validation"], summary, run.say, seen_in_training=config.train_on_validation
        )
        unwrapped.training_summary = summary
        save_with_diagram(unwrapped, config.output_dir, calibration, run.say)
    accelerator.wait_for_everyone()
    accelerator.end_training()
    return summary


def _test_metrics(run: Run, val_metrics: dict[str, Any]) -> dict[str, Any] | None:
    if "test" not in run.data.splits:
        return None
    test_set = run.data.encoded(run.tokenizer, run.data.splits["test"])
    test_loader = run.accelerator.prepare(DataLoader(test_set, batch_size=256, collate_fn=collate))
    # a multi-label test split is scored with validation's thresholds: tuning on test would flatter it
    return evaluate_loader(run.model, test_loader, run.accelerator, run.data.names, val_metrics.get("thresholds"))


def _main_process_log(accelerator: Any, log: Callable[[str], None] | None) -> Callable[[str], None]:
    """`log`, heard from the main process only (every process runs the same steps)."""

    def say(message: str) -> None:
        if log is not None and accelerator.is_main_process:
            log(message)

    return say


def _epoch_line(record: dict[str, Any], multi: bool) -> str:
    figures = (
        f"val micro-F1 {record['val_micro_f1']:.4f}  exact match {record['val_accuracy']:.4f}  "
        if multi
        else f"val accuracy {record['val_accuracy']:.4f}  "
    )
    return (
        f"epoch {record['epoch']}: loss {record['train_loss']:.4f}  {figures}"
        f"macro-F1 {record['val_macro_f1']:.4f}  ({record['seconds']:.1f}s)"
    )


def _bar_status(state: TrainState, metrics: dict[str, Any]) -> str:
    return (
        f"epoch {state.epoch} val acc {metrics['accuracy']:.4f} macro-F1 {metrics['macro_f1']:.4f} "
        f"(best {state.best_macro_f1:.4f} @ {state.best_epoch})"
    )


def evaluate_loader(
    model: torch.nn.Module,
    loader: DataLoader,
    accelerator: Any,
    label_names: list[str],
    thresholds: list[float] | None = None,
) -> dict[str, Any]:
    """Metrics over a (possibly sharded) loader; `gather_for_metrics` drops the padding duplicates.

    Multi-label: per-label thresholds are tuned on this loader's data unless `thresholds` are given,
    and returned under "thresholds".
    """
    model.eval()
    multi = accelerator.unwrap_model(model).multi_label
    outputs: list[torch.Tensor] = []
    labels: list = []
    with torch.inference_mode():
        for batch in loader:
            logits = model(batch["input_ids"], batch["lengths"]).float()
            output = torch.sigmoid(logits) if multi else logits.argmax(dim=-1)
            gathered_outputs, gathered_labels = accelerator.gather_for_metrics((output, batch["labels"]))
            outputs.append(gathered_outputs.cpu())
            labels += gathered_labels.tolist()
    model.train()
    if not multi:
        return classification_metrics(labels, torch.cat(outputs).tolist(), label_names)
    probs = torch.cat(outputs)
    truth = [[i for i, on in enumerate(row) if on] for row in labels]
    thresholds = thresholds if thresholds is not None else tune_thresholds(probs, truth)
    metrics = multilabel_metrics(truth, apply_thresholds(probs, thresholds), label_names)
    return {**metrics, "thresholds": thresholds}


def _save_checkpoint(accelerator: Any, checkpoint_dir: Path, state: TrainState) -> None:
    """accelerate state (model, optimizer, scheduler, RNG) first, then the JSON that points at it.

    The state folder is written to a temporary name and renamed, so a kill mid-save leaves the
    previous checkpoint whole.
    """
    # One name for every process: each writes its own random_states_<rank>.pkl into the same folder.
    staging = temporary_name(checkpoint_dir / "state", shared=True)
    if accelerator.is_main_process:
        shutil.rmtree(staging, ignore_errors=True)  # left by a run killed mid-save
    accelerator.wait_for_everyone()
    with writing(checkpoint_dir):
        try:
            accelerator.save_state(str(staging))  # each process writes its own RNG file; the main one the rest
        except BaseException:
            if accelerator.is_main_process:
                shutil.rmtree(staging, ignore_errors=True)  # the previous checkpoint stays whole
            raise
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        with writing(checkpoint_dir):
            replace_folder(staging, checkpoint_dir / "state")
        state.write(checkpoint_dir / STATE_NAME)
    accelerator.wait_for_everyone()


def _check_checkpoint_dir(checkpoint_dir: Path) -> None:
    """The checkpoint folder holds only what training writes there (accelerate's `state/` and
    STATE_NAME): refuse one that holds anything else, which a checkpoint would replace."""
    refuse_special_folder(checkpoint_dir)
    if checkpoint_dir.is_symlink() or (checkpoint_dir.exists() and not checkpoint_dir.is_dir()):
        raise OutputError(f"{checkpoint_dir}: is a link or not a folder; give --checkpoint-dir a new folder")
    if not checkpoint_dir.is_dir():
        return
    clean_stale_temporaries(checkpoint_dir)
    own = {"state", STATE_NAME, temporary_name(checkpoint_dir / "state", shared=True).name}
    foreign = sorted(entry.name for entry in checkpoint_dir.iterdir() if entry.name not in own)
    if foreign:
        raise OutputError(
            f"{checkpoint_dir}: holds files training did not write ({', '.join(foreign[:3])}); "
            "give --checkpoint-dir a new folder"
        )


# Settings a resumed run may change: where things are, not what is computed.
RESUMABLE_CHANGES = {"resume", "overwrite", "data", "output_dir", "checkpoint_dir"}


def _check_same_settings(config: TrainConfig, saved: dict[str, Any]) -> None:
    """Refuse to resume with other settings: the run would silently be neither the old nor the new one.

    Checkpoints written before settings were recorded (or before a setting existed) are not checked
    for what they lack.
    """
    current = asdict(config)
    changed = [
        f"{name} {saved[name]!r} -> {value!r}"
        for name, value in current.items()
        if name not in RESUMABLE_CHANGES and name in saved and saved[name] != value
    ]
    if changed:
        raise EmotionBiLSTMError(
            f"--resume needs the settings the checkpoint was trained with; changed: {', '.join(changed)} "
            "(rerun with those, or start afresh without --resume)"
        )


def _load_best_weights(output_dir: str) -> dict[str, torch.Tensor] | None:
    from safetensors.torch import load_file

    weights = Path(output_dir) / WEIGHTS_NAME
    return load_file(str(weights)) if weights.exists() else None


def _summary(
    config: TrainConfig,
    state: TrainState,
    val_metrics: dict[str, Any],
    test_metrics: dict[str, Any] | None,
    tokenizer: Any,
    started: float,
) -> dict[str, Any]:
    import torch

    return {
        "validation": val_metrics,
        "test": test_metrics,
        "best_epoch": state.best_epoch,
        "epochs_run": state.epoch,
        "history": state.history,
        "train_config": asdict(config),
        "vocab_size": tokenizer.get_vocab_size(),
        "train_seconds": round(time.perf_counter() - started, 1),
        "torch_version": torch.__version__,
        "num_processes": int(os.environ.get("WORLD_SIZE", "1")),
        "labels": list(val_metrics["labels"]),  # the label set, in id order
    }


def _trained_parameters(model: torch.nn.Module, head: torch.nn.Module | None) -> list[torch.nn.Parameter]:
    """What the optimizer steps and the gradient clip bounds: the model's weights and an auxiliary head's."""
    return [*model.parameters(), *(head.parameters() if head is not None else ())]


def _multi_hot(ids: list[int], num_labels: int) -> list[float]:
    row = [0.0] * num_labels
    for i in ids:
        row[i] = 1.0
    return row


def _word_dropout(input_ids: torch.Tensor, rate: float) -> torch.Tensor:
    if not rate:
        return input_ids
    dropped = (torch.rand(input_ids.shape, device=input_ids.device) < rate) & (input_ids != PAD_ID)
    return input_ids.masked_fill(dropped, UNK_ID)


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


def _progress(enabled: bool):
    """The training bar on a terminal; off one, nothing: `say` logs a plain line per epoch instead."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from ..console import progress

    return progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[status]}"),
        enabled=enabled,
    )
