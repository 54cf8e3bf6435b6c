"""Training: one `accelerate` loop for one CPU, one GPU, or many processes (`accelerate launch`).

The shape follows accelerate's `examples/nlp_example.py`: build everything, `prepare` it, then a
plain loop. Checkpoints (`accelerator.save_state`) after every epoch let `--resume` continue a
killed run exactly where its last epoch ended; the best model (by validation macro-F1) is saved
with `save_pretrained` into the output folder, which is replaced atomically each time.

This module is the loop itself, in one place: `train`, then per epoch `run_epoch` and
`evaluate_and_keep_best`, and `finish`. What it is built from is in setup.py, checkpoints and
--resume in checkpoint.py, the figures it reports in evaluation.py.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from ..atomic import check_model_output
from ..errors import EmotionBiLSTMError
from ..tokenizer import PAD_ID, UNK_ID
from . import distill, goemotions_head, vectors
from .checkpoint import check_checkpoint_dir, save_checkpoint, start_or_resume, state_to_resume
from .evaluation import bar_status, epoch_line, evaluate_loader, run_summary, test_split_metrics
from .settings import TrainConfig
from .setup import (
    Run,
    build_accelerator,
    build_loss,
    build_model,
    build_optimizer,
    build_tokenizer,
    get_dataloaders,
    load_training_data,
    main_process_log,
    trained_parameters,
)


def train(
    config: TrainConfig,
    log: Callable[[str], None] | None = None,
    show_progress: bool = True,
) -> dict[str, Any]:
    """Train, early-stop on validation macro-F1, save the best model to `config.output_dir`.

    Returns the summary also written to `metrics.json`. Only the main process writes files.
    """
    from accelerate.utils import set_seed

    if config.extra_vocab and not config.pretrained_vectors:
        raise EmotionBiLSTMError("--extra-vocab adds words from pretrained vectors: give --pretrained-vectors too")
    if config.pretrained_vectors:
        vectors.check_source(config.pretrained_vectors)  # refuses before any data is read
    if config.added_data_weight != 1 and not config.add_data:
        raise EmotionBiLSTMError("--added-data-weight weighs the rows of --add-data: give --add-data too")
    if config.goemotions_auxiliary_weight:
        goemotions_head.goemotions_source(config.add_data)  # refuses before any data is read
    teacher = distill.check_settings(config)  # refuses before any data is read; a folder or an outputs file
    check_model_output(Path(config.output_dir), overwrite=config.overwrite, resume=config.resume)
    check_checkpoint_dir(config.checkpoint_path())
    resumed = state_to_resume(config)
    accelerator = build_accelerator(config)
    say = main_process_log(accelerator, log)
    say(f"training on {accelerator.num_processes} process(es), device {accelerator.device}")
    set_seed(config.seed)
    data = load_training_data(config, accelerator, say)
    if teacher is not None:
        data.distillation = distill.prepare(config, data, teacher, accelerator, say, show_progress)
    tokenizer, word_vectors = build_tokenizer(config, [*data.splits["train"]["text"], *data.transfer_texts()], say)
    train_loader, val_loader = get_dataloaders(config, data, tokenizer)
    model = build_model(config, data, tokenizer, word_vectors, say)
    head = goemotions_head.build_head(config.hidden_size) if data.auxiliary is not None else None
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
            progress.update(bar, status=bar_status(run.state, metrics))
            say(epoch_line(run.state.history[-1], data.multi))
            save_checkpoint(accelerator, config.checkpoint_path(), run.state)
        if run.state.epochs_without_improvement >= config.patience:
            say(f"stopped early: no better validation macro-F1 for {config.patience} epochs")
    return finish(run)


def run_epoch(run: Run, epoch: int, step_done: Callable[[str], None]) -> float:
    """One pass over the training batches; returns the mean training loss over every process."""
    config, accelerator, model = run.config, run.accelerator, run.model
    run.sampler.set_epoch(epoch)
    run.train_loader.set_epoch(epoch)
    model.train()
    total_loss, batches = 0.0, 0
    for step, batch in enumerate(run.train_loader, start=1):
        input_ids = _word_dropout(batch["input_ids"], config.word_dropout)
        if run.auxiliary_head is None and run.data.distillation is None:
            loss = run.loss_fn(model(input_ids, batch["lengths"]).float(), batch["labels"])
        else:
            loss = _loss_with_extra_terms(run, input_ids, batch)
        accelerator.backward(loss)
        if config.max_grad_norm:
            accelerator.clip_grad_norm_(trained_parameters(model, run.auxiliary_head), config.max_grad_norm)
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
    largest = torch.stack([p.detach().abs().amax() for p in trained_parameters(model, run.auxiliary_head)]).amax()
    _stop_unless_finite(run, "the weights", float(largest), epoch, batches)  # NaN if any is NaN
    mean_loss = torch.tensor(total_loss / max(batches, 1), device=accelerator.device)
    return accelerator.reduce(mean_loss, "mean").item()


def _loss_with_extra_terms(run: Run, input_ids: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """The batch's loss with the training-only terms asked for: the teacher's (distill.py) in place of the
    plain main loss, and the 28-label head's (goemotions_head.py) added."""
    config, head = run.config, run.auxiliary_head
    if head is None:
        logits, features = run.model(input_ids, batch["lengths"]), None
    else:
        logits, features = run.model(input_ids, batch["lengths"], with_features=True)
    logits, labels = logits.float(), batch["labels"]
    if "teacher_log_probs" in batch:
        loss = distill.distillation_loss(run.loss_fn, logits, labels, batch["teacher_log_probs"], config)
    else:
        loss = goemotions_head.labelled_mean(run.loss_fn, logits, labels)
    if head is not None:
        loss = loss + config.goemotions_auxiliary_weight * goemotions_head.auxiliary_loss(head(features).float(), batch)
    return loss


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
        unwrapped.training_summary = run_summary(
            run.config, state, metrics, None, run.tokenizer, run.started, _distillation_summary(run)
        )
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
    summary = run_summary(
        config,
        run.state,
        val_metrics,
        test_split_metrics(run, val_metrics),
        run.tokenizer,
        run.started,
        _distillation_summary(run),
    )
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


def _distillation_summary(run: Run) -> dict[str, Any] | None:
    return run.data.distillation.summary if run.data.distillation is not None else None


def _word_dropout(input_ids: torch.Tensor, rate: float) -> torch.Tensor:
    if not rate:
        return input_ids
    dropped = (torch.rand(input_ids.shape, device=input_ids.device) < rate) & (input_ids != PAD_ID)
    return input_ids.masked_fill(dropped, UNK_ID)


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
