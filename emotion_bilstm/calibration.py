"""Calibrated confidence: one temperature fitted on validation, so that a score of 0.8 is right ~80% of the time.

Temperature scaling (Guo et al., 2017) divides the logits by T before the softmax. It never changes
which label wins (T > 0 keeps the order of the logits), so accuracy stays exactly the same; only the
scores move. T is chosen to minimise the negative log-likelihood of the validation labels. The NLL
is convex in 1/T (a log-sum-exp of linear functions minus a linear one), so a golden-section search
over 1/T finds the global minimum, deterministically and without tuning a learning rate.

Expected calibration error (ECE) is measured with 15 equal-width confidence bins:
`sum over bins of (rows in bin / rows) * |accuracy in bin - mean confidence in bin|`.

A multi-label model (a sigmoid per label) gets one temperature shared by all its labels, fitted by
the same search on the binary cross-entropy (the NLL of every label's sigmoid, averaged over texts and
labels; also convex in 1/T). Its decisions must not move: a label applies when
sigmoid(z / T) >= threshold, and its thresholds were tuned on the uncalibrated sigmoid(z), so each
stored threshold t becomes sigmoid(logit(t) / T), which holds exactly when z >= logit(t). ECE for it
pools every (text, label) probability one-vs-rest: bins by the probability, and "accuracy" in a bin is
the share of those (text, label) pairs where the label is true.

Drawing the fitted report as a reliability diagram is reliability_diagram.py's job; shifting one
label's logit to a chosen recall (the operating point, fitted before the temperature) is operating_point.py's.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from .data import load_file, load_splits
from .engines import probabilities
from .errors import ModelLoadError
from .folder_reads import METRICS_NAME, WEIGHTS_NAME
from .metrics import model_labels
from .model import EmotionBiLSTM
from .model_folder import stored_float_dtype
from .operating_point import set_label_recall as set_label_recall  # training.py imports it from here
from .reliability_diagram import save_with_diagram

ECE_BINS = 15
# 1/T is searched in this range: T from 0.05 (sharpen 20x) to 20 (flatten 20x); far beyond real models.
INVERSE_TEMPERATURE_RANGE = (0.05, 20.0)


def softmax_nll(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """Mean NLL of integer `labels` under softmax(`logits`): a single-label model's loss."""
    return float(torch.nn.functional.cross_entropy(logits, labels.long()))


def sigmoid_nll(logits: torch.Tensor, targets: torch.Tensor) -> float:
    """Mean binary cross-entropy of 0/1 `targets` (rows x labels) under sigmoid(`logits`): a multi-label model's."""
    return float(torch.nn.functional.binary_cross_entropy_with_logits(logits, targets.to(logits.dtype)))


def negative_log_likelihood(
    logits: torch.Tensor, labels: torch.Tensor, temperature: float = 1.0, nll: Callable = softmax_nll
) -> float:
    return nll(logits.double() / temperature, labels)


def fit_temperature(
    logits: torch.Tensor,
    labels: torch.Tensor,
    iterations: int = 80,
    nll: Callable[[torch.Tensor, torch.Tensor], float] = softmax_nll,
) -> float:
    """The T > 0 that minimises `nll(logits / T, labels)` (golden-section on 1/T).

    `nll` is `softmax_nll` (integer labels) or `sigmoid_nll` (a rows x labels 0/1 matrix); both are
    convex in 1/T, so the search finds the global minimum.
    """
    low, high = INVERSE_TEMPERATURE_RANGE
    ratio = (math.sqrt(5) - 1) / 2
    logits = logits.double()

    def loss(inverse_temperature: float) -> float:
        return nll(logits * inverse_temperature, labels)

    a, b = low, high
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    f_c, f_d = loss(c), loss(d)
    for _ in range(iterations):
        if f_c < f_d:
            b, d, f_d = d, c, f_c
            c = b - ratio * (b - a)
            f_c = loss(c)
        else:
            a, c, f_c = c, d, f_d
            d = a + ratio * (b - a)
            f_d = loss(d)
    return 1.0 / ((a + b) / 2)


