"""Load labelled datasets with Hugging Face `datasets`: a Hub id, a folder of split files, or one file.

Whatever comes in leaves as a `DatasetDict` whose splits have two columns, `text` (str) and
`label`, a `ClassLabel` whose names are the label set, the same on every split, so everything
downstream sees one shape. The label set comes from the data (the train split, or a Hub dataset's
`ClassLabel`) unless `labels` fixes it; `emotion_bilstm/labels.py` says how ids are ordered.
Reading a source is `sources`' job, checking its rows `raw_split`'s; this module joins the sources'
splits, carves a validation split where there is none, and refuses splits no model can learn from.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import DataError, first_line
from .label_set import LabelSet, label_names, used_ids
from .raw_split import RawSplit, read_raw_split
from .sources import read_source

if TYPE_CHECKING:
    from datasets import Dataset, DatasetDict

SOURCE_COLUMN = "source"  # which source a row came from, when --add-data adds any


def load_splits(
    data: str | os.PathLike,
    config: str = "split",
    validation_fraction: float = 0.1,
    seed: int = 42,
    log: Callable[[str], None] | None = None,
    labels: Sequence[str] | None = None,
    check_unseen: bool = True,
    add: Sequence[str | os.PathLike] = (),
    neutral_limit: int | None = None,
    multi_label: bool = False,
    keep_partly_mapped: bool = False,
) -> DatasetDict:
    """Load `data` into train / validation (/ test) splits that share one label set.

    `data` is a folder holding `train.*`, `validation.*` (or valid/val/dev) and optionally `test.*`;
    a single file (all of it is train); or a Hub dataset id such as `dair-ai/emotion` (with `config`
    `split` or `unsplit`). With no validation split, one is carved from train with `seed`, and `log`
    is told so. `labels` fixes the label set and its order (rows with other labels are refused);
    without it the set is read from the train split. `check_unseen` refuses validation and test
    labels that never occur in train (training cannot learn them); evaluating a model turns it off.

    `add` names more sources, read the same way, whose splits are appended to `data`'s (the label
    set is then read from all their train splits). An added GoEmotions source (the release's folder,
    or its Hub id) is mapped onto the default labels (`data/goemotions.py`), keeping at most
    `neutral_limit` of its neutral training comments (and, with `keep_partly_mapped`, the comments
    that also carry unmapped labels); as `data` itself it is read as it is. With added sources every
    split gets a `source` column: 0 for rows of `data`, k for rows of the k-th added source.

    Multi-label data (several labels per text) is read when `multi_label` is set (`a|b` labels in
    csv/tsv/txt) or when the train split's labels are lists (JSON lines, Parquet, a Hub dataset's
    `Sequence(ClassLabel)` as in go_emotions): then `label` is a list of ids, possibly empty.
    """
    from datasets import DatasetDict

    sources = [read_source(data, config)] + [
        read_source(extra, config, True, neutral_limit, seed, keep_partly_mapped) for extra in add
    ]
    multi = multi_label or any(raw["train"].holds_lists() for raw in sources)
    label_set = _label_set(sources, labels, bool(add), multi)
    splits = _joined_splits(data, sources, label_set, bool(add), check_unseen)
    if "validation" not in splits:
        if not 0 < validation_fraction < 1:
            raise DataError(
                f"{data}: no validation split and --validation-fraction {validation_fraction} is not in (0, 1)"
            )
        splits["train"], splits["validation"] = carve_validation(
            splits["train"], data, validation_fraction, seed, log, multi
        )
    _check_learnable(data, splits)
    if labels is not None and log:
        missing = sorted(set(label_set.names) - {label_set.names[i] for i in used_ids(splits["train"])})
        if missing:
            log(f"{data}: --labels names {', '.join(missing)}, which the train split never uses: never predicted")
    return DatasetDict(splits)


def _label_set(sources: list[dict[str, RawSplit]], labels: Sequence[str] | None, added: bool, multi: bool) -> LabelSet:
    """`labels` when given; else the train split's (with added sources, all their train splits' together)."""
    if labels is not None:
        return LabelSet.fixed(labels, multi)
    if added:
        return LabelSet.from_raw((label for raw in sources for label in raw["train"].named_labels()), multi)
    return sources[0]["train"].label_set(multi)


def _joined_splits(
    data: str | os.PathLike,
    sources: list[dict[str, RawSplit]],
    label_set: LabelSet,
    tag: bool,
    check_unseen: bool,
) -> dict[str, Dataset]:
    """Each split of every source checked into a `Dataset` and appended, in source order."""
    splits = {
        "train": _concatenate([_tagged(raw["train"].to_dataset(label_set), k, tag) for k, raw in enumerate(sources)])
    }
    seen = used_ids(splits["train"])
    if len(seen) < 2:  # before the other splits: their labels are all "unseen" then, which hides the cause
        raise DataError(f"{data}: the train split has only one class; a classifier needs at least two")
    seen = seen if check_unseen else None
    for name in ("validation", "test"):
        parts = [
            _tagged(raw[name].to_dataset(label_set, seen_in_train=seen), k, tag)
            for k, raw in enumerate(sources)
            if name in raw
        ]
        if parts:
            splits[name] = _concatenate(parts)
    return splits


def _check_learnable(data: str | os.PathLike, splits: dict[str, Dataset]) -> None:
    """Refuse an empty split, and a train split left with one class (a carved validation split can take one)."""
    for name, split in splits.items():
        if len(split) == 0:
            raise DataError(f"{data}: the {name} split is empty")
    if len(used_ids(splits["train"])) < 2:
        raise DataError(f"{data}: the train split has only one class; a classifier needs at least two")


def _tagged(dataset: Dataset, source: int, tag: bool) -> Dataset:
    """With `tag` (sources were added), each row's `source`: 0 for `data`, k for the k-th added one."""
    return dataset.add_column(SOURCE_COLUMN, [source] * len(dataset)) if tag else dataset


