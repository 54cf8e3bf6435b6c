"""Figures: validation and test metrics of the model being trained, and how a run reports them.

`evaluate_loader` scores a (possibly sharded) loader; `run_summary` is what metrics.json and the model
card record; `epoch_line` and `bar_status` are the per-epoch log line and the progress bar's status.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import torch
from torch.utils.data import DataLoader

from ..metrics import apply_thresholds, classification_metrics, multilabel_metrics, tune_thresholds
from .checkpoint import TrainState
from .sampling import collate
from .settings import TrainConfig

if TYPE_CHECKING:
    from .setup import Run


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


def test_split_metrics(run: Run, val_metrics: dict[str, Any]) -> dict[str, Any] | None:
    """The test split's figures, or None where the data has no test split."""
    if "test" not in run.data.splits:
        return None
    test_set = run.data.encoded(run.tokenizer, run.data.splits["test"])
    test_loader = run.accelerator.prepare(DataLoader(test_set, batch_size=256, collate_fn=collate))
    # a multi-label test split is scored with validation's thresholds: tuning on test would flatter it
    return evaluate_loader(run.model, test_loader, run.accelerator, run.data.names, val_metrics.get("thresholds"))


def run_summary(
    config: TrainConfig,
    state: TrainState,
    val_metrics: dict[str, Any],
    test_metrics: dict[str, Any] | None,
    tokenizer: Any,
    started: float,
    distillation: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What metrics.json and the model card record of a run: its figures, history, settings and versions
    (and with --teacher, the teacher, its label fold, the transfer set and the loss: distill.py)."""
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
        **({"distillation": distillation} if distillation is not None else {}),
    }


def epoch_line(record: dict[str, Any], multi: bool) -> str:
    """The log line of one epoch (its record in the history)."""
    figures = (
        f"val micro-F1 {record['val_micro_f1']:.4f}  exact match {record['val_accuracy']:.4f}  "
        if multi
        else f"val accuracy {record['val_accuracy']:.4f}  "
    )
    return (
        f"epoch {record['epoch']}: loss {record['train_loss']:.4f}  {figures}"
        f"macro-F1 {record['val_macro_f1']:.4f}  ({record['seconds']:.1f}s)"
    )


def bar_status(state: TrainState, metrics: dict[str, Any]) -> str:
    """The progress bar's status after an epoch: its figures and the best so far."""
    return (
        f"epoch {state.epoch} val acc {metrics['accuracy']:.4f} macro-F1 {metrics['macro_f1']:.4f} "
        f"(best {state.best_macro_f1:.4f} @ {state.best_epoch})"
    )
