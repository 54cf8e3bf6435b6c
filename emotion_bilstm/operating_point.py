"""The operating point of one label: a shift of its logit so that it reaches a chosen recall.

Training's `--neutral-recall` (run before calibration) finds the shift on the validation split and
folds it into the classifier's bias, so every engine sees the same shifted logits.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch

from .tokenizer import reads_a_word


def label_offset_for_recall(model: Any, texts: Sequence[str], label: str, recall: float) -> float:
    """How much to add to `label`'s logit so that at least a share `recall` of `texts` (all truly `label`) get it.

    A label learnt from plentiful, easy examples (GoEmotions' neutral comments) can swallow the
    others; a shift of its logit moves the trade-off between its recall and the other labels'
    accuracy along one line. The shift is exact: each text's margin is its `label` logit minus the
    best other logit, and the shift puts the line halfway between the k-th largest margin and the
    next, k = ceil(recall * len(texts)), so exactly k texts get `label`. Texts with no word the
    model reads get no label at all (`predict`), so the k come from the others: `recall` is the share
    of all `texts`, as the figures count it.
    """
    label_id = model.config.label2id[label]
    ids = [row for row in model.encode(list(texts)) if reads_a_word(row)]
    if not ids:
        raise ValueError(f"none of the {len(texts)} {label} texts holds a word the model reads")
    logits = model.logits(ids)
    others = logits.clone()
    others[:, label_id] = -math.inf
    return offset_for_recall((logits[:, label_id] - others.max(dim=-1).values).tolist(), len(texts), recall)


def offset_for_recall(margins: Sequence[float], total: int, recall: float) -> float:
    """The shift of a label's score that gives it to at least a share `recall` of `total` texts.

    `margins`: the label's score minus the best other score, for the texts that can get it (at most
    `total`). The shift puts the line halfway between the k-th largest margin and the next,
    k = ceil(recall * total). Any scores work, so the benchmarks shift the peers' neutral with it too.
    """
    ordered = sorted(margins, reverse=True)
    # - 1e-9: a product that is whole in exact arithmetic (0.5 * 10) must not round up past it in floats
    wanted = min(len(ordered), max(1, math.ceil(recall * total - 1e-9)))
    above = ordered[wanted - 1]
    below = ordered[wanted] if wanted < len(ordered) else above - 1.0
    return float(-(above + below) / 2)


def shift_label_logit(model: Any, label: str, offset: float) -> None:
    """Add `offset` to `label`'s logit for good: folded into the classifier's bias, so every engine
    (`predict`, `explain`, calibration, evaluation) sees the same shifted logits."""
    with torch.no_grad():
        model.classifier.bias[model.config.label2id[label]] += offset


def set_label_recall(
    model: Any, validation: Any, label: str, recall: float, log: Callable[[str], None], seen_in_training: bool = False
) -> dict[str, Any] | None:
    """Training's step before calibration: shift `label`'s logit to `recall` on the validation split.

    Returns the figures for metrics.json, or None when there is nothing to fit on (no such label, or
    validation was trained on: its recall there would be memorisation, as for the temperature).
    """
    label_id = model.config.label2id.get(label)
    texts = [text for text, gold in zip(validation["text"], validation["label"], strict=True) if gold == label_id]
    if label_id is None or not texts:
        log(f"--{label}-recall: no {label} text in the validation split; logit left as trained")
        return None
    if seen_in_training:
        log(f"--{label}-recall skipped: the validation split was trained on")
        return None
    try:
        offset = label_offset_for_recall(model, texts, label, recall)
    except ValueError as exc:
        log(f"--{label}-recall: {exc}; logit left as trained")
        return None
    shift_label_logit(model, label, offset)
    log(f"{label} logit shifted by {offset:+.3f}: {recall:.0%} of the {len(texts)} validation {label} texts get it")
    return {"label": label, "recall": recall, "offset": round(offset, 6), "n": len(texts), "split": "validation"}
