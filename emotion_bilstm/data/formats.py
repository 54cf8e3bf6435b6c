"""The file formats of a split file, and reading one into texts and raw labels, not yet checked.

`text;label` lines (.txt, the format of ../shared/data/emotion), CSV/TSV with a header, JSON lines and
Parquet, each read with its `datasets` builder; and which files of a folder hold which split.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import DataError, first_line, os_error_cause

if TYPE_CHECKING:
    from datasets import Dataset

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


def read_raw_rows(path: Path) -> tuple[list, list, str, int]:
    """Texts and labels of one file as its `datasets` builder reads them, not yet checked.

    Also returns how rows are named in messages ("line" or "row") and the number of the first one,
    so that training (`load_file`) and `data check` point at the same place for the same row.
    """

    builder = FORMATS.get(path.suffix.lower())
    if builder is None:
        raise DataError(f"{path}: unknown format {path.suffix!r} (use one of {', '.join(FORMATS)})")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: file is empty")
    raw = load_table(path, builder, str(path))
    if builder == "text":
        texts, labels, row_name = _split_semicolon_lines(path, raw["text"])
    else:
        texts, labels = read_columns(path, raw)
        row_name = "line" if builder == "json" else "row"
    return texts, labels, row_name, 2 if builder == "csv" else 1


def load_table(path: Path, builder: str, what: str) -> Dataset:
    """`path` read by its `datasets` builder (tab-separated for .tsv, CSV quotes checked first), or one
    DataError line naming `what` ("data.csv", "--transfer data.csv") where it cannot be read."""
    from datasets import load_dataset

    kwargs = {"delimiter": "\t"} if path.suffix.lower() == ".tsv" else {}
    if builder == "csv":
        check_quotes(path, kwargs.get("delimiter", ","))
    try:
        return load_dataset(builder, data_files=str(path), split="train", **kwargs)
    except Exception as exc:  # datasets raises many types for malformed files; the user needs one line
        raise DataError(f"{what}: could not be read as {builder}: {first_line(exc)}") from exc


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


def read_columns(path: Path, raw: Dataset) -> tuple[list[str], list[object]]:
    """The texts and labels of a file or Hub split read by column name (`TEXT_COLUMNS`, `LABEL_COLUMNS`)."""
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
