"""Tables in, tables out: classify one text column of a Parquet, CSV/TSV or JSONL file, keep every column.

`classify --text-column` (or any `.parquet` input) comes here instead of `stream.classify_file`. The
input is read in record batches of `BATCH_ROWS` rows, each gets its prediction columns appended and
is written out at once (Parquet through `ParquetWriter`), so memory stays flat for any size. The
output is written under a temporary name and renamed at the end (`atomic.py`), as `classify` does for text files.

Prediction columns: `label` and `score` (a multi-label model: `labels`, a list; `a|b` in CSV), and
with `all_scores` a `score_<label>` column per label. If any of them is already an input column
(dair-ai/emotion has `label`), all of them get a `pred_` prefix. A null, empty or blank text gives
a null prediction; its row is kept.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .errors import DataError, InputError, OutputError, first_line
from .stream import open_binary_output


def _batch_rows() -> int:
    """Rows per record batch, and so per part of a run in parts: EMOTION_BILSTM_BATCH_ROWS (a positive
    integer; smaller parts resume at a finer grain and spread a small table over more processes), else 8192."""
    value = os.environ.get("EMOTION_BILSTM_BATCH_ROWS", "")
    return int(value) if value.isdecimal() and int(value) > 0 else 8192


BATCH_ROWS = _batch_rows()
LOG_EVERY_ROWS = 100_000
COLLISION_PREFIX = "pred_"
TABLE_FORMATS = ("parquet", "csv", "jsonl")
_HUB_ID = re.compile(r"^[\w.-]+/[\w.-]+$")  # owner/name
_PARQUET, _CSV, _TSV, _JSONL = (".parquet", ".pq"), (".csv",), (".tsv", ".tab"), (".jsonl", ".ndjson", ".json")
_INPUT_SUFFIXES = {suffix: kind for kind in (_PARQUET, _CSV, _TSV, _JSONL) for suffix in kind}
_OUTPUT_SUFFIXES = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


@dataclass
class TableStats:
    rows: int = 0
    batches: int = 0
    no_text: int = 0  # null, empty or blank texts: a null prediction
    prefixed: bool = False  # prediction columns got COLLISION_PREFIX
    reused_parts: int = 0  # classify_table_in_parts --resume: parts an earlier run had written

    def notes(self) -> list[str]:
        notes = [f"--resume: reused {self.reused_parts} part(s) written before"] if self.reused_parts else []
        if self.no_text:
            notes.append(f"{self.no_text} row(s) had a null or empty text: label null")
        if self.prefixed:
            notes.append(f"prediction columns are named {COLLISION_PREFIX}*: the input already has such a column")
        return notes


def is_table_input(input_path: str, text_column: str | None, split: str | None = None) -> bool:
    """Table mode: a `--text-column` or `--split` was given, or the input is a Parquet file."""
    return text_column is not None or split is not None or Path(input_path).suffix.lower() in _PARQUET


def is_hub_id(input_path: str, split: str | None) -> bool:
    """A Hub dataset: `--split` given, or `owner/name` that is no file here and has no table suffix."""
    if split is not None:
        return True
    path = Path(input_path)
    return not path.exists() and bool(_HUB_ID.match(input_path)) and path.suffix.lower() not in _INPUT_SUFFIXES


def output_format(output: str | os.PathLike | None, fmt: str | None) -> str:
    """`--format` where given, else the output's suffix (`.parquet`, `.csv`, `.jsonl`), else jsonl."""
    if fmt is not None:
        if fmt not in TABLE_FORMATS:
            raise InputError(f"--format {fmt} is not for table input; choose from {', '.join(TABLE_FORMATS)}")
        return fmt
    if output is None:
        return "jsonl"
    return _OUTPUT_SUFFIXES.get(Path(output).suffix.lower(), "jsonl")


# ----- reading ------------------------------------------------------------------------------------


