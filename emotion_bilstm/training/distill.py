"""Distillation (`--teacher`): a fine-tuned transformer's probabilities as soft targets for the BiLSTM.

Set-up (`prepare`): the teacher's labels folded onto the student's (teacher_labels.py), the transfer
set read, grown by augmented copies of the training texts (augment.py) and deduplicated (transfer.py),
and the teacher's log-probabilities for every training, transfer and validation text taken from the
cache or computed once (teacher_cache.py, teacher.py). A
teacher-outputs file (`--teacher FILE`, e.g. data/teachers/NAME) gives the fold and every row alone,
without the teacher or `transformers`.
Each training row then carries its teacher row into the batch, and `distillation_loss` replaces the
main loss, the way goemotions_head.py adds its own (Hinton et al. 2015; Tang et al. 2019):

    labelled rows   a * T^2 * KL(teacher_T || student_T) + (1 - a) * CE(label)
    transfer rows   T^2 * KL(teacher_T || student_T)

averaged over the batch's rows, where `_T` is a softmax at temperature T of the logits (the teacher's
log-probabilities stand for its logits: they differ by a constant per text, which no softmax sees, and
they are what a folded teacher has). CE is the run's own loss (class weights, label smoothing).
`--distill-loss mse` replaces the T^2 KL term by Tang et al.'s squared error on logits, between the
student's logits and the teacher's log-probabilities, each centred per text (that removes the constant
by which log-probabilities differ from logits), averaged over the labels; T plays no part in it.

Multi-label students are refused: their labels are independent sigmoids, which a teacher's softmax
over labels does not describe.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from ..enums import DistillLoss
from ..errors import EmotionBiLSTMError
from . import augment, teacher, teacher_cache
from .goemotions_head import NO_LABEL
from .settings import TrainConfig
from .teacher_labels import LabelFold, fold_labels
from .transfer import TransferSet, transfer_set

if TYPE_CHECKING:
    from .setup import TrainingData

# The settings that only mean something with --teacher, by their option name.
DISTILLATION_OPTIONS = {
    "transfer": "--transfer",
    "teacher_label_map": "--teacher-label-map",
    "distill_alpha": "--distill-alpha",
    "distill_temperature": "--distill-temperature",
    "distill_loss": "--distill-loss",
    "transfer_augment": "--transfer-augment",
}


@dataclass
class Distillation:
    """The transfer texts, each training row's teacher log-probabilities, and what metrics.json records."""

    transfer: TransferSet
    targets: torch.Tensor  # (training rows, student labels): labelled rows, auxiliary-only rows, transfer rows
    summary: dict[str, Any]


def check_settings(config: TrainConfig) -> Path | None:
    """Refuse distillation settings that cannot work, before any data is read; the teacher's folder, or the
    teacher-outputs file it names (teacher_cache.outputs_file), if any.

    Without --teacher, its settings are refused (they would silently do nothing); with it, a multi-label
    run, a missing `transformers` (naming the extra) and a teacher that is neither a folder nor a Hub id.
    A teacher-outputs file needs no `transformers`, but a file whose metadata cannot be trained from, or
    a --teacher-label-map (the file's fold is fixed), is refused.
    """
    if not config.teacher:
        defaults = {item.name: item.default for item in fields(TrainConfig) if item.name in DISTILLATION_OPTIONS}
        given = [
            flag
            for name, flag in DISTILLATION_OPTIONS.items()
            if getattr(config, name) not in (None, []) and getattr(config, name) != defaults[name]
        ]
        if given:
            raise EmotionBiLSTMError(f"{', '.join(given)} distil(s) a teacher into the model: give --teacher too")
        return None
    if config.multi_label:
        raise_multi_label()
    outputs = teacher_cache.outputs_file(config.teacher)
    if outputs is not None:
        if config.teacher_label_map:
            raise EmotionBiLSTMError(
                f"--teacher-label-map: the outputs in {outputs} are already folded onto the student's labels "
                "(the fold is in the file): drop --teacher-label-map, or give the teacher itself"
            )
        teacher_cache.recorded_teacher(outputs)
        return outputs
    teacher.require_transformers()
    if config.teacher_label_map and not Path(config.teacher_label_map).is_file():
        raise EmotionBiLSTMError(f"--teacher-label-map {config.teacher_label_map}: no such file")
    return teacher.teacher_folder(config.teacher)


