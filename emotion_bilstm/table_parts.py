"""Classify a table in numbered parts: across processes (`accelerate launch`) and resumable (`--resume`).

The input's record batches are numbered from 0 in input order, the same way in every process and for
any number of processes. The batches not yet written are dealt out round-robin: the k-th of them goes
to process k mod N (on a fresh run, batch i to process i mod N; on a resume, the rest evenly). Each
process writes each of its batches as an Arrow IPC part, `.OUTPUT.parts/part-0000000i.arrow` (every
Arrow type kept as it is), under a temporary name renamed into place, so a part is whole or absent.
When every process is done, the main process joins the parts in order into OUTPUT (written
atomically, as every output is) and removes the parts. The rows are those of a one-process run, in
input order: a batch is classified the same way wherever it runs, so labels and scores are the same.

`--resume` skips the parts already written: after a crash or a killed process, the same command with
`--resume` classifies only what is missing and writes the same file. The parts folder's `run.json`
records what the parts depend on (the input, the text column, the model's answers, the engine, the
options); every process checks it, so a resume, or a machine, with anything else is refused, and
without `--resume` an existing parts folder is refused rather than reused or deleted. The main
process makes these checks first and hands its answer to the others, so a refusal is one line on
every process, not a broken connection on all but one.

Every process reads the whole input and skips the batches of others: reading a local file costs
little next to classifying it, and it is what makes the numbering independent of N
(`split_between_processes` over a length-sorted input would not be). Only the main process draws
progress, for the rows it has passed.
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

from . import tables
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

PART = re.compile(r"^part-(\d{8})\.arrow$")
PART_TEMPORARY = re.compile(r"^\.part-\d{8}\.arrow\.tmp-\d+$")  # atomic.temporary_name of a part
MANIFEST = "run.json"
# Texts whose predictions stand for the model in run.json: another model or engine scores them otherwise.
PROBE_TEXTS = ("i feel so happy today", "the flight got cancelled again", "what time is it")


@dataclass
class Processes:
    """This process's place among the launched ones; one process unless started by `accelerate launch`."""

    index: int = 0
    count: int = 1
    # the main process's value, handed to every process (which all wait for it): its checks' outcome
    share: Callable[[Any], Any] = field(default=lambda value: value)
    wait: Callable[[], None] = field(default=lambda: None)  # every process reaches this point before any goes on
    finish: Callable[[], None] = field(default=lambda: None)

    @property
    def is_main(self) -> bool:
        return self.index == 0


def launched_count() -> int:
    """How many processes `accelerate launch` or torchrun started (their WORLD_SIZE), 1 without a launcher."""
    value = os.environ.get("WORLD_SIZE", "1").strip()
    return int(value) if value.isdecimal() and int(value) > 0 else 1


def launched_processes() -> Processes:
    """Under a launcher (WORLD_SIZE > 1), accelerate's process group on CPU (gloo); else one process, and
    neither torch nor accelerate is imported."""
    if launched_count() <= 1:
        return Processes()
    from datetime import timedelta

    from accelerate import PartialState
    from accelerate.utils import broadcast_object_list

    # Classifying needs no GPU; the group only hands out the main process's checks and waits. A process
    # with few batches left on --resume may wait for the others for hours: torch's 30-minute default
    # timeout would end such a run.
    state = PartialState(cpu=True, timeout=timedelta(days=7))

    def share(value: Any) -> Any:
        return broadcast_object_list([value])[0]

    finish = getattr(state, "destroy_process_group", lambda: None)
    return Processes(state.process_index, state.num_processes, share, state.wait_for_everyone, finish)


def parts_folder(output: Path) -> Path:
    return output.parent / f".{output.name}.parts"


def part_path(folder: Path, number: int) -> Path:
    return folder / f"part-{number:08d}.arrow"