def read_batches(path: Path, split: str | None = None) -> tuple[Iterator[Any], int | None]:
    """The input's record batches (pyarrow), and its row count where the file says it (Parquet)."""
    if is_hub_id(str(path), split):
        return _hub_batches(str(path), split or "train"), None
    if str(path) == "-":
        raise InputError("table input cannot be read from standard input; give a file")
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a file")
    kind = _INPUT_SUFFIXES.get(path.suffix.lower())
    if not kind:
        raise InputError(f"{path}: cannot tell the table format from the suffix (use .parquet, .csv, .tsv or .jsonl)")
    if kind == _PARQUET:
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            parquet = pq.ParquetFile(path)
        except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ... for a corrupt file
            raise InputError(f"{path}: not a readable Parquet file ({first_line(exc)})") from None
        if parquet.metadata.num_rows == 0:  # no batch to read, but the columns to write
            return iter([pa.RecordBatch.from_pylist([], schema=parquet.schema_arrow)]), 0
        return parquet.iter_batches(batch_size=BATCH_ROWS), parquet.metadata.num_rows
    if kind == _JSONL:
        return _jsonl_batches(path), None
    return _csv_batches(path, "\t" if kind == _TSV else ","), None


def _hub_batches(dataset_id: str, split: str) -> Iterator[Any]:
    """A Hub dataset's split, streamed (never downloaded whole), BATCH_ROWS rows a batch."""
    import pyarrow as pa
    from datasets import load_dataset

    try:
        dataset = load_dataset(dataset_id, split=split, streaming=True)
    except Exception as exc:  # offline, unknown repo or split: one line
        raise DataError(
            f"{dataset_id} (split {split!r}): could not be loaded from the Hub: {first_line(exc)}"
        ) from None
    schema = dataset.features.arrow_schema if dataset.features is not None else None
    for columns in dataset.iter(batch_size=BATCH_ROWS):
        yield pa.RecordBatch.from_pydict(columns, schema=schema)


def _csv_batches(path: Path, delimiter: str) -> Iterator[Any]:
    """Every column read as text (a streaming reader cannot change a column's type once it has guessed it)."""
    import csv

    import pyarrow as pa
    import pyarrow.csv as pcsv

    with open(path, encoding="utf-8", errors="replace", newline="") as handle:
        header = next(csv.reader(handle, delimiter=delimiter), None)
    if not header:
        raise InputError(f"{path}: is empty; a CSV needs a header line naming its columns")
    if len(set(header)) != len(header) or any(not name.strip() for name in header):
        raise InputError(f"{path}: the first line is not a header (empty or repeated column names)")
    try:
        reader = pcsv.open_csv(
            path,
            read_options=pcsv.ReadOptions(block_size=4 << 20),
            parse_options=pcsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pcsv.ConvertOptions(column_types=dict.fromkeys(header, pa.string())),
        )
        empty = True
        for batch in reader:
            empty = False
            yield batch
        if empty:  # a header and no rows: the columns still go out
            yield pa.RecordBatch.from_pylist([], schema=reader.schema)
    except pa.ArrowException as exc:
        raise DataError(f"{path}: not a readable CSV file ({first_line(exc)})") from None