def raise_multi_label() -> None:
    raise EmotionBiLSTMError(
        "--teacher distils into single-label students only: a multi-label student's independent sigmoids "
        "are not a teacher's softmax (train without --teacher)"
    )


def prepare(
    config: TrainConfig,
    data: TrainingData,
    source: Path,
    accelerator: Any,
    say: Callable[[str], None],
    show_progress: bool,
) -> Distillation:
    """The fold, the transfer set and the teacher's outputs for every training, transfer and validation text:
    from the teacher's folder (and the run's cache), or from a teacher-outputs file alone."""
    if data.multi:
        raise_multi_label()
    recorded = teacher_cache.recorded_teacher(source) if source.is_file() else None
    if recorded is not None:
        fold = _recorded_fold(recorded, data.names)
    else:
        fold = fold_labels(teacher.teacher_labels(source), data.names, config.teacher_label_map)
    groups = "; ".join(f"{student} <- {', '.join(sources)}" for student, sources in fold.groups().items())
    say(f"--teacher {config.teacher}: its labels onto the student's: {groups}")
    if fold.dropped():
        say(f"teacher: dropped {', '.join(fold.dropped())} (their probability is renormalised away)")
    train_texts = data.train_texts()
    validation = data.splits["validation"]
    transfer, augmented = _transfer(config, data, say)
    texts = [*train_texts, *transfer.texts, *validation["text"]]
    if recorded is not None:
        outputs, named = _read_outputs(texts, recorded, say)
    else:
        outputs, named = _teacher_outputs(texts, config, source, fold, accelerator, say, show_progress)
    rows = len(train_texts) + len(transfer.texts)
    agreement = (outputs[rows:].argmax(dim=1) == torch.tensor(validation["label"])).float().mean().item()
    say(f"teacher: validation accuracy {agreement:.4f} (its answers folded onto the student's labels)")
    summary = {
        **named,
        "teacher_labels": list(fold.teacher_labels),
        "label_fold": fold.describe(),
        "alpha": config.distill_alpha,
        "temperature": config.distill_temperature,
        "loss": config.distill_loss,
        "transfer": transfer.describe(),
        **({"transfer_augment": augmented} if augmented is not None else {}),
        "rows": {"labelled": len(data.splits["train"]), "transfer": len(transfer.texts)},
        "teacher_validation_accuracy": round(agreement, 5),
    }
    return Distillation(transfer, outputs[:rows], summary)


def _transfer(
    config: TrainConfig, data: TrainingData, say: Callable[[str], None]
) -> tuple[TransferSet, dict[str, Any] | None]:
    """The transfer set: the --transfer sources, then the --transfer-augment copies of the labelled training
    texts, deduplicated against every split's texts; what metrics.json records of the copies, if any."""
    if not config.transfer and not config.transfer_augment:
        return TransferSet(), None
    test_texts = list(data.splits["test"]["text"]) if "test" in data.splits else []
    data_texts = [*data.train_texts(), *data.splits["validation"]["text"], *test_texts]
    copies = augment.training_copies(config, list(data.splits["train"]["text"])) if config.transfer_augment else None
    transfer = transfer_set(config.transfer, data_texts, say, copies=copies.texts if copies else ())
    if copies is None:
        return transfer, None
    say(copies.line(transfer.copies_kept))
    return transfer, copies.describe(transfer.copies_kept)


def _recorded_fold(recorded: teacher_cache.RecordedTeacher, names: list[str]) -> LabelFold:
    """The fold a teacher-outputs file was written with, refused where its student labels are not the run's
    (in order: a row's columns are the labels' ids)."""
    if list(recorded.fold.student_labels) != names:
        raise EmotionBiLSTMError(
            f"--teacher {recorded.path}: its outputs are over the labels {', '.join(recorded.fold.student_labels)}, "
            f"this run's are {', '.join(names)} (they must match, in order)"
        )
    return recorded.fold


