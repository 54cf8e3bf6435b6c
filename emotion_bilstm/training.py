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
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset

from .averaging import WeightAverage
from .batching import pad_batch
from .choices import MixedPrecision, Pooling, PretrainedVectors, TokenizerKind, values
from .cleaning import drop_conflicting, with_validation
from .data import is_multi_label, label_names, load_splits
from .errors import EmotionBiLSTMError, writing
from .files import replace_folder, temporary_name, write_text_atomic
from .metrics import apply_thresholds, classification_metrics, multilabel_metrics, tune_thresholds
from .model import MULTI_LABEL, SINGLE_LABEL, EmotionBiLSTM
from .tokenizer import PAD_ID, UNK_ID, encode_batch, train_tokenizer


@dataclass
class TrainConfig:
    """Every setting of a training run; written into metrics.json and the model card."""

    data: str
    output_dir: str
    dataset_config: str = "split"
    add_data: list[str] = field(default_factory=list)  # more sources appended to `data` (e.g. GoEmotions)
    neutral_limit: int | None = None  # at most this many GoEmotions neutral training comments (a seeded sample)
    neutral_recall: float | None = None  # shift neutral's logit so this share of validation neutral texts get it
    checkpoint_dir: str | None = None  # default: OUTPUT_DIR.checkpoints, beside the model folder
    epochs: int = 6  # with the linear decay, the last epochs are the best (experiments/RESULTS.md)
    batch_size: int = 64
    learning_rate: float = 3e-3
    weight_decay: float = 0.01
    warmup_ratio: float = 0.05
    max_grad_norm: float = 1.0
    label_smoothing: float = 0.0
    class_weights: bool = False
    patience: int = 3
    embedding_dim: int = 200
    hidden_size: int = 128
    num_layers: int = 1
    dropout: float = 0.5  # before the classifier; 0.5 beat 0.3 by +0.4 points over 3 seeds (experiments/RESULTS.md)
    embedding_dropout: float = 0.1
    pooling: str = "max"
    tokenizer: str = "word"
    vocab_size: int = 30000
    min_frequency: int = 1
    max_length: int = 128
    validation_fraction: float = 0.1
    seed: int = 42
    mixed_precision: str = "auto"
    cpu: bool = False
    resume: bool = False
    word_dropout: float = 0.0  # chance a training token becomes [UNK]: teaches [UNK] for words never seen
    ema_decay: float = 0.0  # above 0: evaluate and keep an exponential moving average of the weights
    drop_conflicting: bool = True  # drop texts labelled twice with different labels (and repeats) from train
    train_on_validation: bool = False  # release: fit train + validation for exactly `epochs`, keep the last
    keep_last: bool = False  # keep the last epoch's weights, not the best validation epoch's (implied by the above)
    dedupe: bool = False  # drop training rows whose normalised text is also in validation or test (leakage)
    pretrained_vectors: str | None = None  # "glove-6b-50d": initialise the embedding (needs the [glove] extra)
    extra_vocab: int = 0  # with pretrained vectors: add this many GloVe words unseen in training to the vocabulary
    labels: list[str] | None = None  # fixes the label set and its order; None: read it from the training data
    multi_label: bool = False  # `a|b` labels in csv/tsv/txt (list-valued labels are multi-label without it)

    def __post_init__(self) -> None:
        """Refuse a bad choice before any data is read; store choices as plain strings (JSON, --resume)."""
        choices = {
            "pooling": Pooling,
            "tokenizer": TokenizerKind,
            "mixed_precision": MixedPrecision,
            "pretrained_vectors": PretrainedVectors,
        }
        for name, choice in choices.items():
            value = getattr(self, name)
            if value is None and name == "pretrained_vectors":
                continue
            try:
                setattr(self, name, choice(value).value)
            except ValueError:
                raise EmotionBiLSTMError(f"{name} {value!r} is not one of {', '.join(values(choice))}") from None

    def checkpoint_path(self) -> Path:
        if self.checkpoint_dir:
            return Path(self.checkpoint_dir)
        output = Path(self.output_dir)
        return output.with_name(output.name + ".checkpoints")

    def model_args(self, vocab_size: int) -> dict[str, Any]:
        return {
            "vocab_size": vocab_size,
            "embedding_dim": self.embedding_dim,
            "hidden_size": self.hidden_size,
            "num_layers": self.num_layers,
            "dropout": self.dropout,
            "embedding_dropout": self.embedding_dropout,
            "pooling": self.pooling,
            "max_length": self.max_length,
        }


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
    """Token ids with their targets: a class id, or (multi-label) a 0/1 float per label."""

    def __init__(self, ids: list[list[int]], labels: list[int] | list[list[float]]) -> None:
        self.ids, self.labels = ids, labels

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index: int) -> tuple[list[int], int]:
        return self.ids[index], self.labels[index]


