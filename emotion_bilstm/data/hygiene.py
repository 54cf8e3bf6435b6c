"""Training-set hygiene: duplicated texts, texts shared with validation/test, and folding validation
into train for a release.

dair-ai/emotion's train split holds 30 texts twice with two different labels, and 5 validation
texts also occur in train (each with a different label there). A text with two gold labels
teaches nothing but noise, so `drop_conflicting` removes every copy of such a text and keeps one
copy of texts repeated with the same label.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datasets import Dataset


def drop_conflicting(split: Dataset) -> tuple[Dataset, int]:
    """`split` without texts that carry more than one label, and without repeated rows.

    Returns the cleaned split and how many rows were removed.
    """
    labels_of: dict[str, set] = defaultdict(set)
    for text, label in zip(split["text"], split["label"], strict=True):
        labels_of[text].add(tuple(label) if isinstance(label, list) else label)  # a multi-label row's list, as a key
    seen: set[str] = set()
    keep: list[int] = []
    for index, text in enumerate(split["text"]):
        if len(labels_of[text]) == 1 and text not in seen:
            seen.add(text)
            keep.append(index)
    return split.select(keep), len(split) - len(keep)


def with_validation(train: Dataset, validation: Dataset) -> Dataset:
    """Train and validation as one training split (for a release whose settings are already fixed)."""
    from datasets import concatenate_datasets

    return concatenate_datasets([train, validation.cast(train.features)])


def drop_shared_texts(splits: dict[str, Dataset]) -> tuple[Dataset, int]:
    """The train split without rows whose normalised text also occurs in another split; and how many went.

    `--dedupe`: a text in both train and validation (or test) makes their figures flatter than new text would.
    """
    normalise = normaliser()
    elsewhere = {normalise(text) for name, split in splits.items() if name != "train" for text in split["text"]}
    keep = [i for i, text in enumerate(splits["train"]["text"]) if normalise(text) not in elsewhere]
    return splits["train"].select(keep), len(splits["train"]) - len(keep)


def normaliser() -> Callable[[str], str]:
    """Text as the model reads it, spaces collapsed: two texts it maps to one string are the same to it."""
    from ..tokenizer import build_normalizer

    rules = build_normalizer()
    return lambda text: " ".join(rules.normalize_str(text).split())