def _teacher_outputs(
    texts: list[str],
    config: TrainConfig,
    folder: Path,
    fold: LabelFold,
    accelerator: Any,
    say: Callable[[str], None],
    show_progress: bool,
) -> tuple[torch.Tensor, dict[str, Any]]:
    """The teacher's rows, from the run's cache or computed; how metrics.json names the teacher and its cache."""
    fingerprint = teacher.fingerprint(folder)
    cache = teacher_cache.cache_path(config.checkpoint_path())
    outputs, computed = teacher_cache.cached_outputs(
        texts,
        cache,
        teacher_cache.cache_key(fingerprint, fold),
        _compute(folder, fold, accelerator.device, say, show_progress),
        accelerator,
        say,
        teacher_cache.cache_about(config.teacher, fingerprint, fold),
    )
    named = {"teacher": teacher.hub_or_folder(config.teacher), "fingerprint": fingerprint}
    return outputs, {**named, "teacher_outputs": {"computed": computed, "cached_in": str(cache)}}


def _read_outputs(
    texts: list[str], recorded: teacher_cache.RecordedTeacher, say: Callable[[str], None]
) -> tuple[torch.Tensor, dict[str, Any]]:
    """The rows of a teacher-outputs file, without the teacher; metrics.json names the teacher the file
    records (its name and fingerprint when it was run) and the file itself."""
    outputs = teacher_cache.outputs_from_file(texts, recorded)
    say(f"teacher: read all {len(set(texts))} output(s) from {recorded.path} (teacher {recorded.teacher})")
    read_from = str(recorded.path.resolve())
    named = {"teacher": recorded.teacher, "fingerprint": recorded.fingerprint}
    return outputs, {**named, "teacher_outputs": {"computed": 0, "read_from": read_from}}


def _compute(
    folder: Path, fold: LabelFold, device: Any, say: Callable[[str], None], show_progress: bool
) -> Callable[[list[str]], torch.Tensor]:
    """The teacher run over the texts not cached: a progress bar on a terminal, a log line per 5,000 off one."""

    def compute(texts: list[str]) -> torch.Tensor:
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        from ..console import progress

        say(f"teacher: running on {len(texts)} texts not cached yet (device {device})")
        columns = (TextColumn("[bold]teacher"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with progress(*columns, TimeRemainingColumn(), enabled=show_progress, transient=True) as bar:
            task = bar.add_task("teacher", total=len(texts))
            draw = None if bar.disable else (lambda n: bar.update(task, advance=n))
            return teacher.run_teacher(folder, texts, fold, device, teacher.progress_reporter(len(texts), say, draw))

    return compute


def teacher_term(logits: torch.Tensor, teacher_log_probs: torch.Tensor, temperature: float, kind: str) -> torch.Tensor:
    """Each row's distance from its teacher: T^2 KL(teacher_T || student_T), or (mse) the squared error of
    the centred logits averaged over the labels."""
    teacher_log_probs = teacher_log_probs.to(logits.dtype)
    if kind == DistillLoss.MSE.value:
        student = logits - logits.mean(dim=-1, keepdim=True)
        target = teacher_log_probs - teacher_log_probs.mean(dim=-1, keepdim=True)
        return ((student - target) ** 2).mean(dim=-1)
    student = torch.log_softmax(logits / temperature, dim=-1)
    target = torch.log_softmax(teacher_log_probs / temperature, dim=-1)
    kl = torch.nn.functional.kl_div(student, target, reduction="none", log_target=True).sum(dim=-1)
    return temperature**2 * kl


def distillation_loss(
    ce_sum: torch.nn.Module,
    logits: torch.Tensor,
    labels: torch.Tensor,
    teacher_log_probs: torch.Tensor,
    config: TrainConfig,
) -> torch.Tensor:
    """The batch's mean of: labelled rows a * teacher term + (1 - a) * CE, transfer rows the teacher term alone.

    `ce_sum` is the run's cross-entropy summing over the rows (rows labelled NO_LABEL add nothing).
    """
    alpha = config.distill_alpha
    term = teacher_term(logits, teacher_log_probs, config.distill_temperature, config.distill_loss)
    weights = torch.where(labels != NO_LABEL, alpha, 1.0).to(term.dtype)
    return ((1 - alpha) * ce_sum(logits, labels) + (weights * term).sum()) / max(labels.numel(), 1)