def _concatenate(parts: list[Dataset]) -> Dataset:
    from datasets import concatenate_datasets

    return parts[0] if len(parts) == 1 else concatenate_datasets(parts)


def carve_validation(
    train: Dataset,
    data: str | os.PathLike,
    validation_fraction: float,
    seed: int,
    log: Callable[[str], None] | None = None,
    multi: bool = False,
) -> tuple[Dataset, Dataset]:
    """Hold out `validation_fraction` of `train` as validation, stratified by label where possible.

    Label lists (multi-label data) cannot be stratified: they are split at random.

    Stratifying needs every label at least twice and room for every label on both sides; a toy file
    (7 lines, one `anger`) has neither, so it gets a plain random split and `log` says why. Too few
    rows to keep any on both sides is a `DataError`: there is nothing to train or validate on.
    """
    rows = len(train)
    # datasets rounds the held-out count up and the training count down (as sklearn does)
    held_out = math.ceil(validation_fraction * rows)
    if rows - held_out < 1:
        raise DataError(
            f"{data}: no validation split and only {rows} labelled training row(s): too few to hold out "
            f"{validation_fraction:g} of them as validation and still train; give a validation file or more rows"
        )
    counts = Counter() if multi else Counter(train["label"])
    names = label_names(train)
    once = [names[label] for label, count in sorted(counts.items()) if count < 2]
    reason = None
    if multi:
        reason = "label lists cannot be stratified"
    elif once:
        reason = f"{', '.join(once)} occur{'s' if len(once) == 1 else ''} only once"
    elif min(held_out, rows - held_out) < len(counts):
        reason = f"{held_out} held-out and {rows - held_out} training rows cannot each hold all {len(counts)} labels"
    carved = None
    if reason is None:
        try:
            carved = train.train_test_split(test_size=validation_fraction, seed=seed, stratify_by_column="label")
        except ValueError as exc:  # a condition datasets checks that the two above do not foresee
            reason = first_line(exc)
    if carved is None:
        carved = train.train_test_split(test_size=validation_fraction, seed=seed)
    if log:
        how = "stratified by label" if reason is None else f"at random, not stratified: {reason}"
        log(
            f"{data}: no validation split; held out {len(carved['test'])} of the training rows "
            f"(fraction {validation_fraction}, seed {seed}) as validation, {how}"
        )
    return carved["train"], carved["test"]


def load_file(file: str | os.PathLike, labels: Sequence[str] | None = None, multi_label: bool = False) -> Dataset:
    """Load one file of labelled texts: `text;label` lines, CSV/TSV with a header, JSON lines or Parquet.

    `labels` fixes the label set (a model's, to evaluate it); without it the set is read from the file.
    `multi_label` as in `load_splits`.
    """
    raw = read_raw_split(Path(file))
    multi = multi_label or raw.holds_lists()
    return raw.to_dataset(LabelSet.fixed(labels, multi) if labels is not None else raw.label_set(multi))


def load_evaluation_split(
    data: str | os.PathLike,
    split: str | None,
    config: str,
    labels: Sequence[str],
    multi_label: bool,
    log: Callable[[str], None] | None = None,
) -> tuple[Dataset, str]:
    """The labelled texts to score a model on, and a title naming them.

    One file is read as it is; a folder or Hub id gives its `split` (default: test, else validation).
    `labels` are the model's, so rows must carry them and their ids become the model's.
    """
    if Path(data).is_file():
        return load_file(data, labels=labels, multi_label=multi_label), str(data)
    splits = load_splits(data, config, log=log, labels=labels, check_unseen=False, multi_label=multi_label)
    name = split or ("test" if "test" in splits else "validation")
    if name not in splits:
        raise DataError(f"{data}: no {name} split (has {', '.join(splits)})")
    return splits[name], f"{data} ({name})"
