"""The commands that classify texts: `classify` a file (streamed), `predict` and `explain` typed texts.

They parse arguments and call the library (imported in their bodies: `--help` needs no torch).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from ..enums import Engine, OutputFormat
from ..errors import InputError
from . import _shared
from ._options import (
    AllScoresOption,
    EngineOption,
    ModelOption,
    SplitOption,
    TableResumeOption,
    TextColumnOption,
)
from ._shared import err, out


def classify(
    input: Annotated[
        str,
        typer.Argument(help="Text file, one text a line ('-' reads standard input); or a table: see --text-column."),
    ],
    model: ModelOption = None,
    format: Annotated[
        Optional[OutputFormat],
        typer.Option(
            "--format",
            "-f",
            help="Default: table on a terminal, jsonl otherwise; for table input the --output suffix "
            "(.parquet, .csv, .jsonl), else jsonl.",
        ),
    ] = None,
    output: Annotated[
        Optional[Path],
        typer.Option("--output", "-o", help="Write here (atomically: a temporary file renamed at the end)."),
    ] = None,
    top_k: Annotated[
        Optional[int],
        typer.Option("--top-k", min=1, help="Keep only the k best scores per line and list them as `top`."),
    ] = None,
    threshold: Annotated[
        Optional[float],
        typer.Option(
            "--threshold",
            min=0.0,
            max=1.0,
            help="List as `top` only labels scoring at least this (with --top-k: both apply). "
            "A multi-label model's `labels` then use it instead of its tuned per-label thresholds.",
        ),
    ] = None,
    min_score: Annotated[
        Optional[float],
        typer.Option(
            "--min-score", min=0.0, max=1.0, help="Mark predictions scoring below this as uncertain (label kept)."
        ),
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Texts per forward pass.")] = 512,
    progress: Annotated[
        Optional[bool],
        typer.Option("--progress/--no-progress", help="Progress bar on stderr. Default: on a terminal, for big files."),
    ] = None,
    engine: EngineOption = Engine.NUMPY,
    text_column: TextColumnOption = None,
    all_scores: AllScoresOption = False,
    split: SplitOption = None,
    resume: TableResumeOption = False,
) -> None:
    """Classify a file line by line: one emotion (and scores) a line out, in input order.

    Blank lines give an empty label so that output line N answers input line N. Memory stays constant
    for any file size. Invalid UTF-8 is replaced and counted on stderr.

    [bold]emo-cli classify tweets.txt[/bold]\n
    [bold]emo-cli classify tweets.txt --format jsonl --output preds.jsonl[/bold]\n
    [bold]cat tweets.txt | emo-cli classify - --format csv[/bold]\n
    [bold]emo-cli classify tweets.parquet --text-column text --output preds.parquet[/bold]\n
    [bold]emo-cli classify dair-ai/emotion --split test --output preds.parquet[/bold]\n
    [bold]accelerate launch --multi_gpu --num_processes 2 -m emotion_bilstm classify big.parquet -o out.parquet[/bold]
    """
    from ..tables import is_table_input

    if is_table_input(input, text_column, split):
        if top_k is not None or min_score is not None:
            raise InputError("--top-k and --min-score are for text files; table input takes --all-scores, --threshold")
        options = {"text_column": text_column or "text", "all_scores": all_scores, "batch_size": batch_size}
        options |= {"threshold": threshold, "model": model, "engine": engine.value}
        return _classify_table(input, format, output, options, progress, split, resume)
    _refuse_table_options(all_scores, resume)
    from ..stream import classify_file

    fmt = format.value if format else ("table" if output is None and sys.stdout.isatty() else "jsonl")
    if progress is None:
        size = Path(input).stat().st_size if input != "-" and Path(input).is_file() else 0
        progress = err.is_terminal and size > 1_000_000
    loaded = _shared.load_model(model, engine.value)
    stats = classify_file(
        loaded, input, output, fmt, top_k, min_score, batch_size, show_progress=progress, threshold=threshold
    )
    for note in stats.notes(min_score):
        err.print(f"[yellow]note:[/yellow] {escape(note)}")
    if output is not None:
        described = _shared.engine_description(loaded)
        err.print(f"wrote {stats.lines} line(s) to {escape(str(output))} with the {escape(described)} engine")


def _refuse_table_options(all_scores: bool, resume: bool) -> None:
    """Text files are read one line at a time by one process: the table-only options are refused."""
    from ..table_parts import launched_count

    for given, option in ((all_scores, "--all-scores"), (resume, "--resume")):
        if given:
            raise InputError(f"{option} is for table input: give --text-column")
    if launched_count() > 1:
        raise InputError("classifying across processes reads a table: give --text-column (a text file: one process)")


def _classify_table(
    input: str,
    format: Optional[OutputFormat],
    output: Optional[Path],
    options: dict,
    progress: Optional[bool],
    split: Optional[str],
    resume: bool,
) -> None:
    """`classify` of a table (tables.py): all input columns kept, prediction columns added; in numbered
    parts (table_parts.py) under `accelerate launch` or with --resume."""
    from ..table_parts import classify_table_in_parts, launched_count, launched_processes
    from ..tables import classify_table, is_hub_id, output_format

    fmt = output_format(output, format.value if format else None)
    if fmt == "parquet" and output is None:
        raise InputError("Parquet is binary: give --output FILE.parquet, not standard output")
    in_parts = resume or launched_count() > 1
    if in_parts and (output is None or str(output) == "-"):
        raise InputError("--resume and several processes write parts: give --output FILE")
    if is_hub_id(input, split):
        _shared.quiet_datasets()
    shown = progress is not False
    loaded = _shared.load_model(options["model"], options["engine"])
    if in_parts:
        processes = launched_processes()
        try:
            stats = classify_table_in_parts(loaded, input, output, fmt, options, processes, resume, shown, split)
        finally:
            processes.finish()
        if not processes.is_main:
            return
    else:
        stats = classify_table(
            loaded,
            input,
            output,
            fmt,
            options["text_column"],
            options["all_scores"],
            options["batch_size"],
            options["threshold"],
            shown,
            split,
        )
    for note in stats.notes():
        err.print(f"[yellow]note:[/yellow] {escape(note)}")
    if output is not None:
        described = _shared.engine_description(loaded)
        parts = f" in {stats.batches} part(s) by {launched_count()} process(es)" if in_parts else ""
        err.print(f"wrote {stats.rows} row(s) to {escape(str(output))}{parts} with the {escape(described)} engine")


def predict(
    texts: Annotated[list[str], typer.Argument(help="One or more texts (quote each).")],
    model: ModelOption = None,
    top_k: Annotated[Optional[int], typer.Option("--top-k", min=1, help="How many scores to show per text.")] = 3,
    threshold: Annotated[
        Optional[float],
        typer.Option("--threshold", min=0.0, max=1.0, help="Only labels scoring at least this (see classify)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object a line instead of a table.")] = False,
    engine: EngineOption = Engine.NUMPY,
) -> None:
    """Classify a few texts typed on the command line.

    [bold]emo-cli predict "The airline lost my luggage AGAIN." "best day ever!!"[/bold]
    """
    from ..stream import argument_text
    from .render import predictions_table

    texts = [argument_text(text) for text in texts]  # bytes that are not UTF-8 become U+FFFD, as classify does
    results = _shared.load_model(model, engine.value).predict(texts, top_k=top_k, threshold=threshold)
    if as_json:
        for text, result in zip(texts, results, strict=False):
            print(json.dumps({"text": text, **result}, ensure_ascii=False))
        return
    predictions_table(texts, results, out)


def explain(
    texts: Annotated[list[str], typer.Argument(help="One or more texts (quote each).")],
    model: ModelOption = None,
    top_k: Annotated[int, typer.Option("--top-k", min=1, help="How many top words to list per text.")] = 5,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object a line: label, score, tokens, words and their scores.")
    ] = False,
) -> None:
    """Why this label? Each word's contribution: how much the label's probability falls without it.

    Green words support the predicted label, red ones argue against it, dim ones the model does not
    read (URLs, @mentions, punctuation). Scores come from leaving out one of the model's tokens at a
    time (occlusion) and are summed back onto the words you typed.

    [bold]emo-cli explain "my cat died and i cant stop crying" "best surprise party ever"[/bold]\n
    [bold]emo-cli explain --json "im so scared of tomorrow"[/bold]
    """
    from ..stream import argument_text
    from .render import explanation

    texts = [argument_text(text) for text in texts]  # bytes that are not UTF-8 become U+FFFD, as classify does
    results = _shared.load_model(model).explain(texts, top_k=top_k)
    for result in results:
        if as_json:
            print(json.dumps(result, ensure_ascii=False))
        else:
            explanation(result, out, top_k)