def describe_run(model: Any, input_path: str, split: str | None, settings: dict[str, Any]) -> dict[str, Any]:
    """What the parts depend on: the input (and its size and time), the model's answers, the options."""
    path = Path(input_path)
    source: dict[str, Any] = {"input": input_path, "split": split}
    if path.is_file():
        status = path.stat()
        source = {"input": str(path.resolve()), "bytes": status.st_size, "modified_ns": status.st_mtime_ns}
    answers = model.predict(list(PROBE_TEXTS), top_k=None)
    for answer in answers:  # rounded: an engine's last-bit noise is not another model
        answer["scores"] = {label: round(score, 6) for label, score in (answer.get("scores") or {}).items()}
        if answer.get("score") is not None:
            answer["score"] = round(float(answer["score"]), 6)
    answers = json.dumps(answers, sort_keys=True, default=str)
    model_answers = hashlib.sha256(answers.encode()).hexdigest()[:16]
    # tables.BATCH_ROWS read now, as read_batches reads it (tests change it)
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
    outcome: tuple[str | None, list[int]] = (None, [])
    if processes.is_main:
        try:
            outcome = (None, _open_folder(folder, run, resume))
        except (InputError, OutputError) as exc:
            outcome = (str(exc), [])
    error, done = processes.share(outcome)  # every process stops on the main one's refusal, in the same words
    if error is not None:
        raise InputError(error)
    if not processes.is_main:
        _check_run(folder, run)  # another machine's copy of the input, model or settings would mix in silently
    path = Path(input_path)
    batches, total = read_batches(path, split)
    classify = BatchClassifier(
        model, path, settings["text_column"], settings["all_scores"], settings["batch_size"], settings["threshold"]
    )
    count, passed, missing, written = 0, 0, 0, set(done)
    with _row_progress(show_progress and processes.is_main, total) as advance:
        for number, batch in enumerate(_reading(batches, path)):
            if number == 0:
                classify.name_columns(batch.schema.names)  # every process refuses a missing column alike
            count, passed = number + 1, passed + batch.num_rows
            if number not in written:
                # the batches still to do are dealt round-robin: a resume shares the rest out evenly
                if missing % processes.count == processes.index:
                    _write_part(part_path(folder, number), classify(batch)[0])
                missing += 1
            advance(passed, batch.num_rows)
    processes.wait()  # every part is written
    if not processes.is_main:
        return TableStats()
    stats = _join(folder, count, output, fmt, settings["text_column"], path)
    stats.prefixed, stats.reused_parts = classify.prefixed, len(written)
    _remove_parts(folder, count)
    return stats


def _open_folder(folder: Path, run: dict[str, Any], resume: bool) -> list[int]:
    """Create the parts folder and its run.json, or (--resume) check them: the numbers of the parts done."""
    if folder.exists():
        if not resume:
            raise InputError(f"{folder} holds parts of an earlier run: add --resume to finish it, or remove the folder")
        _check_run(folder, run)
        clean_stale_temporaries(folder)
        return sorted(int(match[1]) for entry in folder.iterdir() if (match := PART.match(entry.name)))
    try:
        folder.mkdir()
    except OSError as exc:
        raise OutputError(f"{folder}: cannot be created ({first_line(exc)})") from None
    write_text_atomic(folder / MANIFEST, json.dumps(run, indent=2, sort_keys=True))
    return []


def _check_run(folder: Path, run: dict[str, Any]) -> None:
    """Refuse parts written for another input, model or settings than this process's (run.json)."""
    manifest = folder / MANIFEST
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


def _write_part(path: Path, table: Any) -> None:
    """One part, as Arrow IPC: every Arrow type kept as it is (Parquet would change some, refuse others),
    synced before the rename, so a part that exists is whole."""
    import pyarrow as pa

    with replacing(path) as temporary:
        with pa.OSFile(str(temporary), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())


def _read_part(path: Path) -> Any:
    import pyarrow as pa

    with pa.memory_map(str(path)) as source:
        return pa.ipc.open_file(source).read_all()


def _join(folder: Path, count: int, output: Path, fmt: str, text_column: str, path: Path) -> TableStats:
    """The parts, in order, into `output` (atomically); the counts of rows and of rows without a text."""
    missing = [n for n in range(count) if not part_path(folder, n).is_file()]
    if missing:
        raise OutputError(f"{folder}: {len(missing)} part(s) missing (a process failed?): run again with --resume")
    stats = TableStats(batches=count)
    with open_binary_output(output, fmt) as sink:
        writer = TableWriter(sink, fmt)
        for number in range(count):
            table = _read_part(part_path(folder, number))
            writer.write(table)
            texts = text_values(table, text_column, path)
            stats.rows, stats.no_text = stats.rows + len(texts), stats.no_text + sum(not has_text(t) for t in texts)
        writer.close()
    return stats


def _remove_parts(folder: Path, count: int) -> None:
    """The parts and run.json this tool wrote, and the temporaries of writers that were killed (all are done
    now); the folder only if nothing else is left in it."""
    for entry in folder.iterdir():
        if PART.match(entry.name) or PART_TEMPORARY.match(entry.name) or entry.name == MANIFEST:
            entry.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # something not ours is in it: left as it is
        folder.rmdir()
