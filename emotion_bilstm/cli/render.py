"""The CLI's reports as rich tables: predictions, evaluation figures, uploads, dataset checks.

The library returns plain data (the same dicts `--json` prints); the tables a person reads are
drawn here, in one place, from that data. (`classify --format table` is an output format of its
own, streamed in blocks by inference.ResultWriter.)

Every string that comes from a user (a text, a label name from a model's config, a path, a dataset
name) is drawn as plain text, never as rich markup, and with its control characters shown as escapes
(`console.visible`): `[/red]` in a text must not raise, `[link=...]` must not become a hyperlink, and an ESC
in a text or a label name must not reach the terminal.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ..console import safe_text, visible


def predictions_table(texts: list[str], results: list[dict[str, Any]], console: Console) -> None:
    """`predict`'s answers: each text, its label (or labels) and its best scores.

    A text with no label (nothing the model reads: empty, punctuation only) shows `-` and the reason.
    """
    multi = any("labels" in result for result in results)
    table = Table()
    table.add_column("text", overflow="fold")
    table.add_column("labels" if multi else "emotion", style="bold")
    table.add_column("scores")
    for text, result in zip(texts, results, strict=False):
        shown = {entry["label"]: entry["score"] for entry in result["top"]} if "top" in result else result["scores"]
        if "labels" in result:  # multi-label: every label that applies, maybe none; scores of the best few
            chosen = "-" if result["labels"] is None else (", ".join(result["labels"]) or "(none)")
            shown = shown if "top" in result else dict(list(shown.items())[:3])
        else:
            chosen = "-" if result["label"] is None else result["label"]
        scores = ", ".join(f"{visible(k)} {v:.2f}" for k, v in shown.items())
        if result.get("reason"):  # no label: say why in place of the scores
            scores = visible(result["reason"])
        table.add_row(safe_text(text), safe_text(chosen), Text(scores))
    console.print(table)


def metrics_report(metrics: dict[str, Any], title: str, console: Console) -> None:
    """`evaluate`'s figures: a summary, per-class precision/recall/F1 and (single-label) the confusion matrix."""
    multi = metrics.get("multi_label", False)
    summary = Table(title=safe_text(title), show_header=False)
    summary.add_row("texts", str(metrics["n"]))
    if multi:
        summary.add_row("exact match", f"{metrics['exact_match']:.4f}")
        summary.add_row("micro-F1", f"{metrics['micro_f1']:.4f}")
    else:
        summary.add_row("accuracy", f"{metrics['accuracy']:.4f}")
    summary.add_row("macro-F1", f"{metrics['macro_f1']:.4f}")
    summary.add_row("weighted-F1", f"{metrics['weighted_f1']:.4f}")
    console.print(summary)
    per_class = Table(title="per class")
    for column in ("label", "precision", "recall", "F1", "support"):
        per_class.add_column(column, justify="left" if column == "label" else "right")
    for name, row in metrics["per_class"].items():
        per_class.add_row(
            safe_text(name), f"{row['precision']:.4f}", f"{row['recall']:.4f}", f"{row['f1']:.4f}", str(row["support"])
        )
    console.print(per_class)
    if multi:  # no confusion matrix: a text can be right on one label and wrong on another
        return
    confusion = Table(title="confusion matrix (rows: true, columns: predicted)")
    confusion.add_column("")
    for name in metrics["labels"]:
        confusion.add_column(Text(visible(name)[:8]), justify="right")
    for name, row in zip(metrics["labels"], metrics["confusion_matrix"], strict=False):
        confusion.add_row(safe_text(name), *[str(v) for v in row])
    console.print(confusion)


def upload_plan(plan: Any, console: Console) -> None:
    """What `push` would upload (hub.plan_push): the files, what is left out, the card's metadata."""
    import yaml

    files = Table(title=escape(f"{plan.folder} -> {plan.repo_id}"))
    files.add_column("file")
    files.add_column("bytes", justify="right")
    for name, size in plan.files:
        files.add_row(escape(name), f"{size:,}")
    files.add_row("[bold]total[/bold]", f"[bold]{plan.total_bytes:,}[/bold]")
    console.print(files)
    for entry in plan.skipped:
        console.print(f"left out: {escape(entry)}")
    console.print("model card metadata:")
    console.print(escape(yaml.safe_dump(plan.card_metadata, sort_keys=False).rstrip()), soft_wrap=True)


