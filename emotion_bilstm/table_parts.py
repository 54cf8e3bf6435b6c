"""Classify a table in numbered parts: across processes (`accelerate launch`) and resumable (`--resume`).

The input's record batches are numbered from 0 in input order, the same way in every process and for
any number of processes; batch i belongs to process i mod N. Each process classifies its own batches
and writes each one as a Parquet part, `.OUTPUT.parts/part-00000i.parquet`, under a temporary name
renamed into place, so a part is whole or absent. When every process is done, the main process joins
the parts in order into OUTPUT (written atomically, as every output is) and removes the parts. The
rows are those of a one-process run, in input order: a batch is classified the same way wherever it
runs, so labels are identical and scores equal.

`--resume` skips the parts already written: after a crash or a killed process, the same command with
`--resume` classifies only what is missing and writes the same file. The parts folder's `run.json`
records what the parts depend on (the input, the text column, the model and engine, the options); a
resume with anything else is refused, and without `--resume` an existing parts folder is refused
rather than reused or deleted.

Every process reads the whole input and skips the batches of the others: reading costs little next to
classifying, and it is what makes the numbering independent of N (`split_between_processes` over a
length-sorted input would not be). Only the main process draws progress, for the rows it has passed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .atomic import clean_stale_temporaries, output_path, replacing, write_text_atomic
from .errors import InputError, OutputError, first_line
from .stream import open_binary_output
from .tables import (
    BatchClassifier,
    TableStats,
    TableWriter,
    _reading,
    _row_progress,
    has_text,
    read_batches,
    text_values,
)

PART = re.compile(r"^part-(\d{8})\.parquet$")
MANIFEST = "run.json"
# Texts whose predictions stand for the model in run.json: another model or engine scores them otherwise.
PROBE_TEXTS = ("i feel so happy today", "the flight got cancelled again", "what time is it")


@dataclass
class Processes:
    """This process's place among the launched ones; one process unless started by `accelerate launch`."""

    index: int = 0
    count: int = 1
    wait: Callable[[], None] = field(default=lambda: None)  # every process reaches this point before any goes on
    finish: Callable[[], None] = field(default=lambda: None)

    @property
    def is_main(self) -> bool:
        return self.index == 0


def launched_processes() -> Processes:
    """Under `accelerate launch` (or torchrun: WORLD_SIZE > 1), accelerate's process group on CPU (gloo);
    else one process, and neither torch nor accelerate is imported."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return Processes()
    from accelerate import PartialState

    state = PartialState(cpu=True)  # classifying needs no GPU; the group only numbers and waits
    finish = getattr(state, "destroy_process_group", lambda: None)
    return Processes(state.process_index, state.num_processes, state.wait_for_everyone, finish)


def parts_folder(output: Path) -> Path:
    return output.parent / f".{output.name}.parts"


def part_path(folder: Path, number: int) -> Path:
    return folder / f"part-{number:08d}.parquet"


def describe_run(model: Any, input_path: str, split: str | None, settings: dict[str, Any]) -> dict[str, Any]:
    """What the parts depend on: the input (and its size and time), the model's answers, the options."""
    path = Path(input_path)
    source: dict[str, Any] = {"input": input_path, "split": split}
    if path.is_file():
        status = path.stat()
        source = {"input": str(path.resolve()), "bytes": status.st_size, "modified_ns": status.st_mtime_ns}
    answers = json.dumps(model.predict(list(PROBE_TEXTS), top_k=None), sort_keys=True, default=str)
    from . import tables  # BATCH_ROWS as read now (tests change it)

    model_answers = hashlib.sha256(answers.encode()).hexdigest()[:16]
    return {**source, **settings, "batch_rows": tables.BATCH_ROWS, "model_answers": model_answers}


