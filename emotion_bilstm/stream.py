"""Classify a stream of lines: constant memory for any input size, output in input order.

Lines are read in binary, a chunk at a time, so that invalid UTF-8 is replaced (and counted)
rather than fatal, a 50 MB line is cut at `MAX_LINE_BYTES` without ever being held whole, and the
output file is written under a temporary name and renamed only when everything succeeded. How each
result is written out (jsonl, csv, a table) is `writers.ResultWriter`'s job.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO

from .atomic import clean_stale_temporaries, output_path, temporary_name
from .errors import InputError, os_error_cause, writing
from .writers import ResultWriter

# Far more than the model ever reads (max_length tokens); the rest of a longer line is skipped.
MAX_LINE_BYTES = 64 * 1024
CHUNK_LINES = 8192


@dataclass
class ClassifyStats:
    lines: int = 0
    blank: int = 0
    no_words: int = 0  # not blank, but nothing the model reads (punctuation, unknown emoji, URLs, ...)
    invalid_utf8: int = 0
    truncated: int = 0
    uncertain: int = 0

    def notes(self, min_score: float | None = None) -> list[str]:
        """What a user should know about the run, one line each (lines changed, left unlabelled, uncertain)."""
        notes = []
        if self.invalid_utf8:
            notes.append(f"{self.invalid_utf8} line(s) had invalid UTF-8, replaced with U+FFFD")
        if self.truncated:
            notes.append(f"{self.truncated} over-long line(s) cut to their first {MAX_LINE_BYTES // 1024} KiB")
        if self.no_words:
            notes.append(f"{self.no_words} line(s) hold no word the model reads: label null, reason given")
        if min_score is not None:
            notes.append(f"{self.uncertain} of {self.lines} line(s) scored below {min_score} (uncertain)")
        return notes


def read_lines(source: BinaryIO, stats: ClassifyStats, on_bytes: Callable[[int], None] | None = None) -> Iterator[str]:
    """Decoded lines without their line ending (\\n or \\r\\n); NUL bytes mean a binary file.

    Every read is bounded: a line is read at most `MAX_LINE_BYTES` at a time, and a NUL byte stops
    the reading at once, also while the rest of an over-long line is skipped (`/dev/zero` is all NULs
    and has no line end).
    """
    while True:
        try:  # inline, not a helper: this runs once a line, and a try costs nothing until it raises
            raw = source.readline(MAX_LINE_BYTES)
        except OSError as exc:
            raise _unreadable(exc) from None
        if not raw:
            return
        stats.lines += 1
        if b"\x00" in raw:
            raise _binary(stats.lines)
        consumed = len(raw)
        if not raw.endswith(b"\n") and len(raw) == MAX_LINE_BYTES:
            stats.truncated += 1
            while True:  # skip the rest of an over-long line without holding it
                try:
                    rest = source.readline(MAX_LINE_BYTES)
                except OSError as exc:
                    raise _unreadable(exc) from None
                if b"\x00" in rest:
                    raise _binary(stats.lines)
                consumed += len(rest)
                if not rest or rest.endswith(b"\n"):
                    break
        if on_bytes:
            on_bytes(consumed)
        raw = raw.rstrip(b"\n").rstrip(b"\r")
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            stats.invalid_utf8 += 1
            yield raw.decode("utf-8", errors="replace")


def _binary(line: int) -> InputError:
    return InputError(f"line {line} holds NUL bytes: this looks like a binary file, not text")


def argument_text(text: str) -> str:
    """A text typed on the command line, as `read_lines` would read it: bytes that are not UTF-8 (which
    Python keeps as lone surrogates, `surrogateescape`) become U+FFFD, so the model and the output see text."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", errors="replace")
    except UnicodeEncodeError:  # a surrogate that stands for no byte: not from the command line, shown as '?'
        return text.encode("utf-8", errors="replace").decode("utf-8")


def _unreadable(exc: OSError) -> InputError:
    """A failing disk or a vanished network file while reading: the input's error, not the output's."""
    return InputError(f"cannot be read ({os_error_cause(exc)})")