def multi_hot(label_lists: Sequence[Sequence[int]], num_labels: int) -> torch.Tensor:
    """Multi-label targets: a (rows, num_labels) float64 matrix, 1.0 where a row holds the label."""
    targets = torch.zeros(len(label_lists), num_labels, dtype=torch.float64)
    for row, ids in enumerate(label_lists):
        targets[row, list(ids)] = 1.0
    return targets


def scaled_thresholds(thresholds: Sequence[float], temperature: float) -> list[float]:
    """Thresholds on sigmoid(z) carried over to sigmoid(z / T): t -> sigmoid(logit(t) / T).

    sigmoid(z / T) >= sigmoid(logit(t) / T) exactly when z >= logit(t) (T > 0), so no decision moves;
    0 and 1 stay put. `1 / T` undoes it (a calibrated model's thresholds back to its raw ones).
    """
    if temperature == 1.0:
        return [float(t) for t in thresholds]
    values = torch.tensor([float(t) for t in thresholds], dtype=torch.float64)
    return torch.sigmoid(torch.logit(values) / temperature).tolist()


def reliability_bins(probs: torch.Tensor, labels: torch.Tensor, bins: int = ECE_BINS) -> list[dict[str, float]]:
    """Per equal-width confidence bin ((i/bins, (i+1)/bins]): rows, mean confidence and accuracy.

    `labels` of `probs`' shape (a multi-label 0/1 matrix) pools every (row, label) probability
    one-vs-rest: the confidence is the label's probability, the accuracy the share where it is true.
    """
    if labels.dim() == 2:
        confidence, correct = probs.flatten(), labels.flatten().double()
    else:
        confidence, predicted = probs.max(dim=1)
        correct = (predicted == labels).double()
    # a confidence of exactly 1.0 belongs to the last bin, exactly 1/6 (never below) to the first
    index = (confidence.double() * bins).ceil().long().clamp(1, bins) - 1
    rows = []
    for b in range(bins):
        members = index == b
        count = int(members.sum())
        rows.append(
            {
                "lower": b / bins,
                "upper": (b + 1) / bins,
                "count": count,
                "confidence": float(confidence[members].double().mean()) if count else 0.0,
                "accuracy": float(correct[members].mean()) if count else 0.0,
            }
        )
    return rows


def expected_calibration_error(probs: torch.Tensor, labels: torch.Tensor, bins: int = ECE_BINS) -> float:
    """ECE over rows; over every (row, label) pair when `labels` is a multi-label 0/1 matrix."""
    total = labels.numel()
    if total == 0:
        return 0.0
    return sum(r["count"] / total * abs(r["accuracy"] - r["confidence"]) for r in reliability_bins(probs, labels, bins))


def calibration_report(logits: torch.Tensor, labels: Sequence[int], split: str = "validation") -> dict[str, Any]:
    """Fit T on (`logits`, `labels`) and measure ECE and NLL before (T=1) and after, plus both diagrams' bins."""
    labels_tensor = torch.as_tensor(list(labels), dtype=torch.long)
    temperature = fit_temperature(logits, labels_tensor)
    before = probabilities(logits, 1.0)
    after = probabilities(logits, temperature)
    # Counted on the logits: a temperature T > 0 keeps their order, so accuracy cannot change. The
    # probabilities are no place to check that: two logits a few ulps apart can round to one float32
    # probability at one T and not at another (seen on a near-random tiny model under the bfloat16 engine).
    accuracy = float((logits.argmax(dim=1) == labels_tensor).double().mean())
    return {
        "temperature": round(temperature, 6),
        "split": split,
        "n": len(labels_tensor),
        "bins": ECE_BINS,
        "accuracy": accuracy,
        "ece_before": round(expected_calibration_error(before, labels_tensor), 6),
        "ece_after": round(expected_calibration_error(after, labels_tensor), 6),
        "nll_before": round(negative_log_likelihood(logits, labels_tensor), 6),
        "nll_after": round(negative_log_likelihood(logits, labels_tensor, temperature), 6),
        "ece_after_cross_fitted": round(cross_fitted_ece(logits, labels_tensor), 6),
        "reliability_before": reliability_bins(before, labels_tensor),
        "reliability_after": reliability_bins(after, labels_tensor),
    }