def classify_table_in_parts(
    model: Any,
    input_path: str,
    output: Path,
    fmt: str,
    settings: dict[str, Any],
    processes: Processes,
    resume: bool = False,
    show_progress: bool = True,
    split: str | None = None,
) -> TableStats:
    """Classify the table in parts across `processes`, then (main process) join them into `output`.

    `settings`: text_column, all_scores, batch_size, threshold, model (as given) and engine."""
    target, atomic = output_path(output)
    if not atomic:
        raise InputError(f"{output}: classifying in parts writes a file; give a file name for --output")
    folder = parts_folder(target)
    run = describe_run(model, input_path, split, settings)
    if processes.is_main:
        _open_folder(folder, run, resume)
    processes.wait()  # the folder and its run.json exist before any process writes a part
    path = Path(input_path)
    batches, total = read_batches(path, split)
    classify = BatchClassifier(
        model, path, settings["text_column"], settings["all_scores"], settings["batch_size"], settings["threshold"]
    )
    count, passed = 0, 0
    with _row_progress(show_progress and processes.is_main, total) as advance:
        for number, batch in enumerate(_reading(batches, path)):
            if number == 0:
                classify.name_columns(batch.schema.names)  # every process refuses a missing column alike
            count, passed = number + 1, passed + batch.num_rows
            if number % processes.count == processes.index and not part_path(folder, number).exists():
                _write_part(part_path(folder, number), classify(batch)[0])
            advance(passed, batch.num_rows)
    processes.wait()  # every part is written
    if not processes.is_main:
        return TableStats()
    stats = _join(folder, count, output, fmt, settings["text_column"], path)
    stats.prefixed = classify.prefixed
    _remove_parts(folder, count)
    return stats


def _open_folder(folder: Path, run: dict[str, Any], resume: bool) -> None:
    manifest = folder / MANIFEST
    if folder.exists():
        if not resume:
            raise InputError(f"{folder} holds parts of an earlier run: add --resume to finish it, or remove the folder")
        try:
            earlier = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"{manifest}: unreadable ({first_line(exc)}); remove {folder} to start again") from None
        changed = sorted(key for key in {*earlier, *run} if earlier.get(key) != run.get(key))
        if changed:
            raise InputError(
                f"{folder}: its parts were written with another {', '.join(changed)}; "
                "resume with the same input, model and options, or remove the folder"
            )
        return
    try:
        folder.mkdir()
    except OSError as exc:
        raise OutputError(f"{folder}: cannot be created ({first_line(exc)})") from None
    write_text_atomic(manifest, json.dumps(run, indent=2, sort_keys=True))


def _write_part(path: Path, table: Any) -> None:
    import pyarrow.parquet as pq

    with replacing(path) as temporary:
        pq.write_table(table, temporary)


def _join(folder: Path, count: int, output: Path, fmt: str, text_column: str, path: Path) -> TableStats:
    """The parts, in order, into `output` (atomically); the counts of rows and of rows without a text."""
    import pyarrow.parquet as pq

    missing = [n for n in range(count) if not part_path(folder, n).is_file()]
    if missing:
        raise OutputError(f"{folder}: {len(missing)} part(s) missing (a process failed?): run again with --resume")
    stats = TableStats(batches=count)
    with open_binary_output(output, fmt) as sink:
        writer = TableWriter(sink, fmt)
        for number in range(count):
            table = pq.read_table(part_path(folder, number))
            writer.write(table)
            texts = text_values(table, text_column, path)
            stats.rows, stats.no_text = stats.rows + len(texts), stats.no_text + sum(not has_text(t) for t in texts)
        writer.close()
    return stats


def _remove_parts(folder: Path, count: int) -> None:
    """The parts and run.json this tool wrote, and a killed writer's temporaries; the folder only if
    nothing else is left in it."""
    clean_stale_temporaries(folder)
    for number in range(count):
        part_path(folder, number).unlink(missing_ok=True)
    (folder / MANIFEST).unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # something not ours is in it: left as it is
        folder.rmdir()
