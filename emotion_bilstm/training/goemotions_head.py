"""A second, training-only objective: all 28 GoEmotions labels of every GoEmotions train comment.

The default model's mapping keeps about a third of GoEmotions' comments (those whose labels are our
emotions, and 4,000 of its neutral ones); the rest (admiration, gratitude, curiosity, approval, the
other neutral comments ...) are real, human-labelled text the main loss cannot use. With
`--goemotions-auxiliary-weight W`, a linear head on the same pooled features predicts each comment's
28 labels (a sigmoid each) and its loss, times W, is added to the main loss. Comments the mapping
leaves out join the training rows with no main label, so they teach the encoder only through this
head. The head is dropped when training ends: the saved model, its size and its speed are unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from ..data import SOURCE_COLUMN, goemotions
from ..errors import EmotionBiLSTMError

NO_LABEL = -100  # a row without a main label: `cross_entropy`'s default ignore_index
NUM_LABELS = len(goemotions.LABELS)


@dataclass
class AuxiliaryRows:
    """Each training row's 28 GoEmotions targets (None off GoEmotions), and the comments only this head reads."""

    per_row: list[list[float] | None]
    extra_texts: list[str]
    extra_targets: list[list[float]]


def goemotions_source(add_data: Sequence[str | os.PathLike]) -> int:
    """The `source` column value of the GoEmotions rows: k for the k-th --add-data entry."""
    for k, source in enumerate(add_data, start=1):
        if goemotions.is_goemotions_folder(source) or str(source) == goemotions.HUB_ID:
            return k
    raise EmotionBiLSTMError(
        "--goemotions-auxiliary-weight learns GoEmotions' own labels: give its folder or "
        f"{goemotions.HUB_ID} in --add-data"
    )


def auxiliary_rows(add_data: Sequence[str | os.PathLike], train_split: Any, with_validation: bool) -> AuxiliaryRows:
    """The targets of the training rows that came from GoEmotions, and its train comments not among them.

    With `with_validation` (--train-on-validation) GoEmotions' validation comments are training text too.
    """
    source = goemotions_source(add_data)
    split_names = ("train", "validation") if with_validation else ("train",)
    by_text: dict[str, list[float]] = {}
    for text, vector in goemotions.label_vectors(add_data[source - 1], split_names):
        # a text labelled twice (118 in train) keeps every label either rater pass gave it
        known = by_text.setdefault(text, vector)
        if known is not vector:
            by_text[text] = [max(a, b) for a, b in zip(known, vector, strict=True)]
    per_row = [
        by_text.get(text) if row_source == source else None
        for text, row_source in zip(train_split["text"], train_split[SOURCE_COLUMN], strict=True)
    ]
    seen = set(train_split["text"])
    extra = [(text, vector) for text, vector in by_text.items() if text not in seen]
    return AuxiliaryRows(per_row, [text for text, _ in extra], [vector for _, vector in extra])


def build_head(hidden_size: int) -> torch.nn.Linear:
    """28 logits from the pooled features of both LSTM directions (what the main classifier reads)."""
    return torch.nn.Linear(2 * hidden_size, NUM_LABELS)


def joint_loss(
    main_loss: torch.nn.Module,
    logits: torch.Tensor,
    labels: torch.Tensor,
    auxiliary_logits: torch.Tensor,
    batch: dict[str, torch.Tensor],
    weight: float,
) -> torch.Tensor:
    """The main loss over the rows that have a main label, plus `weight` times the mean 28-label loss."""
    return labelled_mean(main_loss, logits, labels) + weight * auxiliary_loss(auxiliary_logits, batch)


def labelled_mean(main_loss: torch.nn.Module, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The main loss's mean over the rows that have a main label.

    `main_loss` sums (reduction "sum"): a mean over a batch whose rows have no main label would be 0/0.
    """
    return main_loss(logits, labels) / (labels != NO_LABEL).sum().clamp(min=1)


def auxiliary_loss(auxiliary_logits: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """The mean 28-label binary cross-entropy over the rows that have GoEmotions targets."""
    mask = batch["auxiliary_mask"].to(auxiliary_logits.dtype)[:, None]
    per_label = torch.nn.functional.binary_cross_entropy_with_logits(
        auxiliary_logits, batch["auxiliary_labels"].to(auxiliary_logits.dtype), reduction="none"
    )
    return (per_label * mask).sum() / (mask.sum() * NUM_LABELS).clamp(min=1)
