"""Classification metrics computed from label ids, with no dependency beyond the standard library."""

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


def evaluate_model(model, texts: Sequence[str], labels: Sequence[int], batch_size: int = 512) -> dict[str, Any]:
    """Metrics of `model` (an `EmotionBiLSTM`) on labelled texts whose ids are the model's (`model_labels`)."""
    predictions = model.predict_proba(list(texts), batch_size=batch_size).argmax(dim=1).tolist()
    return classification_metrics(labels, predictions, model_labels(model))


def model_labels(model: Any) -> list[str]:
    """A model's label names in id order, as its config.json's id2label gives them."""
    return [model.id2label[i] for i in range(len(model.id2label))]