def multi_label_calibration_report(
    logits: torch.Tensor, labels: Sequence[Sequence[int]], thresholds: Sequence[float], split: str = "validation"
) -> dict[str, Any]:
    """A multi-label model's `calibration_report`: one T for all labels, fitted on the binary
    cross-entropy, and its raw `thresholds` (on sigmoid(z)) carried over to sigmoid(z / T).

    `decisions_changed` counts (text, label) decisions that differ before and after, as `predict`
    computes them (float32); 0 unless a logit sits within rounding of its threshold.
    """
    targets = multi_hot(labels, logits.shape[1])
    # rounded as config.json stores it, before the thresholds follow it: they must match the stored T
    temperature = round(fit_temperature(logits, targets, nll=sigmoid_nll), 6)
    after_thresholds = scaled_thresholds(thresholds, temperature)
    before = probabilities(logits, 1.0, multi_label=True)
    after = probabilities(logits, temperature, multi_label=True)
    decided_before = before >= torch.tensor([float(t) for t in thresholds])
    decided_after = after >= torch.tensor(after_thresholds)
    return {
        "temperature": temperature,
        "split": split,
        "n": len(targets),
        "bins": ECE_BINS,
        "multi_label": True,
        "exact_match": float((decided_before == targets.bool()).all(dim=1).double().mean()) if len(targets) else 0.0,
        "decisions_changed": int((decided_before != decided_after).sum()),
        "thresholds_before": [float(t) for t in thresholds],
        "thresholds": after_thresholds,
        "ece_before": round(expected_calibration_error(before, targets), 6),
        "ece_after": round(expected_calibration_error(after, targets), 6),
        "nll_before": round(negative_log_likelihood(logits, targets, nll=sigmoid_nll), 6),
        "nll_after": round(negative_log_likelihood(logits, targets, temperature, nll=sigmoid_nll), 6),
        "ece_after_cross_fitted": round(cross_fitted_ece(logits, targets, multi_label=True), 6),
        "reliability_before": reliability_bins(before, targets),
        "reliability_after": reliability_bins(after, targets),
    }


