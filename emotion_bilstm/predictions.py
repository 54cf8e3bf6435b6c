"""What `predict` returns: probability rows turned into labels, scores and the best few, best first.

Torch-free (NumPy): `EmotionBiLSTM.predict` and the light `pipeline`'s `predict` both end here, so the
two engines' results have one shape. Rows are ranked with a stable sort: tied scores keep label id order.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from .tokenizer import reads_a_word

NO_WORDS = "no words the model reads"
_NOT_GIVEN = object()  # batch_size has a default but no "none": None is refused like -1


def check_inference_arguments(*, batch_size: Any = _NOT_GIVEN, top_k: Any = None, threshold: Any = None) -> None:
    """Refuse what the CLI's options refuse, with a ValueError naming the argument and its value.

    `batch_size` and `top_k` must be integers >= 1 (not bools), `threshold` a number from 0 to 1
    (not NaN); `top_k` and `threshold` may be None (not given). Unchecked, a negative batch size
    made `predict` score every text from unfilled logits (the same uniform scores for all).
    """
    if batch_size is not _NOT_GIVEN and not _is_count(batch_size):
        raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
    if top_k is not None and not _is_count(top_k):
        raise ValueError(f"top_k must be an integer >= 1, got {top_k!r}")
    if threshold is not None and (
        isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) or not 0 <= threshold <= 1
    ):
        raise ValueError(f"threshold must be a number from 0 to 1, got {threshold!r}")


def _is_count(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 1


def format_results(
    probs: Any,
    ids: Sequence[Sequence[int]],
    id2label: dict[int, str],
    thresholds: Sequence[float] | None,
    top_k: int | None = None,
    threshold: float | None = None,
) -> list[dict[str, Any]]:
    """`predict`'s result dicts for probability rows of encoded texts `ids`: a multi-label model's (it has
    `thresholds`) or a single-label one's; texts with no word the model reads get a null label and a reason."""
    readable = [reads_a_word(row) for row in ids]
    if thresholds is not None:
        return format_multi_label(probs, id2label, thresholds, top_k, threshold, readable)
    return format_predictions(probs, id2label, top_k, threshold, readable)


def _ranked(probs: Any) -> tuple[np.ndarray, np.ndarray]:
    """(values, label ids) of each row, best first; ties in label id order."""
    probs = np.asarray(probs, dtype=np.float32)
    indices = np.argsort(-probs, axis=1, kind="stable")
    return np.take_along_axis(probs, indices, axis=1), indices


def format_predictions(
    probs: Any,
    id2label: dict[int, str],
    top_k: int | None = None,
    threshold: float | None = None,
    readable: Sequence[bool] | None = None,
) -> list[dict[str, Any]]:
    """Turn a probability matrix (NumPy or torch) into `{"label", "score", "scores"}` dicts, scores best first.

    `top_k` trims `scores` to the k best; `top_k` or `threshold` add `top` (see `EmotionBiLSTM.predict`).
    Rows that `readable` marks False get `{"label": None, "score": None, "scores": {}, "reason": ...}`.
    """
    values, indices = _ranked(probs)
    k = values.shape[1] if top_k is None else max(1, min(top_k, values.shape[1]))
    values, indices = values[:, :k], indices[:, :k]
    results = []
    for row, (row_values, row_indices) in enumerate(zip(values.tolist(), indices.tolist(), strict=False)):
        if readable is not None and not readable[row]:
            results.append({"label": None, "score": None, "scores": {}, "reason": NO_WORDS})
            continue
        scores = {id2label[i]: round(v, 6) for v, i in zip(row_values, row_indices, strict=False)}
        result = {"label": id2label[row_indices[0]], "score": round(row_values[0], 6), "scores": scores}
        if top_k is not None or threshold is not None:
            result["top"] = top_labels(scores, top_k, threshold)
        results.append(result)
    return results


def format_multi_label(
    probs: Any,
    id2label: dict[int, str],
    thresholds: Sequence[float],
    top_k: int | None = None,
    threshold: float | None = None,
    readable: Sequence[bool] | None = None,
) -> list[dict[str, Any]]:
    """`{"labels", "scores"}` dicts: the labels that apply (best first) and every label's score (best first).

    Rows that `readable` marks False get `{"labels": None, "scores": {}, "reason": ...}`.
    """
    values, indices = _ranked(probs)
    cuts = np.asarray([threshold] * values.shape[1] if threshold is not None else list(thresholds), dtype=np.float32)
    chosen_mask = (np.asarray(probs, dtype=np.float32) >= cuts).tolist()
    results = []
    for row, (row_values, row_indices, chosen) in enumerate(
        zip(values.tolist(), indices.tolist(), chosen_mask, strict=True)
    ):
        if readable is not None and not readable[row]:
            results.append({"labels": None, "scores": {}, "reason": NO_WORDS})
            continue
        scores = {id2label[i]: round(v, 6) for v, i in zip(row_values, row_indices, strict=True)}
        labels = [id2label[i] for i in row_indices if chosen[i]]
        result: dict[str, Any] = {"labels": labels if top_k is None else labels[:top_k], "scores": scores}
        if top_k is not None or threshold is not None:
            result["top"] = top_labels(scores, top_k, threshold)
        results.append(result)
    return results


def top_labels(scores: dict[str, float], top_k: int | None, threshold: float | None) -> list[dict[str, Any]]:
    """The `top_k` best of `scores` (ordered best first) that reach `threshold`, as `{"label", "score"}`."""
    ranked = [{"label": name, "score": score} for name, score in scores.items()]
    if threshold is not None:
        ranked = [row for row in ranked if row["score"] >= threshold]
    return ranked if top_k is None else ranked[:top_k]
