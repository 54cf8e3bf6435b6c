"""Load emotion datasets with Hugging Face `datasets`: a Hub id, a folder of split files, or one file.

Whatever comes in leaves as a `DatasetDict` whose splits have two columns, `text` (str) and
`label` (int, the fixed ids in `labels.py`), so everything downstream sees one shape.
"""

from __future__ import annotations

import math
import os
import re
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import DataError, first_line
from .labels import LABELS, label_to_id

if TYPE_CHECKING:
    from datasets import Dataset, DatasetDict

HUB_DATASET = "dair-ai/emotion"
SPLIT_NAMES: dict[str, tuple[str, ...]] = {
    "train": ("train",),
    "validation": ("validation", "valid", "val", "dev"),
    "test": ("test",),
}
# extension -> `datasets` builder; ".txt" is the `text;label` format of ../shared/data/emotion
FORMATS: dict[str, str] = {
    ".txt": "text",
    ".csv": "csv",
    ".tsv": "csv",
    ".jsonl": "json",
    ".json": "json",
    ".parquet": "parquet",
}
TEXT_COLUMNS = ("text", "sentence", "content", "tweet")
LABEL_COLUMNS = ("label", "labels", "emotion")
_HUB_ID = re.compile(r"^[\w.-]+/[\w.-]+$")


def load_splits(
    data: str | os.PathLike,
    config: str = "split",
    validation_fraction: float = 0.1,
    seed: int = 42,
    log: Callable[[str], None] | None = None,
) -> DatasetDict:
    """Load `data` into train / validation (/ test) splits.

    `data` is a folder holding `train.*`, `validation.*` (or valid/val/dev) and optionally `test.*`;
    a single file (all of it is train); or a Hub dataset id such as `dair-ai/emotion` (with `config`
    `split` or `unsplit`). With no validation split, one is carved from train with `seed`, and `log`
    is told so.
    """
    from datasets import DatasetDict

    path = Path(data)
    if path.is_dir():
        files = find_split_files(path)
        splits = {name: load_file(file) for name, file in files.items()}
    elif path.is_file():
        splits = {"train": load_file(path)}
    elif _HUB_ID.match(str(data)) and not str(data).startswith((".", "/")):
        splits = load_hub(str(data), config)
    else:
        raise DataError(f"{data}: no such file or folder (and not a Hub dataset id like {HUB_DATASET})")

    if "validation" not in splits:
        if not 0 < validation_fraction < 1:
            raise DataError(
                f"{data}: no validation split and --validation-fraction {validation_fraction} is not in (0, 1)"
            )
        splits["train"], splits["validation"] = carve_validation(splits["train"], data, validation_fraction, seed, log)
    for name, split in splits.items():
        if len(split) == 0:
            raise DataError(f"{data}: the {name} split is empty")
    if len(set(splits["train"]["label"])) < 2:
        raise DataError(f"{data}: the train split has only one class; a classifier needs at least two")
    return DatasetDict(splits)


