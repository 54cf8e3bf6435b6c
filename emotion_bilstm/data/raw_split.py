"""One split as read from its source (`RawSplit`), and checking it row by row into a `Dataset`.

Every row's text and label is checked here, each refusal naming the file and row, so that a bad row
in any source reads the same; `data_check` lists the same problems without stopping at the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import DataError
from .formats import read_raw_rows
from .label_set import LabelSet

if TYPE_CHECKING:
    from datasets import Dataset


@dataclass
class RawSplit:
    """One split as read, its labels not yet checked: where it came from and how its rows are named."""

    source: Path
    texts: list
    labels: list
    row_name: str
    first_row: int
    class_names: list[str] | None = None  # a Hub dataset's ClassLabel names: labels are ids into these

    def holds_lists(self) -> bool:
        return any(isinstance(label, (list, tuple)) for label in self.labels)

    def label_set(self, multi: bool = False) -> LabelSet:
        if self.class_names is not None:
            return LabelSet.fixed(self.class_names, multi)
        return LabelSet.from_raw(self.labels, multi)

    def named_labels(self) -> list:
        """The labels, with a Hub dataset's ids turned into their names."""
        if self.class_names is None:
            return self.labels
        names = self.class_names

        def name_of(i: object) -> object:
            return names[i] if isinstance(i, int) and 0 <= i < len(names) else i

        return [[name_of(i) for i in x] if isinstance(x, (list, tuple)) else name_of(x) for x in self.labels]

    def to_dataset(self, label_set: LabelSet, seen_in_train: set[int] | None = None) -> Dataset:
        labels = self.named_labels()
        return _to_dataset(self.source, self.texts, labels, self.row_name, self.first_row, label_set, seen_in_train)


def read_raw_split(path: Path) -> RawSplit:
    if not path.is_file():
        raise DataError(f"{path}: no such file" if not path.exists() else f"{path}: not a regular file")
    texts, labels, row_name, first_row = read_raw_rows(path)
    return RawSplit(path, texts, labels, row_name, first_row)


def _to_dataset(
    path: Path,
    texts: list,
    labels: list,
    row_name: str,
    first_row: int,
    label_set: LabelSet,
    seen_in_train: set[int] | None = None,
) -> Dataset:
    from datasets import ClassLabel, Dataset, Features, Sequence, Value

    clean_texts: list[str] = []
    label_ids: list = []
    for index, (text, label) in enumerate(zip(texts, labels, strict=False)):
        where = f"{path}:{row_name} {index + first_row}" if row_name == "row" else f"{path}:{index + first_row}"
        if label is None and (text is None or not str(text).strip()):
            if row_name == "line":
                continue  # a blank line in a line-based file
            raise DataError(f"{where}: empty row")
        if text is None or not str(text).strip():
            raise DataError(f"{where}: empty text")
        if label is None and not label_set.multi:  # an empty multi-label cell is an empty list: no label applies
            raise DataError(f"{where}: missing label")
        try:
            label_id = label_set.encode([] if label is None else label)
        except ValueError as exc:
            raise DataError(f"{where}: {exc}") from None
        unseen = [] if seen_in_train is None else sorted(set(_as_list(label_id)) - seen_in_train)
        if unseen:
            raise DataError(
                f"{where}: label {label_set.names[unseen[0]]!r} never occurs in the train split, so no model "
                "trained on it can predict it (add training rows, or drop these)"
            )
        label_ids.append(label_id)
        clean_texts.append(str(text))
    if not clean_texts:
        raise DataError(f"{path}: no labelled texts")
    classes = ClassLabel(names=list(label_set.names))
    features = Features({"text": Value("string"), "label": Sequence(classes) if label_set.multi else classes})
    return Dataset.from_dict({"text": clean_texts, "label": label_ids}, features=features)


def _as_list(label_id: int | list[int]) -> list[int]:
    return label_id if isinstance(label_id, list) else [label_id]