def cross_fitted_ece(logits: torch.Tensor, labels: torch.Tensor, seed: int = 0, multi_label: bool = False) -> float:
    """ECE after scaling, where each half of the rows is scored with the T fitted on the other half.

    The plain `ece_after` fits and scores on the same rows, which flatters it; this does not.
    `multi_label`: `labels` is a 0/1 matrix and T is fitted on the binary cross-entropy.
    """
    nll = sigmoid_nll if multi_label else softmax_nll
    if len(labels) < 4:
        temperature = fit_temperature(logits, labels, nll=nll)
        return expected_calibration_error(probabilities(logits, temperature, multi_label), labels)
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    halves = (order[: len(order) // 2], order[len(order) // 2 :])
    probs = torch.empty_like(logits, dtype=torch.float32)
    for fit_rows, score_rows in (halves, halves[::-1]):
        temperature = fit_temperature(logits[fit_rows], labels[fit_rows], nll=nll)
        probs[score_rows] = probabilities(logits[score_rows], temperature, multi_label)
    return expected_calibration_error(probs, labels)


def calibrate(model: Any, texts: Sequence[str], labels: Sequence[Any], split: str = "validation") -> dict[str, Any]:
    """Fit the model's temperature on labelled texts, set it (`model.temperature`) and return the report.

    The logits are taken before any temperature, so recalibrating a calibrated model starts afresh.
    A multi-label model (`labels` are lists of ids) also gets its thresholds carried over to the new
    T, starting from its raw ones (the stored ones scaled back by its current T): no label changes.
    """
    logits = model.logits(model.encode(list(texts)))
    if getattr(model, "multi_label", False):
        raw_thresholds = scaled_thresholds(model.thresholds, 1.0 / model.temperature)
        report = multi_label_calibration_report(logits, labels, raw_thresholds, split)
        model.temperature = report["temperature"]
        model.thresholds = report["thresholds"]
        return report
    report = calibration_report(logits, labels, split)
    model.temperature = report["temperature"]
    return report


def summary_figures(report: dict[str, Any]) -> dict[str, Any]:
    """The figures kept in metrics.json (`training_summary["calibration"]`): no per-bin detail."""
    keys = ("temperature", "split", "n", "bins", "ece_before", "ece_after", "ece_after_cross_fitted")
    keys += ("nll_before", "nll_after")
    if report.get("multi_label"):
        keys += ("multi_label", "decisions_changed")
    return {key: report[key] for key in keys}


def save_calibrated(
    model: Any, folder: str | os.PathLike, report: dict[str, Any], log: Callable[[str], None], dtype: Any = None
) -> None:
    """Save the model folder (atomically) with the figures in metrics.json and its reliability diagram.

    Everything else in an existing folder (the user's files, folders and links) stays as it is,
    untouched and unread (`atomic.install_folder`); `dtype` is the precision the weights are stored
    in (None: float32).
    """
    summary = dict(model.training_summary or {})
    summary["calibration"] = summary_figures(report)
    model.training_summary = summary
    save_with_diagram(model, folder, report, log, dtype=dtype)


def recalibrate_folder(model_dir: str | os.PathLike, data: str | os.PathLike, log: Callable[[str], None]) -> dict:
    """Fit a new temperature for the model folder `model_dir` on `data` and rewrite the folder atomically.

    `data` is one labelled file, or a folder / Hub id whose validation split is used (never test).
    A multi-label model's thresholds move with its temperature (see `calibrate`): its labels stay.
    """
    folder = Path(model_dir)
    if folder.is_symlink():
        raise ModelLoadError(f"{model_dir}: is a symbolic link; calibrate rewrites a folder in place, give the folder")
    if not folder.is_dir():
        raise ModelLoadError(f"{model_dir}: no such model folder (calibrate rewrites a local folder)")
    model = EmotionBiLSTM.from_pretrained(folder)
    names = model_labels(model)  # the data's labels must be the model's, with the model's ids
    multi = model.multi_label  # `a|b` labels in csv/tsv/txt are lists for a multi-label model
    if Path(data).is_file():
        dataset, split = load_file(data, labels=names, multi_label=multi), Path(data).name
    else:
        splits = load_splits(data, log=log, labels=names, check_unseen=False, multi_label=multi)
        dataset, split = splits["validation"], "validation"
    if model.training_summary is None and (folder / METRICS_NAME).is_file():
        try:  # keep the training figures of a model saved before metrics.json was read back
            model.training_summary = json.loads((folder / METRICS_NAME).read_text(encoding="utf-8"))
        except ValueError:
            log(f"{folder / METRICS_NAME} is not valid JSON; writing a new one with the calibration only")
    report = calibrate(model, dataset["text"], dataset["label"], split=split)
    save_calibrated(model, folder, report, log, dtype=stored_float_dtype(folder / WEIGHTS_NAME))
    return report


def calibrate_after_training(
    model: Any, validation: Any, summary: dict[str, Any], log: Callable[[str], None], seen_in_training: bool = False
) -> dict[str, Any] | None:
    """Training's last step: fit T on the validation split and record the figures in `summary`.

    Returns the full report (for the diagram), or None when validation was trained on, where a
    temperature fitted on it would only measure memorisation. A multi-label model's thresholds,
    tuned on the uncalibrated validation scores, move with T (`calibrate`); summary["validation"]
    keeps the tuned ones, which its figures were measured with.
    """
    if seen_in_training:
        log("calibration skipped: the validation split was trained on (temperature left at 1.0)")
        return None
    report = calibrate(model, validation["text"], validation["label"])
    summary["calibration"] = summary_figures(report)
    unchanged = "thresholds moved with it; labels unchanged" if report.get("multi_label") else "accuracy unchanged"
    log(
        f"calibrated on validation: temperature {report['temperature']:.3f}, "
        f"ECE {report['ece_before']:.4f} -> {report['ece_after']:.4f} ({ECE_BINS} bins; {unchanged})"
    )
    return report
