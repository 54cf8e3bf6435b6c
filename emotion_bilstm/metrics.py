"""Classification metrics computed from label ids, torch-free (NumPy where probabilities are read)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .labels import LABELS


def classification_metrics(
    y_true: Sequence[int], y_pred: Sequence[int], labels: Sequence[str] = LABELS
) -> dict[str, Any]:
    """Accuracy, macro/weighted F1, per-class precision/recall/F1/support and the confusion matrix.

    `confusion_matrix[i][j]` counts texts of true class i predicted as class j. A class with no
    predictions has precision 0 (and no support gives recall 0), as scikit-learn's zero_division=0.
    """
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} true labels but {len(y_pred)} predictions")
    n_classes = len(labels)
    matrix = [[0] * n_classes for _ in range(n_classes)]
    for t, p in zip(y_true, y_pred, strict=False):
        matrix[int(t)][int(p)] += 1
    n = len(y_true)
    per_class: dict[str, dict[str, float]] = {}
    for i, name in enumerate(labels):
        true_positive = matrix[i][i]
        predicted = sum(matrix[r][i] for r in range(n_classes))
        support = sum(matrix[i])
        precision = true_positive / predicted if predicted else 0.0
        recall = true_positive / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[name] = {"precision": precision, "recall": recall, "f1": f1, "support": support}
    # like scikit-learn: the macro average runs over classes that occur in the truth or the predictions
    present = [c for i, c in enumerate(per_class.values()) if c["support"] or sum(row[i] for row in matrix)]
    present = present or list(per_class.values())
    return {
        "n": n,
        "accuracy": sum(matrix[i][i] for i in range(n_classes)) / n if n else 0.0,
        "macro_f1": sum(c["f1"] for c in present) / len(present),
        "weighted_f1": sum(c["f1"] * c["support"] for c in per_class.values()) / n if n else 0.0,
        "per_class": per_class,
        "confusion_matrix": matrix,
        "labels": list(labels),
    }


def multilabel_metrics(
    y_true: Sequence[Sequence[int]], y_pred: Sequence[Sequence[int]], labels: Sequence[str]
) -> dict[str, Any]:
    """Micro- and macro-F1, per-label precision/recall/F1/support and exact match, from label id lists.

    As scikit-learn's `average="macro"` with zero_division=0, the macro average runs over every label
    (GoEmotions reports it so). `accuracy` is the exact match ratio (all of a text's labels right,
    scikit-learn's subset accuracy), kept under that name so that single- and multi-label runs share
    their headline keys.
    """
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} true label lists but {len(y_pred)} predictions")
    n_labels = len(labels)
    true_positive, predicted, support = [0] * n_labels, [0] * n_labels, [0] * n_labels
    exact = 0
    for truth, guess in zip(y_true, y_pred, strict=True):
        truth_set, guess_set = set(truth), set(guess)
        exact += truth_set == guess_set
        for i in truth_set:
            support[i] += 1
        for i in guess_set:
            predicted[i] += 1
            true_positive[i] += i in truth_set
    per_class: dict[str, dict[str, float]] = {}
    for i, name in enumerate(labels):
        per_class[name] = _prf(true_positive[i], predicted[i], support[i])
    micro = _prf(sum(true_positive), sum(predicted), sum(support))
    n = len(y_true)
    total_support = sum(support)
    return {
        "n": n,
        "multi_label": True,
        "accuracy": exact / n if n else 0.0,
        "exact_match": exact / n if n else 0.0,
        "micro_precision": micro["precision"],
        "micro_recall": micro["recall"],
        "micro_f1": micro["f1"],
        "macro_f1": sum(c["f1"] for c in per_class.values()) / n_labels if n_labels else 0.0,
        "weighted_f1": sum(c["f1"] * c["support"] for c in per_class.values()) / max(total_support, 1),
        "per_class": per_class,
        "labels": list(labels),
    }


def _prf(true_positive: int, predicted: int, support: int) -> dict[str, float]:
    precision = true_positive / predicted if predicted else 0.0
    recall = true_positive / support if support else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": support}


THRESHOLD_GRID = tuple(round(0.05 * i, 2) for i in range(1, 20))  # 0.05 .. 0.95


def tune_thresholds(probs: Any, y_true: Sequence[Sequence[int]]) -> list[float]:
    """Per label, the threshold on `probs` (rows x labels) that maximises that label's F1 on (`probs`, `y_true`).

    Searched over 0.05..0.95 in steps of 0.05; ties go to the threshold nearest 0.5, and a label
    that never occurs keeps 0.5 (there is nothing to tune it on).
    """
    import torch

    probs = torch.as_tensor(probs, dtype=torch.float32)
    truth = torch.zeros_like(probs, dtype=torch.bool)
    for row, ids in enumerate(y_true):
        truth[row, list(ids)] = True
    thresholds = []
    for label in range(probs.shape[1]):
        column, positive = probs[:, label], truth[:, label]
        if not bool(positive.any()):
            thresholds.append(0.5)
            continue
        best = (-1.0, 0.0, 0.5)
        for cut in THRESHOLD_GRID:
            chosen = column >= cut
            tp = int((chosen & positive).sum())
            f1 = 2 * tp / (int(chosen.sum()) + int(positive.sum()))
            best = max(best, (f1, -abs(cut - 0.5), cut))
        thresholds.append(best[2])
    return thresholds


def apply_thresholds(probs: Any, thresholds: Sequence[float]) -> list[list[int]]:
    """The label ids whose probability (a NumPy or torch matrix, compared in float32) reaches its threshold, per row."""
    import numpy as np

    chosen = np.asarray(probs, dtype=np.float32) >= np.asarray(list(thresholds), dtype=np.float32)
    return [np.flatnonzero(row).tolist() for row in chosen]


def evaluate_model(model, texts: Sequence[str], labels: Sequence[Any], batch_size: int = 512) -> dict[str, Any]:
    """Metrics of `model` (an `EmotionBiLSTM` or the light `Pipeline`) on labelled texts whose ids are the
    model's (`model_labels`).

    A multi-label model's predictions are the labels reaching its stored per-label thresholds.
    """
    import numpy as np

    probs = np.asarray(model.predict_proba(list(texts), batch_size=batch_size))
    if getattr(model, "multi_label", False):
        return multilabel_metrics(labels, apply_thresholds(probs, model.thresholds), model_labels(model))
    return classification_metrics(labels, probs.argmax(axis=1).tolist(), model_labels(model))


def model_labels(model: Any) -> list[str]:
    """A model's label names in id order, as its config.json's id2label gives them."""
    return [model.id2label[i] for i in range(len(model.id2label))]
