"""The label set of a dataset: its names in id order, and how each raw label in a file becomes an id.

The rules (integers for the default six, names normalised, the order of a set read from data) are
`emotion_bilstm/labels.py`'s; this module applies them to rows. A set is fixed (`--labels`, a
model's labels) or read from the train split, where a name outside the known emotions that only one
row carries is refused as a likely typo.
The last helpers read the label set back from a loaded split's `ClassLabel`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..labels import CANONICAL, LABELS, integer_label, label_to_id, normalise_name, order_names

if TYPE_CHECKING:
    from datasets import Dataset


class UnseenLabelError(ValueError):
    """A validation or test label that the train split never uses."""


@dataclass
class LabelSet:
    """The label names in id order and how raw labels become ids.

    `derived`: the set was read from the data, so integers stand for the default six and a name
    outside the known emotions that only one training row carries is refused as a likely typo.
    `multi`: each row carries a list of labels (a list, or names joined by `|`).
    """

    names: list[str]
    derived: bool = False
    counts: Counter = field(default_factory=Counter)
    multi: bool = False

    @classmethod
    def fixed(cls, names: Sequence[str], multi: bool = False) -> LabelSet:
        return cls([normalise_name(str(name)) for name in names], multi=multi)

    @classmethod
    def from_raw(cls, raw_labels: Iterable[object], multi: bool = False) -> LabelSet:
        """Rule 2 and 3 of `labels.py` over the labels of the train split (bad ones are refused later, by row)."""
        counts: Counter = Counter()
        for raw in raw_labels:
            for item in (split_multi(raw) or []) if multi else [raw]:
                name = _raw_name(item)
                if name:
                    counts[name] += 1
        return cls(order_names(counts), derived=True, counts=counts, multi=multi)

    def encode(self, raw: object) -> int | list[int]:
        """One row's label as its id, or (multi-label) its sorted list of ids; ValueError for a user."""
        if not self.multi:
            return self.id_of(raw)
        items = split_multi(raw)
        if items is None:
            raise ValueError(f"label {raw!r} is neither a list of labels nor names joined by '|'")
        return sorted({self.id_of(item) for item in items})

    def id_of(self, raw: object) -> int:
        """The id of one raw label; ValueError with a message fit for a user."""
        if isinstance(raw, (list, tuple)):
            if not raw:
                raise ValueError("empty label list (multi-label data needs --multi-label)")
            raise ValueError(f"a list of labels {list(raw)!r}: this is multi-label data (--multi-label)")
        if isinstance(raw, str) and "|" in raw and not self.multi:
            raise ValueError(f"label {raw!r} holds '|': several labels per text need --multi-label")
        if self.derived:
            as_int = integer_label(raw)
            if as_int is not None and not isinstance(raw, bool):
                if not 0 <= as_int < len(LABELS):
                    raise ValueError(
                        f"label id {as_int} out of range 0-{len(LABELS) - 1} (bare integers stand for the default "
                        "six labels; for another set give names, or --labels)"
                    )
                return self.names.index(LABELS[as_int])
            name = _raw_name(raw)
            if name and name not in self.names:
                raise UnseenLabelError(
                    f"label {raw!r} never occurs in the train split, so no model trained on it can predict it "
                    f"(the train split has: {_shown(self.names)})"
                )
            if name and self.counts[name] == 1 and name not in CANONICAL:
                raise ValueError(
                    f"unknown label {raw!r}: no other training row has it (a typo? a label needs at least two "
                    "training rows; --labels fixes the set)"
                )
        return label_to_id(raw, self.names)


def split_multi(raw: object) -> list | None:
    """A multi-label row's labels: a list as it is, `a|b` split, one id or name alone; None for nonsense."""
    if isinstance(raw, (list, tuple)):
        return list(raw)
    if isinstance(raw, str):
        return [part.strip() for part in raw.split("|")] if raw.strip() else []
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return [raw]
    return None


def _shown(names: Sequence[str], limit: int = 12) -> str:
    return ", ".join(names) if len(names) <= limit else ", ".join(names[:limit]) + f", ... ({len(names)} labels)"


def _raw_name(raw: object) -> str | None:
    """The normalised name a raw label stands for in a derived set; None for what is not a usable label."""
    if raw is None or isinstance(raw, bool):
        return None
    as_int = integer_label(raw)
    if as_int is not None:
        return LABELS[as_int] if 0 <= as_int < len(LABELS) else None
    if isinstance(raw, str) and "|" not in raw:
        return normalise_name(raw) or None
    return None


def is_multi_label(dataset: Dataset) -> bool:
    """Whether a loaded split's `label` is a list of class ids (multi-label) rather than one id."""
    return not hasattr(dataset.features["label"], "names")


def label_names(dataset: Dataset) -> list[str]:
    """The label set of a loaded split, in id order, single- or multi-label."""
    feature = dataset.features["label"]
    return list(feature.names if hasattr(feature, "names") else feature.feature.names)


def used_ids(dataset: Dataset) -> set[int]:
    """The label ids a loaded split uses at least once."""
    if is_multi_label(dataset):
        return {i for ids in dataset["label"] for i in ids}
    return set(dataset["label"])
