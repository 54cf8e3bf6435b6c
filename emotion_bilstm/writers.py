"""Classification results written out: one line of jsonl, a csv row, or a rich table streamed in blocks.

`ResultWriter` takes the result dicts `stream.classify_lines` yields, in order, and writes them to an
open text sink; where that sink is (stdout, or a file replaced atomically) is `stream.open_output`'s job.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from typing import IO, Any

from .enums import OutputFormat, values
from .errors import InputError
from .labels import LABELS

FORMATS = tuple(fmt for fmt in values(OutputFormat) if fmt != "parquet")  # parquet: tables.py
# json.dumps(ensure_ascii=False) builds a new encoder on every call; one shared encoder writes the same bytes faster.
JSONL_ENCODER = json.JSONEncoder(ensure_ascii=False)


class ResultWriter:
    """Writes results as jsonl, csv or a rich table (in blocks, so the table streams too).

    A multi-label model's results carry `labels` (a list) instead of `label` and `score`; its csv
    has a `labels` column (names joined by `|`). With `with_top`, csv has a `top` column too.
    """

    def __init__(
        self,
        sink: IO[str],
        fmt: str,
        with_uncertain: bool = False,
        labels: Sequence[str] = LABELS,
        multi_label: bool = False,
        with_top: bool = False,
    ) -> None:
        if fmt not in FORMATS:
            raise InputError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
        self.sink, self.fmt, self.with_uncertain = sink, fmt, with_uncertain
        self.labels = list(labels)  # the model's, in id order: one csv score column each
        self.multi_label, self.with_top = multi_label, with_top
        self.rows_in_block: list[dict[str, Any]] = []
        self.blocks_written = 0
        if fmt == "csv":
            self.csv = csv.writer(sink, lineterminator="\n")
            header = ["line", "text", *(["labels"] if multi_label else ["label", "score"]), *self.labels]
            header += (["top"] if with_top else []) + (["uncertain"] if with_uncertain else [])
            self.csv.writerow(header)
        self.line_number = 0

    def write(self, result: dict[str, Any]) -> None:
        self.line_number += 1
        if self.fmt == "jsonl":
            self.sink.write(JSONL_ENCODER.encode(result) + "\n")
        elif self.fmt == "csv":
            scores = result["scores"]
            row: list[Any] = [self.line_number, result["text"]]
            if self.multi_label:
                row.append("|".join(result["labels"] or []))
            else:
                row += [result["label"] or "", _fmt_score(result["score"])]
            row += [_fmt_score(scores.get(name)) for name in self.labels]
            if self.with_top:
                row.append("|".join(entry["label"] for entry in result.get("top", [])))
            if self.with_uncertain:
                row.append(result.get("uncertain", ""))
            self.csv.writerow(row)
        else:
            self.rows_in_block.append(result)
            if len(self.rows_in_block) >= 1000:
                self.flush_table()

    def close(self) -> None:
        if self.fmt == "table":
            self.flush_table()
        self.sink.flush()

    def flush_table(self) -> None:
        """The block of rows so far as a rich table; texts and label names drawn as plain text (`console.visible`)."""
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        from .console import safe_text

        if not self.rows_in_block and self.blocks_written:
            return
        table = Table(show_header=self.blocks_written == 0)
        table.add_column("#", justify="right", style="dim")
        table.add_column("text", overflow="fold", ratio=3)
        if self.multi_label:
            table.add_column("labels", style="bold")
            table.add_column("best scores", style="dim")
        else:
            table.add_column("emotion", style="bold")
            table.add_column("score", justify="right")
            table.add_column("top" if self.with_top else "runner-up", style="dim")
        first = self.line_number - len(self.rows_in_block) + 1
        for offset, row in enumerate(self.rows_in_block):
            if self.multi_label:
                chosen = ", ".join(row["labels"]) if row["labels"] else ("(none)" if row["labels"] is not None else "-")
                if row.get("uncertain"):
                    chosen += " (uncertain)"
                best = ", ".join(f"{k} {v:.2f}" for k, v in list(row["scores"].items())[:3])
                if row.get("reason"):  # no label: say why in place of the scores
                    best = row["reason"]
                table.add_row(str(first + offset), safe_text(row["text"]), safe_text(chosen), safe_text(best))
                continue
            if self.with_top:
                others = ", ".join(f"{entry['label']} {entry['score']:.2f}" for entry in row.get("top", []))
            else:
                others = ", ".join(f"{k} {v:.2f}" for k, v in list(row["scores"].items())[1:3])
            label = row["label"] or "-"
            if row.get("uncertain"):
                label += " (uncertain)"
            if row.get("reason"):  # no label: say why in place of the runner-up
                others = row["reason"]
            table.add_row(
                str(first + offset),
                safe_text(row["text"]),
                safe_text(label),
                Text(_fmt_score(row["score"], 3)),
                safe_text(others),
            )
        Console(file=self.sink, soft_wrap=False).print(table)
        self.rows_in_block = []
        self.blocks_written += 1


def _fmt_score(score: float | None, digits: int = 6) -> str:
    return "" if score is None else f"{score:.{digits}f}"