def chunked(lines: Iterator[str], size: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def classify_lines(
    model: Any,
    lines: Iterator[str],
    top_k: int | None = None,
    min_score: float | None = None,
    batch_size: int = 512,
    stats: ClassifyStats | None = None,
    threshold: float | None = None,
) -> Iterator[dict[str, Any]]:
    """One result per input line, in order; a blank line gives `label: None` (a multi-label model's
    `labels: None`) and `reason: "empty"`, so line numbers match; so does a line with no word the model
    reads (see `EmotionBiLSTM.predict`). `top_k` and `threshold` as in `EmotionBiLSTM.predict`."""
    stats = stats if stats is not None else ClassifyStats()
    multi = is_multi_label(model)
    with_top = top_k is not None or threshold is not None
    for chunk in chunked(lines, CHUNK_LINES):
        texts = [line for line in chunk if line.strip()]
        predictions = iter(
            model.predict(texts, top_k=top_k, batch_size=batch_size, threshold=threshold) if texts else []
        )
        for line in chunk:
            if not line.strip():
                stats.blank += 1
                result: dict[str, Any] = (
                    {"text": line, "labels": None, "scores": {}, "reason": "empty"}
                    if multi
                    else {"text": line, "label": None, "score": None, "scores": {}, "reason": "empty"}
                )
                if with_top:
                    result["top"] = []
            else:
                result = {"text": line, **next(predictions)}
                stats.no_words += "reason" in result
            if min_score is not None:
                best = max(result["scores"].values(), default=None)  # the top score, for either kind of model
                uncertain = best is not None and best < min_score
                stats.uncertain += uncertain
                result["uncertain"] = uncertain
            yield result


def is_multi_label(model: Any) -> bool:
    return getattr(model, "multi_label", False)


@contextmanager
def open_output(output: str | os.PathLike | None) -> Iterator[IO[str]]:
    """stdout, or a temporary file beside `output` that replaces it only on success.

    On any failure (including Ctrl-C) the temporary file is removed and a previous `output` stays
    untouched. A FIFO or a terminal is written through, and a link through to its target
    (`atomic.output_path`): neither is ever replaced by a regular file.
    """
    if output is None or str(output) == "-":
        yield sys.stdout
        return
    target, atomic = output_path(Path(output))
    if not target.parent.is_dir():
        raise InputError(f"{output}: the folder {target.parent} does not exist")
    with _opened(output, target, atomic, "w") as handle:
        yield handle


@contextmanager
def open_binary_output(output: str | os.PathLike | None, fmt: str) -> Iterator[IO[bytes]]:
    """stdout, or a temporary file beside `output` renamed onto it on success (as `open_output`): for tables.py."""
    if output is None or str(output) == "-":
        if fmt == "parquet":
            raise InputError("Parquet is binary: give --output FILE.parquet, not standard output")
        yield sys.stdout.buffer
        return
    target, atomic = output_path(Path(output))
    if not target.parent.is_dir():
        raise InputError(f"{output}: the folder {target.parent} does not exist")
    if not atomic and fmt == "parquet" and stat.S_ISCHR(target.stat().st_mode):
        raise InputError(f"{output}: is a terminal; Parquet is binary, give a file name")
    with _opened(output, target, atomic, "wb") as handle:
        yield handle


@contextmanager
def _opened(output: str | os.PathLike, target: Path, atomic: bool, mode: str) -> Iterator[IO[Any]]:
    """`target` opened in `mode` ("w" or "wb"): written through when not `atomic` (a FIFO, a terminal), else
    under a temporary name renamed onto it on success and removed on any failure (Ctrl-C included)."""
    text = {} if "b" in mode else {"encoding": "utf-8", "newline": ""}
    if not atomic:
        with writing(target), open(target, mode, **text) as handle:
            yield handle
        return
    clean_stale_temporaries(target)
    temporary = temporary_name(target)
    try:
        handle = open(temporary, mode, **text)  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise InputError(f"{output}: cannot write here ({exc.strerror})") from None
    try:
        # read errors became InputErrors in read_lines, so an OSError here is the output's (a full disk)
        with writing(target), handle:
            yield handle
        with writing(target):
            os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@contextmanager
def open_input(path: str | os.PathLike) -> Iterator[tuple[BinaryIO, int | None]]:
    """The input as a binary stream and its size (None for stdin), with clear errors for bad paths."""
    if str(path) == "-":
        if sys.stdin is None:  # `emo-cli classify - <&-`: Python found no file descriptor 0
            raise InputError("standard input is closed: nothing to read (give a file, or pipe texts in)")
        yield sys.stdin.buffer, None
        return
    file = Path(path)
    if not file.exists():
        raise InputError(f"{file}: no such file")
    if file.is_dir():
        raise InputError(f"{file}: is a folder, not a file of texts")
    try:
        handle = open(file, "rb")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise InputError(f"{file}: cannot be read ({exc.strerror})") from None
    with handle:
        yield handle, file.stat().st_size if file.is_file() else None


def classify_file(
    model: Any,
    input_path: str | os.PathLike,
    output: str | os.PathLike | None = None,
    fmt: str = "jsonl",
    top_k: int | None = None,
    min_score: float | None = None,
    batch_size: int = 512,
    show_progress: bool = False,
    threshold: float | None = None,
) -> ClassifyStats:
    """Classify every line of `input_path` (`-` for stdin) into `output` (None for stdout)."""
    stats = ClassifyStats()
    with (
        open_input(input_path) as (source, size),
        open_output(output) as sink,
        _byte_progress(show_progress, size) as advance,
    ):
        from .metrics import model_labels

        writer = ResultWriter(
            sink,
            fmt,
            with_uncertain=min_score is not None,
            labels=model_labels(model),
            multi_label=is_multi_label(model),
            with_top=top_k is not None or threshold is not None,
        )
        try:
            for result in classify_lines(
                model, read_lines(source, stats, advance), top_k, min_score, batch_size, stats, threshold
            ):
                writer.write(result)
        except InputError as exc:
            raise InputError(f"{input_path}: {exc}") from None
        writer.close()
    return stats


@contextmanager
def _byte_progress(enabled: bool, total: int | None) -> Iterator[Callable[[int], None] | None]:
    """A bar on a terminal; off one (a log file) none at all: rich would write truncated bar lines into it."""
    from .console import progress, stderr_console

    if not enabled or not stderr_console().is_terminal:
        yield None
        return
    from rich.progress import BarColumn, DownloadColumn, TextColumn, TimeRemainingColumn, TransferSpeedColumn

    with progress(
        TextColumn("classifying"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task("classify", total=total)
        yield lambda n: bar.advance(task, n)