def dataset_report(report: dict[str, Any], console: Console) -> None:
    """`data check`'s report (doctor.check_dataset) as tables: rows per split and class, duplicates,
    leakage, invalid rows, then the verdict."""
    rows = Table(title=Text.assemble(visible(report["data"]), ": rows per split and class"))
    for column in ("split", *report["labels"], "total", "empty*", f">{report['max_tokens']} tokens"):
        rows.add_column(safe_text(column), justify="left" if column == "split" else "right")
    for name, split in report["splits"].items():
        rows.add_row(
            safe_text(name),
            *[str(split["classes"].get(label, 0)) for label in report["labels"]],
            str(split["rows"]),
            str(split["empty_after_normalisation"]),
            str(split["very_long"]),
        )
    rows.caption = "empty*: nothing left after normalisation (the model reads one [UNK])"
    console.print(rows)

    duplicates = Table(title="duplicates within a split (extra rows / groups / with conflicting labels)")
    for column in ("split", "exact", "normalised"):
        duplicates.add_column(column, justify="left" if column == "split" else "right")
    for name, split in report["splits"].items():
        exact, normalised = split["exact_duplicates"], split["normalised_duplicates"]
        duplicates.add_row(safe_text(name), _dup_cell(exact), _dup_cell(normalised))
    console.print(duplicates)

    if report["leakage"]:
        leakage = Table(title="texts shared between splits (leakage)")
        for column in ("splits", "exact", "normalised", "different labels"):
            leakage.add_column(column, justify="left" if column == "splits" else "right")
        for pair in report["leakage"]:
            leakage.add_row(
                safe_text(" / ".join(pair["splits"])),
                str(pair["exact_texts"]),
                Text(str(pair["normalised_texts"]), style="red" if pair["normalised_texts"] else ""),
                str(pair["conflicting_labels"]),
            )
        console.print(leakage)
        for pair in report["leakage"]:
            for example in pair["examples"]:
                a, b = pair["splits"]
                where = visible(f"  {a} {example[a]} / {b} {example[b]}:")
                console.print(Text.assemble((where, "dim"), " ", visible(_short(example["text"]))))

    for name, split in report["splits"].items():
        for example in split["normalised_duplicates"]["conflicting_examples"]:
            where = visible(f"  {name} conflicting {example['labels']}:")
            console.print(Text.assemble((where, "dim"), " ", visible(_short(example["text"]))))

    invalid = report["invalid_rows"]
    if invalid["count"]:
        table = Table(title=f"invalid rows ({invalid['count']}): training stops at the first")
        table.add_column("where")
        table.add_column("problem")
        for row in invalid["examples"]:
            table.add_row(safe_text(row["where"]), safe_text(row["problem"]))
        console.print(table)
        if invalid["unknown_labels"]:
            shown = ", ".join(f"{k!r} x{v}" for k, v in list(invalid["unknown_labels"].items())[:10])
            console.print(Text.assemble("labels outside the set: ", visible(shown)))
    if report["problems"]:
        console.print(Text("problems:", style="bold red"))
        for line in report["problems"]:
            console.print(Text.assemble("  - ", visible(line)))
    else:
        console.print(Text("no problems found", style="bold green"))


def _dup_cell(found: dict[str, Any]) -> str:
    cell = f"{found['extra_rows']} / {found['groups']} / {found['conflicting_groups']}"
    return f"[red]{cell}[/red]" if found["conflicting_groups"] else cell


def _short(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def explanation(result: dict[str, Any], console: Console, top_k: int = 5) -> None:
    """The text with each word coloured by its contribution (green supports, red argues against), then the top words.

    A text with no label (nothing the model reads) is shown dim, with the reason.
    """
    label = result.get("label")  # a multi-label model's best label; absent when no label applies
    scored = [abs(w["score"]) for w in result["words"] if w["score"] is not None]
    largest = max(scored, default=0.0) or 1.0
    line = Text()
    cursor = 0
    for word in result["words"]:
        line.append(visible(result["text"][cursor : word["start"]]))
        line.append(visible(word["word"]), style=_style(word["score"], largest))
        cursor = word["end"]
    line.append(visible(result["text"][cursor:]))
    if label is None:
        console.print(Text.assemble(("-", "bold"), "  ", line))
        console.print(Text(f"  (no label: {visible(result.get('reason') or 'no words the model reads')})", style="dim"))
        return
    console.print(Text.assemble((visible(label), "bold"), f" {result['score']:.3f}  ", line))
    ranked = sorted((w for w in result["words"] if w["score"] is not None), key=lambda w: -abs(w["score"]))[:top_k]
    if not ranked:
        console.print(Text("  (no word the model reads: it sees a single unknown token)", style="dim"))
        return
    table = Table(show_header=True, box=None, padding=(0, 2))
    table.add_column("word")
    # contribution = how much p(label) falls when the word is left out
    table.add_column(Text(f"contribution to p({visible(label)})"), justify="right")
    for word in ranked:
        colour = "green" if word["score"] > 0 else "red"
        table.add_row(safe_text(word["word"]), Text(f"{word['score']:+.3f}", style=colour))
    console.print(table)


def _style(score: float | None, largest: float) -> str:
    if score is None:
        return "dim"  # not read by the model: a URL, @mention, punctuation, or past max_length
    strength = abs(score) / largest
    colour = "green" if score > 0 else "red"
    if strength > 0.5:
        return f"bold {colour}"
    return colour if strength > 0.1 else ""
