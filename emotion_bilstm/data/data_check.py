"""`emo-cli data check`: what is wrong with a dataset, before a model learns it.

The dataset is read twice. First each split file row by row, the way `loading.load_splits` reads it
but without stopping at the first bad row, so that every label outside the set (read from the train
split, or fixed by `labels`), every empty text and every missing label is listed as a finding. Then
with `loading.load_splits`, exactly as training reads it (including a validation split carved from
train when there is none). When training would refuse the data, that refusal is a finding too and
the rows that did parse are examined instead.

"Normalised" means passed through the tokenizer's normaliser (`hygiene.normaliser`) with runs of
spaces collapsed: two texts the model cannot tell apart. Duplicates are counted within each split,
leakage (texts shared) between each pair of splits.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from itertools import combinations
from pathlib import Path
from typing import Any

from ..errors import DataError
from .formats import find_split_files, read_raw_rows
from .hygiene import normaliser
from .label_set import LabelSet, UnseenLabelError, label_names
from .loading import load_splits

EXAMPLES = 5


def check_dataset(
    data: str | os.PathLike,
    dataset_config: str = "split",
    validation_fraction: float = 0.1,
    seed: int = 42,
    max_tokens: int = 128,
    log: Callable[[str], None] | None = None,
    labels: Sequence[str] | None = None,
    multi_label: bool = False,
) -> dict[str, Any]:
    """A JSON-ready report on `data` (a folder, one file or a Hub id); `report["problems"]` lists what fails `--strict`.

    `max_tokens`: texts with more words than this after normalisation are "very long" (training cuts them there).
    """
    invalid, raw_splits, names = scan_raw_rows(data, labels, multi_label)
    training_error = None
    try:
        loaded = load_splits(
            data, dataset_config, validation_fraction, seed, log=log, labels=labels, multi_label=multi_label
        )
        splits = {name: (list(split["text"]), _hashable(split["label"])) for name, split in loaded.items()}
        names = label_names(loaded["train"])
    except DataError as exc:
        if not raw_splits and not invalid:
            raise  # nothing there to examine: a missing path, an unreachable Hub id
        training_error = str(exc)
        splits = raw_splits
    normalise = normaliser()
    report: dict[str, Any] = {
        "data": str(data),
        "labels": names,
        "training_reads_it": training_error is None,
        "training_error": training_error,
        "max_tokens": max_tokens,
        "invalid_rows": summarise_invalid(invalid),
        "splits": {
            name: split_report(texts, labels, names, normalise, max_tokens) for name, (texts, labels) in splits.items()
        },
        "leakage": [
            leakage_report(a, splits[a], b, splits[b], names, normalise) for a, b in combinations(list(splits), 2)
        ],
    }
    report["problems"] = problems(report)
    return report


# ----- reading ---------------------------------------------------------------------------------


def scan_raw_rows(
    data: str | os.PathLike, labels: Sequence[str] | None = None, multi_label: bool = False
) -> tuple[list[dict[str, Any]], dict[str, tuple[list[str], list[int]]], list[str]]:
    """Invalid rows of every local split file, the valid rows per split (for when training refuses the
    data), and the label set they were checked against: `labels`, else the one training reads from train.

    A Hub id has nothing to scan: its labels are class ids already, checked when it is loaded.
    """
    path = Path(data)
    if path.is_dir():
        try:
            files = find_split_files(path)
        except DataError as exc:
            return [{"split": "-", "where": str(path), "kind": "unreadable", "problem": str(exc)}], {}, []
    elif path.is_file():
        files = {"train": path}
    else:
        return [], {}, []
    invalid: list[dict[str, Any]] = []
    read: dict[str, list[tuple[str, Any, Any]]] = {}
    for split, file in files.items():
        try:
            read[split] = list(raw_rows(file))
        except DataError as exc:
            invalid.append({"split": split, "where": str(file), "kind": "unreadable", "problem": str(exc)})
    source = read.get("train") or [row for rows in read.values() for row in rows]
    multi = multi_label or any(isinstance(label, (list, tuple)) for _, _, label in source)
    if labels is not None:
        label_set = LabelSet.fixed(labels, multi)
    else:  # as training: the train split's labels (every readable split's, when train itself is unreadable)
        label_set = LabelSet.from_raw((label for _, _, label in source), multi)
    valid: dict[str, tuple[list[str], list[int]]] = {}
    for split, rows in read.items():
        texts: list[str] = []
        ids: list[int] = []
        for where, text, label in rows:
            kind, problem = row_problem(text, label, label_set)
            if problem:
                row = {"split": split, "where": where, "kind": kind, "problem": problem}
                invalid.append(row | ({"label": str(label)} if kind in LABEL_KINDS else {}))
            else:
                texts.append(str(text))
                ids.append(label_set.encode([] if label is None else label))
        if texts:
            valid[split] = (texts, _hashable(ids))
    return invalid, valid, list(label_set.names)


def raw_rows(file: Path) -> Iterable[tuple[str, Any, Any]]:
    """(where, text, raw label) for each row, read exactly as training reads it (`formats.read_raw_rows`)."""
    texts, labels, row_name, first = read_raw_rows(file)
    for index, (text, label) in enumerate(zip(texts, labels, strict=True)):
        if row_name == "line" and label is None and not str(text).strip():
            continue  # a blank line, skipped by training too
        yield (f"{file}:{index + first}" if row_name == "line" else f"{file}:row {index + first}"), text, label


LABEL_KINDS = ("unknown label", "label not in train")


def row_problem(text: Any, label: Any, label_set: LabelSet) -> tuple[str, str | None]:
    """(kind, message) of what makes training refuse this row; message None for a good row."""
    if text is None or not str(text).strip():
        return "empty text", "empty text"
    if label is None and not label_set.multi:
        return "missing label", "missing label"
    try:
        label_set.encode([] if label is None else label)
    except UnseenLabelError as exc:
        return "label not in train", str(exc)
    except ValueError as exc:
        return "unknown label", str(exc)
    return "", None


def summarise_invalid(invalid: list[dict[str, Any]]) -> dict[str, Any]:
    unknown: dict[str, int] = defaultdict(int)
    by_problem: dict[str, int] = defaultdict(int)
    for row in invalid:
        by_problem[row["kind"]] += 1
        if "label" in row:
            unknown[row["label"]] += 1
    return {
        "count": len(invalid),
        "by_problem": dict(by_problem),
        "unknown_labels": dict(sorted(unknown.items(), key=lambda item: -item[1])),
        "examples": invalid[:EXAMPLES],
    }


# ----- analysis --------------------------------------------------------------------------------


def split_report(
    texts: list[str], labels: list[int], names: list[str], normalise: Callable[[str], str], max_tokens: int
) -> dict:
    normalised = [normalise(text) for text in texts]
    lengths = [len(text.split()) for text in normalised]
    classes = {name: 0 for name in names}
    for label in labels:
        for i in label if isinstance(label, tuple) else (label,):  # a multi-label row counts for each of its labels
            classes[names[i]] += 1
    return {
        "rows": len(texts),
        "classes": classes,
        "empty_after_normalisation": sum(not text for text in normalised),
        "very_long": sum(length > max_tokens for length in lengths),
        "longest_tokens": max(lengths, default=0),
        "exact_duplicates": duplicate_report(texts, texts, labels, names),
        "normalised_duplicates": duplicate_report(normalised, texts, labels, names),
    }


def duplicate_report(keys: list[str], texts: list[str], labels: list[int], names: list[str]) -> dict[str, Any]:
    """Groups of rows sharing a key (the text, or its normalised form), and which disagree on the label."""
    groups: dict[str, list[int]] = defaultdict(list)
    for index, key in enumerate(keys):
        if key:
            groups[key].append(index)
    repeated = [rows for rows in groups.values() if len(rows) > 1]
    conflicting = [rows for rows in repeated if len({labels[i] for i in rows}) > 1]
    return {
        "groups": len(repeated),
        "extra_rows": sum(len(rows) - 1 for rows in repeated),
        "conflicting_groups": len(conflicting),
        "conflicting_examples": [
            {"text": texts[rows[0]], "labels": sorted({_name(labels[i], names) for i in rows})}
            for rows in conflicting[:EXAMPLES]
        ],
    }


def leakage_report(
    name_a: str,
    split_a: tuple[list[str], list[int]],
    name_b: str,
    split_b: tuple[list[str], list[int]],
    names: list[str],
    normalise: Callable[[str], str],
) -> dict[str, Any]:
    """Texts found in both splits: exactly, and after normalisation; and how many of those disagree on the label."""
    exact = set(split_a[0]) & set(split_b[0])
    labels_a, labels_b = _labels_by_key(split_a, normalise), _labels_by_key(split_b, normalise)
    shared = sorted(set(labels_a) & set(labels_b))
    conflicting = [key for key in shared if labels_a[key] != labels_b[key]]
    return {
        "splits": [name_a, name_b],
        "exact_texts": len(exact),
        "normalised_texts": len(shared),
        "conflicting_labels": len(conflicting),
        "examples": [
            {
                "text": key,
                name_a: sorted(_name(i, names) for i in labels_a[key]),
                name_b: sorted(_name(i, names) for i in labels_b[key]),
            }
            for key in shared[:EXAMPLES]
        ],
    }


def _labels_by_key(split: tuple[list[str], list[int]], normalise: Callable[[str], str]) -> dict[str, set[int]]:
    found: dict[str, set[int]] = defaultdict(set)
    for text, label in zip(*split, strict=True):
        key = normalise(text)
        if key:
            found[key].add(label)
    return found


def _hashable(labels: list) -> list:
    """Label ids as they are, and a multi-label row's id list as a tuple, so that rows can be compared and counted."""
    return [tuple(label) if isinstance(label, list) else label for label in labels]


def _name(label: int | tuple, names: list[str]) -> str:
    """A row's label for people: its name, or a multi-label row's names joined by '|' ('(none)' for none)."""
    if isinstance(label, tuple):
        return "|".join(names[i] for i in label) or "(none)"
    return names[label]


def problems(report: dict[str, Any]) -> list[str]:
    """The findings that make `data check --strict` exit 1, one line each."""
    found = []
    if not report["training_reads_it"]:
        found.append(f"training refuses this data: {report['training_error']}")
    if report["invalid_rows"]["count"]:
        found.append(f"{report['invalid_rows']['count']} invalid row(s) (labels outside the set, empty texts)")
    for name, split in report["splits"].items():
        conflicting = split["normalised_duplicates"]["conflicting_groups"]
        if conflicting:
            exact = split["exact_duplicates"]["conflicting_groups"]
            found.append(f"{name}: {conflicting} duplicated text(s) with conflicting labels ({exact} exact)")
    for pair in report["leakage"]:
        if pair["normalised_texts"]:
            a, b = pair["splits"]
            found.append(
                f"{a}/{b}: {pair['normalised_texts']} text(s) in both ({pair['exact_texts']} exact, "
                f"{pair['conflicting_labels']} with different labels)"
            )
    return found
