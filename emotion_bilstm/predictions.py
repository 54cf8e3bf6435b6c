"""What `predict` returns: probability rows turned into labels, scores and the best few, best first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

NO_WORDS = "no words the model reads"


def format_predictions(
    probs: torch.Tensor,
    id2label: dict[int, str],
    top_k: int | None = None,
    threshold: float | None = None,
    readable: Sequence[bool] | None = None,
) -> list[dict[str, Any]]:
    """Turn a probability matrix into `{"label", "score", "scores"}` dicts, scores best first.

    `top_k` trims `scores` to the k best; `top_k` or `threshold` add `top` (see `EmotionBiLSTM.predict`).
    Rows that `readable` marks False get `{"label": None, "score": None, "scores": {}, "reason": ...}`.
    """
    k = probs.shape[1] if top_k is None else max(1, min(top_k, probs.shape[1]))
    values, indices = probs.topk(k, dim=1)
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
    probs: torch.Tensor,
    id2label: dict[int, str],
    thresholds: Sequence[float],
    top_k: int | None = None,
    threshold: float | None = None,
    readable: Sequence[bool] | None = None,
) -> list[dict[str, Any]]:
    """`{"labels", "scores"}` dicts: the labels that apply (best first) and every label's score (best first).

    Rows that `readable` marks False get `{"labels": None, "scores": {}, "reason": ...}`.
    """
    cuts = torch.tensor([threshold] * probs.shape[1] if threshold is not None else list(thresholds))
    values, indices = probs.sort(dim=1, descending=True)
    chosen_mask = (probs >= cuts).tolist()
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