def carve_validation(
    train: Dataset,
    data: str | os.PathLike,
    validation_fraction: float,
    seed: int,
    log: Callable[[str], None] | None = None,
) -> tuple[Dataset, Dataset]:
    """Hold out `validation_fraction` of `train` as validation, stratified by label where possible.

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
    counts = Counter(train["label"])
    once = [LABELS[label] for label, count in sorted(counts.items()) if count < 2]
    reason = None
    if once:
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


def find_split_files(folder: Path) -> dict[str, Path]:
    """Map split names to the files in `folder` that hold them (`train.txt`, `dev.csv`, ...)."""
    found: dict[str, Path] = {}
    for split, stems in SPLIT_NAMES.items():
        for file in sorted(folder.iterdir()):
            if file.is_file() and file.stem.lower() in stems and file.suffix.lower() in FORMATS:
                if split in found:
                    raise DataError(f"{folder}: both {found[split].name} and {file.name} look like the {split} split")
                found[split] = file
    if "train" not in found:
        raise DataError(f"{folder}: no train file (expected train.txt, .csv, .tsv, .jsonl or .parquet)")
    return found


def load_file(file: str | os.PathLike) -> Dataset:
    """Load one file of labelled texts: `text;label` lines, CSV/TSV with a header, JSON lines or Parquet."""
    path = Path(file)
    if not path.is_file():
        raise DataError(f"{path}: no such file" if not path.exists() else f"{path}: not a regular file")
    texts, labels, row_name, first_row = read_raw_rows(path)
    return _to_dataset(path, texts, labels, row_name, first_row)


def read_raw_rows(path: Path) -> tuple[list, list, str, int]:
    """Texts and labels of one file as its `datasets` builder reads them, not yet checked.

    Also returns how rows are named in messages ("line" or "row") and the number of the first one,
    so that training (`load_file`) and `data check` point at the same place for the same row.
    """
    from datasets import load_dataset

    builder = FORMATS.get(path.suffix.lower())
    if builder is None:
        raise DataError(f"{path}: unknown format {path.suffix!r} (use one of {', '.join(FORMATS)})")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: file is empty")
    kwargs = {"delimiter": "\t"} if path.suffix.lower() == ".tsv" else {}
    try:
        raw = load_dataset(builder, data_files=str(path), split="train", **kwargs)
    except Exception as exc:  # datasets raises many types for malformed files; the user needs one line
        raise DataError(f"{path}: could not be read as {builder}: {first_line(exc)}") from exc
    if builder == "text":
        texts, labels, row_name = _split_semicolon_lines(path, raw["text"])
    else:
        texts, labels = _columns(path, raw)
        row_name = "line" if builder == "json" else "row"
    return texts, labels, row_name, 2 if builder == "csv" else 1


def load_hub(dataset_id: str, config: str) -> dict[str, Dataset]:
    """Load a Hub dataset (by default `dair-ai/emotion`) and bring its splits to the common shape."""
    from datasets import load_dataset

    try:
        hub = load_dataset(dataset_id, config)
    except Exception as exc:  # offline, unknown repo, unknown config: all one line for the user
        raise DataError(
            f"{dataset_id} (config {config!r}): could not be loaded from the Hub: {first_line(exc)}"
        ) from exc
    splits: dict[str, Dataset] = {}
    for split_name, split in hub.items():
        name = next((k for k, v in SPLIT_NAMES.items() if split_name in v), None)
        if name is None:
            continue
        label_feature = split.features.get("label")
        names = getattr(label_feature, "names", None)
        texts, labels = _columns(Path(f"{dataset_id}:{split_name}"), split)
        if names is not None and list(names) != list(LABELS):
            labels = [names[i] for i in labels]  # a ClassLabel in another order: go through the names
        splits[name] = _to_dataset(Path(f"{dataset_id}:{split_name}"), texts, labels, "row", first_row=0)
    if "train" not in splits:
        raise DataError(f"{dataset_id}: has no train split")
    return splits


def _split_semicolon_lines(path: Path, lines: Sequence[str]) -> tuple[list[str], list[str], str]:
    texts: list[str] = []
    labels: list[object] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            texts.append("")  # kept so that row numbers stay line numbers; refused below if labelled
            labels.append(None)
            continue
        text, sep, label = line.rpartition(";")
        if not sep:
            raise DataError(f"{path}:{number}: no ';' between text and label (expected 'text;label')")
        texts.append(text)
        labels.append(label)
    return texts, labels, "line"


def _columns(path: Path, raw: Dataset) -> tuple[list[str], list[object]]:
    columns = raw.column_names
    text_column = next((c for c in TEXT_COLUMNS if c in columns), None)
    label_column = next((c for c in LABEL_COLUMNS if c in columns), None)
    if text_column is None:
        raise DataError(
            f"{path}: no text column (expected one of {', '.join(TEXT_COLUMNS)}; found {', '.join(columns)})"
        )
    if label_column is None:
        raise DataError(
            f"{path}: no label column (expected one of {', '.join(LABEL_COLUMNS)}; found {', '.join(columns)})"
        )
    return raw[text_column], raw[label_column]


def _to_dataset(path: Path, texts: list, labels: list, row_name: str, first_row: int) -> Dataset:
    from datasets import ClassLabel, Dataset, Features, Value

    clean_texts: list[str] = []
    label_ids: list[int] = []
    for index, (text, label) in enumerate(zip(texts, labels, strict=False)):
        where = f"{path}:{row_name} {index + first_row}" if row_name == "row" else f"{path}:{index + first_row}"
        if label is None and (text is None or not str(text).strip()):
            if row_name == "line":
                continue  # a blank line in a line-based file
            raise DataError(f"{where}: empty row")
        if text is None or not str(text).strip():
            raise DataError(f"{where}: empty text")
        if label is None:
            raise DataError(f"{where}: missing label")
        try:
            label_ids.append(label_to_id(label))
        except ValueError as exc:
            raise DataError(f"{where}: {exc}") from None
        clean_texts.append(str(text))
    if not clean_texts:
        raise DataError(f"{path}: no labelled texts")
    features = Features({"text": Value("string"), "label": ClassLabel(names=list(LABELS))})
    return Dataset.from_dict({"text": clean_texts, "label": label_ids}, features=features)