def collate(batch: list[tuple[list[int], int]]) -> dict[str, torch.Tensor]:
    input_ids, lengths = pad_batch([ids for ids, _ in batch])
    return {"input_ids": input_ids, "lengths": lengths, "labels": torch.tensor([label for _, label in batch])}


class LengthBucketSampler:
    """Batches of similar lengths in a shuffled order: little padding, so short LSTM runs.

    Shuffles within buckets of 50 batches, then shuffles the batches; the order depends only on
    `seed` and the epoch (set with `set_epoch`), so a resumed run sees the same batches.
    """

    def __init__(self, lengths: list[int], batch_size: int, seed: int, bucket_batches: int = 50) -> None:
        self.lengths, self.batch_size, self.seed, self.bucket_batches = lengths, batch_size, seed, bucket_batches
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return math.ceil(len(self.lengths) / self.batch_size)

    def __iter__(self) -> Iterator[list[int]]:
        rng = random.Random(self.seed * 1000 + self.epoch)
        indices = list(range(len(self.lengths)))
        rng.shuffle(indices)
        bucket = self.batch_size * self.bucket_batches
        batches: list[list[int]] = []
        for start in range(0, len(indices), bucket):
            chunk = sorted(indices[start : start + bucket], key=self.lengths.__getitem__)
            batches += [chunk[i : i + self.batch_size] for i in range(0, len(chunk), self.batch_size)]
        rng.shuffle(batches)
        return iter(batches)


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
    checkpoint_dir = config.checkpoint_path()
    state_file = checkpoint_dir / "train_state.json"
    resumed_state = None
    if config.resume:
        if not state_file.exists():
            raise EmotionBiLSTMError(f"{checkpoint_dir}: no checkpoint to resume from (run without --resume)")
        resumed_state = TrainState.read(state_file)
        _check_same_settings(config, resumed_state.settings)
    accelerator = Accelerator(cpu=_use_cpu(config), mixed_precision=_mixed_precision(config))

    def say(message: str) -> None:
        if log is not None and accelerator.is_main_process:
            log(message)

    say(f"training on {accelerator.num_processes} process(es), device {accelerator.device}")
    set_seed(config.seed)
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
            multi_label=config.multi_label,
        )
    names = label_names(splits["train"])
    multi = is_multi_label(splits["train"])
    say(f"{len(names)} labels{' (multi-label)' if multi else ''}: {', '.join(names)}")
    if multi and (config.class_weights or config.label_smoothing):
        raise EmotionBiLSTMError("--class-weights and --label-smoothing are for single-label training")

    def targets(labels: list) -> list:
        return [_multi_hot(ids, len(names)) for ids in labels] if multi else labels

    if config.dedupe:
        from .doctor import drop_shared_texts

        splits["train"], removed = drop_shared_texts(splits)
        others = ", ".join(name for name in splits if name != "train")
        say(f"--dedupe: dropped {removed} training row(s) whose normalised text is also in {others}")
    if config.train_on_validation:
        splits["train"] = with_validation(splits["train"], splits["validation"])
        say("training on train + validation: validation figures below are on seen data")
    if config.drop_conflicting:
        splits["train"], removed = drop_conflicting(splits["train"])
        say(f"dropped {removed} repeated or conflicting training rows")

    tokenizer = train_tokenizer(
        splits["train"]["text"], config.tokenizer, config.vocab_size, config.min_frequency, config.max_length
    )
    trained_vocab_size = tokenizer.get_vocab_size()
    if config.pretrained_vectors:
        from .vectors import extend_vocabulary, load_glove

        glove_words, glove_vectors = load_glove(config.pretrained_vectors)
        added = extend_vocabulary(tokenizer, glove_words, config.extra_vocab)
        say(f"{config.pretrained_vectors}: added {added} words unseen in training to the vocabulary")
    train_ids = encode_batch(tokenizer, splits["train"]["text"])
    train_labels = targets(splits["train"]["label"])
    # validation sorted by length: cheap batches; the order does not change any metric
    val_order = sorted(range(len(splits["validation"])), key=lambda i: len(splits["validation"][i]["text"]))
    val_split = splits["validation"].select(val_order)
    val_set = EncodedTexts(encode_batch(tokenizer, val_split["text"]), targets(val_split["label"]))

    sampler = LengthBucketSampler([len(ids) for ids in train_ids], config.batch_size, config.seed)
    train_loader = DataLoader(EncodedTexts(train_ids, train_labels), batch_sampler=sampler, collate_fn=collate)
    val_loader = DataLoader(val_set, batch_size=256, shuffle=False, collate_fn=collate)

    model = EmotionBiLSTM(
        **config.model_args(tokenizer.get_vocab_size()),
        num_labels=len(names),
        id2label=dict(enumerate(names)),
        problem_type=MULTI_LABEL if multi else SINGLE_LABEL,
    )
    model.tokenizer = tokenizer
    if config.pretrained_vectors:
        from .vectors import initialise_embedding

        found = initialise_embedding(
            model.embedding.weight, tokenizer, glove_words, glove_vectors, unseen_from=trained_vocab_size
        )
        say(f"{config.pretrained_vectors}: {found} of {tokenizer.get_vocab_size()} embedding rows start from GloVe")
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    total_steps = len(train_loader) * config.epochs
    warmup_steps = int(total_steps * config.warmup_ratio)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: _warmup_linear(step, warmup_steps, total_steps)
    )
    weights = _class_weights(train_labels, len(names)) if config.class_weights else None
    if multi:  # one independent yes/no per label
        loss_fn: torch.nn.Module = torch.nn.BCEWithLogitsLoss()
    else:
        loss_fn = torch.nn.CrossEntropyLoss(weight=weights, label_smoothing=config.label_smoothing)

    model, optimizer, train_loader, val_loader, scheduler = accelerator.prepare(
        model, optimizer, train_loader, val_loader, scheduler
    )
    loss_fn = loss_fn.to(accelerator.device)

    averager = WeightAverage(accelerator.unwrap_model(model), config.ema_decay) if config.ema_decay else None
    if averager is not None:
        accelerator.register_for_checkpointing(averager)  # saved and restored with the rest of the state
    state = TrainState()
    if resumed_state is not None:
        accelerator.load_state(str(checkpoint_dir / "state"))
        state = resumed_state
        say(f"resumed from {checkpoint_dir} after epoch {state.epoch} (best macro-F1 {state.best_macro_f1:.4f})")
    state.settings = asdict(config)
    best_weights = _load_best_weights(config.output_dir) if state.best_epoch else None

    started = time.perf_counter()
    progress = _progress(show_progress and accelerator.is_main_process)
    with progress:
        task = progress.add_task(
            "training", total=config.epochs * len(train_loader), completed=state.epoch * len(train_loader), status=""
        )
        while state.epoch < config.epochs and state.epochs_without_improvement < config.patience:
            epoch = state.epoch + 1
            epoch_started = time.perf_counter()
            sampler.set_epoch(epoch)
            train_loader.set_epoch(epoch)
            model.train()
            total_loss, batches = 0.0, 0
            for batch in train_loader:
                logits = model(_word_dropout(batch["input_ids"], config.word_dropout), batch["lengths"])
                loss = loss_fn(logits.float(), batch["labels"])
                accelerator.backward(loss)
                if config.max_grad_norm:
                    accelerator.clip_grad_norm_(model.parameters(), config.max_grad_norm)
                optimizer.step()
                scheduler.step()
                if averager is not None:
                    averager.update(accelerator.unwrap_model(model))
                optimizer.zero_grad(set_to_none=True)
                total_loss += loss.item()
                batches += 1
                progress.update(task, advance=1, status=f"epoch {epoch} loss {total_loss / batches:.4f}")
            # with an average, it is the averaged weights that are evaluated and kept
            averaged = averager.applied(accelerator.unwrap_model(model)) if averager else contextlib.nullcontext()
            with averaged:
                metrics = evaluate_loader(model, val_loader, accelerator, names)
                train_loss = accelerator.reduce(
                    torch.tensor(total_loss / max(batches, 1), device=accelerator.device), "mean"
                ).item()
                record = {
                    "epoch": epoch,
                    "train_loss": round(train_loss, 5),
                    "val_accuracy": round(metrics["accuracy"], 5),
                    "val_macro_f1": round(metrics["macro_f1"], 5),
                    **({"val_micro_f1": round(metrics["micro_f1"], 5)} if multi else {}),
                    "seconds": round(time.perf_counter() - epoch_started, 2),
                    "learning_rate": scheduler.get_last_lr()[0],
                }
                state.history.append(record)
                state.epoch = epoch
                if config.train_on_validation or config.keep_last or metrics["macro_f1"] > state.best_macro_f1:
                    state.best_macro_f1, state.best_epoch = metrics["macro_f1"], epoch
                    state.epochs_without_improvement = 0
                    unwrapped = accelerator.unwrap_model(model)
                    if multi:  # the thresholds tuned on this epoch's validation output belong to these weights
                        unwrapped.thresholds = metrics["thresholds"]
                    best_weights = {k: v.detach().cpu().clone() for k, v in unwrapped.state_dict().items()}
                    if accelerator.is_main_process:
                        unwrapped.training_summary = _summary(config, state, metrics, None, tokenizer, started)
                        unwrapped.save_pretrained(config.output_dir)
                else:
                    state.epochs_without_improvement += 1
            progress.update(
                task,
                status=f"epoch {epoch} val acc {metrics['accuracy']:.4f} macro-F1 {metrics['macro_f1']:.4f} "
                f"(best {state.best_macro_f1:.4f} @ {state.best_epoch})",
            )
            say(
                f"epoch {epoch}: loss {record['train_loss']:.4f}  "
                + (
                    f"val micro-F1 {record['val_micro_f1']:.4f}  exact match {record['val_accuracy']:.4f}  "
                    if multi
                    else f"val accuracy {record['val_accuracy']:.4f}  "
                )
                + f"macro-F1 {record['val_macro_f1']:.4f}  ({record['seconds']:.1f}s)"
            )
            _save_checkpoint(accelerator, checkpoint_dir, state)
        if state.epochs_without_improvement >= config.patience:
            say(f"stopped early: no better validation macro-F1 for {config.patience} epochs")

    unwrapped = accelerator.unwrap_model(model)
    if best_weights is not None:
        unwrapped.load_state_dict(best_weights)
    label_recall = None
    if config.neutral_recall is not None:
        from .calibration import set_label_recall

        label_recall = set_label_recall(
            unwrapped, splits["validation"], "neutral", config.neutral_recall, say, config.train_on_validation
        )
    val_metrics = evaluate_loader(model, val_loader, accelerator, names)
    if multi:
        unwrapped.thresholds = val_metrics["thresholds"]
    test_metrics = None
    if "test" in splits:
        test_set = EncodedTexts(encode_batch(tokenizer, splits["test"]["text"]), targets(splits["test"]["label"]))
        test_loader = accelerator.prepare(DataLoader(test_set, batch_size=256, collate_fn=collate))
        # a multi-label test split is scored with validation's thresholds: tuning on test would flatter it
        test_metrics = evaluate_loader(model, test_loader, accelerator, names, val_metrics.get("thresholds"))
    summary = _summary(config, state, val_metrics, test_metrics, tokenizer, started)
    if label_recall is not None:
        summary["label_recall"] = label_recall
    if accelerator.is_main_process:
        from .calibration import calibrate_after_training, save_with_diagram

        calibration = calibrate_after_training(
            unwrapped, splits["validation"], summary, say, seen_in_training=config.train_on_validation
        )
        unwrapped.training_summary = summary
        save_with_diagram(unwrapped, config.output_dir, calibration, say)
    accelerator.wait_for_everyone()
    accelerator.end_training()
    return summary


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
        state.write(checkpoint_dir / "train_state.json")
    accelerator.wait_for_everyone()


# Settings a resumed run may change: where things are, not what is computed.
RESUMABLE_CHANGES = {"resume", "data", "output_dir", "checkpoint_dir"}


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

    weights = Path(output_dir) / "model.safetensors"
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

    from .console import progress

    return progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[status]}"),
        enabled=enabled,
    )