def _jsonl_batches(path: Path) -> Iterator[Any]:
    """One JSON object a line, BATCH_ROWS lines a batch; the first batch's columns (and types) hold for all."""

    schema = None
    with open(path, encoding="utf-8", errors="replace") as handle:
        rows: list[dict[str, Any]] = []
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise DataError(f"{path}: line {number} is not JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise DataError(f"{path}: line {number} is not a JSON object")
            rows.append(row)
            if len(rows) == BATCH_ROWS:
                batch, schema = _jsonl_batch(path, rows, schema, number)
                yield batch
                rows = []
        if rows or schema is None:
            yield _jsonl_batch(path, rows, schema, number if rows else 0)[0]


def _jsonl_batch(path: Path, rows: list[dict[str, Any]], schema: Any, line: int) -> tuple[Any, Any]:
    import pyarrow as pa

    try:
        if schema is None:
            table = pa.Table.from_pylist(rows)
            # a column that is null all through the first batch is text for the later ones
            fields = [pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f for f in table.schema]
            schema = pa.schema(fields)
        return pa.RecordBatch.from_pylist(rows, schema=schema), schema
    except (pa.ArrowException, TypeError, ValueError) as exc:
        raise DataError(f"{path}: rows up to line {line} do not fit one table ({first_line(exc)})") from None


# ----- predicting -------------------------------------------------------------------------------


def prediction_names(labels: list[str], multi_label: bool, all_scores: bool, columns: list[str]) -> dict[str, str]:
    """The prediction columns' names, keyed by their plain names: all `pred_`-prefixed when any collides."""
    plain = (["labels"] if multi_label else ["label", "score"]) + ([f"score_{n}" for n in labels] if all_scores else [])
    if not set(plain) & set(columns):
        return {name: name for name in plain}
    prefixed = {name: COLLISION_PREFIX + name for name in plain}
    clash = sorted(set(prefixed.values()) & set(columns))
    if clash:
        raise InputError(f"the input already has columns {', '.join(plain)} and {', '.join(clash)}; rename one")
    return prefixed


def text_values(batch: Any, text_column: str, path: Path) -> list[str | None]:
    """The batch's texts, as strings (a number column is read as its text); null stays None."""
    import pyarrow as pa

    column = batch.column(text_column)
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        try:
            column = column.cast(pa.string())
        except pa.ArrowException:
            raise InputError(f"{path}: column {text_column!r} holds {column.type}, not text") from None
    return column.to_pylist()


def has_text(text: str | None) -> bool:
    """A text to classify: not null, empty or blank (those get a null prediction)."""
    return text is not None and bool(text.strip())


def predict_batch(model: Any, texts: list[str | None], names: dict[str, str], labels: list[str], **predict: Any):
    """The prediction columns (name -> pyarrow array) for `texts`; a null or blank text gets nulls."""
    import pyarrow as pa

    chosen = [i for i, text in enumerate(texts) if has_text(text)]
    results: list[dict[str, Any] | None] = [None] * len(texts)
    if chosen:
        for i, result in zip(chosen, model.predict([texts[i] for i in chosen], **predict), strict=True):
            results[i] = result
    columns: dict[str, Any] = {}
    if "labels" in names:
        columns[names["labels"]] = pa.array([r and r["labels"] for r in results], pa.list_(pa.string()))
    else:
        columns[names["label"]] = pa.array([r and r["label"] for r in results], pa.string())
        columns[names["score"]] = pa.array([r and r["score"] for r in results], pa.float64())
    for label in labels:
        if f"score_{label}" in names:
            values = [r["scores"].get(label) if r and r.get("scores") else None for r in results]
            columns[names[f"score_{label}"]] = pa.array(values, pa.float64())
    return columns, len(texts) - len(chosen)


# ----- writing ------------------------------------------------------------------------------------


class TableWriter:
    """Writes record batches as Parquet, CSV (a list column joined by `|`) or JSONL, one batch at a time."""

    def __init__(self, sink: IO[bytes], fmt: str) -> None:
        self.sink, self.fmt = sink, fmt
        self.parquet: Any = None
        self.csv: Any = None
        self.batches = 0

    def write(self, table: Any) -> None:
        self.batches += 1
        if self.fmt == "parquet":
            import pyarrow.parquet as pq

            if self.parquet is None:
                self.parquet = pq.ParquetWriter(self.sink, table.schema)
            self.parquet.write_table(table)
        elif self.fmt == "csv":
            import pyarrow.csv as pcsv

            table = _lists_joined(table)
            if self.csv is None:
                self.csv = pcsv.CSVWriter(
                    self.sink, table.schema, write_options=pcsv.WriteOptions(quoting_style="needed")
                )
            self.csv.write_table(table)
        else:
            lines = (json.dumps(row, ensure_ascii=False, default=str) + "\n" for row in table.to_pylist())
            self.sink.write("".join(lines).encode("utf-8"))

    def close(self) -> None:
        for writer in (self.parquet, self.csv):
            if writer is not None:
                writer.close()
        self.sink.flush()


def _lists_joined(table: Any) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    for i, field in enumerate(table.schema):
        if pa.types.is_list(field.type) or pa.types.is_large_list(field.type):
            joined = pc.binary_join(table.column(i).cast(pa.list_(pa.string())), "|")
            table = table.set_column(i, field.name, joined)
    return table


# ----- the whole run --------------------------------------------------------------------------------


def classify_table(
    model: Any,
    input_path: str | os.PathLike,
    output: str | os.PathLike | None,
    fmt: str,
    text_column: str = "text",
    all_scores: bool = False,
    batch_size: int = 512,
    threshold: float | None = None,
    show_progress: bool = True,
    split: str | None = None,
) -> TableStats:
    """Classify `text_column` of every row of `input_path` into `output` (None: stdout), all columns kept."""
    path = Path(input_path)
    batches, total = read_batches(path, split)
    classify = BatchClassifier(model, path, text_column, all_scores, batch_size, threshold)
    stats = TableStats()
    with open_binary_output(output, fmt) as sink, _row_progress(show_progress, total) as advance:
        writer = TableWriter(sink, fmt)
        for batch in _reading(batches, path):
            table, empty = classify(batch)
            writer.write(table)
            stats.rows, stats.batches, stats.no_text = stats.rows + len(table), stats.batches + 1, stats.no_text + empty
            advance(stats.rows, len(table))
        writer.close()
    stats.prefixed = classify.prefixed
    return stats


class BatchClassifier:
    """One record batch in, the same rows out as a table with the prediction columns appended.

    The columns' names are fixed by the first batch (`prediction_names`), which is also where a missing
    text column is refused."""

    def __init__(
        self,
        model: Any,
        path: Path,
        text_column: str,
        all_scores: bool,
        batch_size: int,
        threshold: float | None,
    ) -> None:
        from .metrics import model_labels

        self.model, self.path, self.text_column, self.all_scores = model, path, text_column, all_scores
        self.predict = {"top_k": None, "batch_size": batch_size, "threshold": threshold}
        self.labels = model_labels(model)
        self.names: dict[str, str] | None = None

    @property
    def prefixed(self) -> bool:
        return self.names is not None and any(name != plain for plain, name in self.names.items())

    def name_columns(self, columns: list[str]) -> dict[str, str]:
        """The prediction columns' names for an input with `columns` (which must hold the text column)."""
        _check_column(columns, self.text_column, self.path)
        multi = getattr(self.model, "multi_label", False)
        self.names = prediction_names(self.labels, multi, self.all_scores, columns)
        return self.names

    def __call__(self, batch: Any) -> tuple[Any, int]:
        """The batch as a table with its predictions, and how many of its texts were null or empty."""
        import pyarrow as pa

        if self.names is None:
            self.name_columns(batch.schema.names)
        assert self.names is not None
        texts = text_values(batch, self.text_column, self.path)
        columns, empty = predict_batch(self.model, texts, self.names, self.labels, **self.predict)
        table = pa.Table.from_batches([batch])
        for name, values in columns.items():
            table = table.append_column(name, values)
        return table, empty


def _reading(batches: Iterator[Any], path: Path) -> Iterator[Any]:
    """The batches, with a read error in the middle of the file (a corrupt page) as one InputError."""
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except (InputError, DataError, OutputError):
            raise
        except Exception as exc:  # pyarrow's ArrowInvalid, OSError, ...
            raise InputError(f"{path}: cannot be read ({first_line(exc)})") from None
        yield batch


def _check_column(columns: list[str], text_column: str, path: Path) -> None:
    if text_column not in columns:
        shown = ", ".join(columns[:20]) + (", ..." if len(columns) > 20 else "") or "none: the file is empty"
        raise InputError(f"{path}: no column {text_column!r} (columns: {shown}); choose one with --text-column")


@contextmanager
def _row_progress(enabled: bool, total: int | None) -> Iterator[Callable[[int, int], None]]:
    """A bar with rows/s on a terminal; off one, a plain line every LOG_EVERY_ROWS rows."""
    from .console import progress, stderr_console

    console = stderr_console()
    if not enabled:
        yield lambda done, n: None
        return
    if not console.is_terminal:

        def log(done: int, n: int) -> None:
            if done // LOG_EVERY_ROWS > (done - n) // LOG_EVERY_ROWS:
                console.print(f"classified {done:,} rows" + (f" of {total:,}" if total else ""))

        yield log
        return
    from rich.progress import BarColumn, MofNCompleteColumn, ProgressColumn, TextColumn, TimeRemainingColumn
    from rich.text import Text

    class RowsPerSecond(ProgressColumn):
        def render(self, task: Any) -> Text:
            return Text(f"{task.speed or 0:,.0f} rows/s")

    with progress(
        TextColumn("classifying"),
        BarColumn(),
        MofNCompleteColumn(),
        RowsPerSecond(),
        TimeRemainingColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task("classify", total=total)
        yield lambda done, n: bar.advance(task, n)
