"""Load labelled datasets with Hugging Face `datasets`: a Hub id, a folder of split files, or one file.

Whatever comes in leaves as a `DatasetDict` whose splits have two columns, `text` (str) and
`label`, a `ClassLabel` whose names are the label set, the same on every split, so everything
downstream sees one shape. The label set comes from the data (the train split, or a Hub dataset's
`ClassLabel`) unless `labels` fixes it; `labels.py` says how ids are ordered.
"""

from __future__ import annotations

import math
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import DataError, first_line, os_error_cause
from ..labels import CANONICAL, LABELS, integer_label, label_to_id, normalise_name, order_names

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
SOURCE_COLUMN = "source"  # which source a row came from, when --add-data adds any
_HUB_ID = re.compile(r"^[\w.-]+/[\w.-]+$")


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
    or its Hub id) is mapped onto the default labels (`goemotions.py`), keeping at most
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
    if labels is not None:
        label_set = LabelSet.fixed(labels, multi)
    elif add:
        label_set = LabelSet.from_raw((label for raw in sources for label in raw["train"].named_labels()), multi)
    else:
        label_set = sources[0]["train"].label_set(multi)
    tag = bool(add)
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

    if "validation" not in splits:
        if not 0 < validation_fraction < 1:
            raise DataError(
                f"{data}: no validation split and --validation-fraction {validation_fraction} is not in (0, 1)"
            )
        splits["train"], splits["validation"] = carve_validation(
            splits["train"], data, validation_fraction, seed, log, multi
        )
    for name, split in splits.items():
        if len(split) == 0:
            raise DataError(f"{data}: the {name} split is empty")
    if len(used_ids(splits["train"])) < 2:
        raise DataError(f"{data}: the train split has only one class; a classifier needs at least two")
    if labels is not None and log:
        missing = sorted(set(label_set.names) - {label_set.names[i] for i in used_ids(splits["train"])})
        if missing:
            log(f"{data}: --labels names {', '.join(missing)}, which the train split never uses: never predicted")
    return DatasetDict(splits)


def read_source(
    data: str | os.PathLike,
    config: str = "split",
    mapped: bool = False,
    neutral_limit: int | None = None,
    seed: int = 42,
    keep_partly_mapped: bool = False,
) -> dict[str, RawSplit]:
    """The splits of one source, as read: a folder, one file, or a Hub dataset id.

    GoEmotions (the release's folder or its Hub id) is read as it is, 28 labels and several per
    comment; `mapped` maps it onto the default labels instead (`goemotions.mapped_splits`), as
    sources added to the default data are.
    """
    from . import goemotions

    path = Path(data)
    is_goemotions = goemotions.is_goemotions_folder(path) or str(data) == goemotions.HUB_ID
    if is_goemotions and mapped:
        return {
            name: RawSplit(Path(f"{data}:{name}"), [text for text, _ in rows], [label for _, label in rows], "row", 1)
            for name, rows in goemotions.mapped_splits(
                data, neutral_limit, seed, keep_partly_mapped=keep_partly_mapped
            ).items()
        }
    if is_goemotions and path.is_dir():  # ids into labels.txt's names, as the Hub's ClassLabel: the same ids both ways
        names = list(goemotions.LABELS)
        return {
            split: RawSplit(
                path / goemotions.SPLIT_FILES[split],
                [text for text, _ in rows],
                [[names.index(label) for label in labels] for _, labels in rows],
                "line",
                1,
                names,
            )
            for split, rows in goemotions.read_folder(path).items()
        }
    if path.is_dir():
        return {name: read_raw_split(file) for name, file in find_split_files(path).items()}
    if path.is_file():
        return {"train": read_raw_split(path)}
    if _HUB_ID.match(str(data)) and not str(data).startswith((".", "/")):
        return load_hub(str(data), config)
    raise DataError(f"{data}: no such file or folder (and not a Hub dataset id like {HUB_DATASET})")


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
    if builder == "csv":
        check_quotes(path, kwargs.get("delimiter", ","))
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


def check_quotes(path: Path, delimiter: str = ",") -> None:
    """Refuse a CSV or TSV file with an unterminated quote, naming the line where it opened.

    A quote that opens a field and never closes makes the reader take every line after it as that
    field's text: to the end of the file (pandas then fails, naming no line), or to the next quote in
    the file, silently swallowing the rows between into one text. Python's csv module reads quotes as
    pandas does and, with `strict`, raises at either end; a row that spans lines and then fails is
    such a quote. A quoted text over several lines that closes properly stays valid, and so does a
    stray quote within one line (pandas reads that line as before).
    """
    import csv

    limit = csv.field_size_limit()
    csv.field_size_limit(2**31 - 1)  # a swallowed run of rows is one long field: let it reach the failure
    try:
        with open(path, encoding="utf-8-sig", errors="replace", newline="") as handle:
            reader = csv.reader(handle, delimiter=delimiter, strict=True)
            while True:
                start = reader.line_num + 1  # the line the next row begins on
                try:
                    if next(reader, None) is None:
                        return
                except csv.Error as exc:
                    at_end = "unexpected end of data" in str(exc)
                    if at_end or reader.line_num > start:
                        runs = (
                            "never closes: the rest of the file would be read as one text"
                            if at_end
                            else f"runs on to line {reader.line_num}, swallowing the rows between into one text"
                        )
                        raise DataError(
                            f"{path}:{start}: unterminated quote: the quoted text opened on line {start} {runs} "
                            '(close it, or write a quote inside a text as "")'
                        ) from None
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({os_error_cause(exc)})") from None
    finally:
        csv.field_size_limit(limit)


def load_hub(dataset_id: str, config: str) -> dict[str, RawSplit]:
    """Load a Hub dataset (by default `dair-ai/emotion`); its `ClassLabel` names are the label set."""
    from datasets import load_dataset

    try:
        hub = load_dataset(dataset_id, config)
    except Exception as exc:  # offline, unknown repo, unknown config: all one line for the user
        raise DataError(
            f"{dataset_id} (config {config!r}): could not be loaded from the Hub: {first_line(exc)}"
        ) from exc
    splits: dict[str, RawSplit] = {}
    for split_name, split in hub.items():
        name = next((k for k, v in SPLIT_NAMES.items() if split_name in v), None)
        if name is None:
            continue
        source = Path(f"{dataset_id}:{split_name}")
        texts, labels = _columns(source, split)
        label_column = next(c for c in LABEL_COLUMNS if c in split.column_names)
        feature = split.features.get(label_column)
        # a ClassLabel, or a Sequence/List of ClassLabel (multi-label, as go_emotions' "labels")
        names = getattr(feature, "names", None) or getattr(getattr(feature, "feature", None), "names", None)
        splits[name] = RawSplit(source, texts, labels, "row", 0, list(names) if names is not None else None)
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
