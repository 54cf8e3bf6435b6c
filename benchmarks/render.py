"""benchmarks/RESULTS.md from benchmarks/results.json: the bench's report, apart from its measuring.

    python benchmarks/render.py [RESULTS_JSON] [--output RESULTS_MD]

`bench.py` measures and calls `render_markdown` at the end of a run; running this file renders a
results.json again (a changed wording, a committed run) without the half hour of measuring.
Defaults: benchmarks/results.json to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OURS = "ours (BiLSTM)"
LEVER_TEXTS = 5_000  # raw texts the speed-up levers are timed on (bench.py measures them)


def fmt_rate(entry: dict[str, Any]) -> str:
    return f"{entry['median']:,.0f} ({entry['min']:,.0f}-{entry['max']:,.0f})"


def fmt_seconds(entry: dict[str, Any]) -> str:
    return f"{entry['median']:.2f} s ({entry['min']:.2f}-{entry['max']:.2f})"


def ratio(ours: dict[str, Any], peer: dict[str, Any]) -> str:
    return f"{ours['median'] / peer['median']:.2f}x"


def header(results: dict[str, Any]) -> list[str]:
    """The title, what was measured on what, and the machine."""
    machine, engine = results["machine"], results["engine"]
    return [
        "# Benchmark: BiLSTM vs TF-IDF + LinearSVC vs fastText",
        "",
        f"Written by `make bench` (benchmarks/bench.py). Model: `{results['model']}`. Medians of "
        f"{results['repeats']} runs, (min-max) in brackets. Speeds on {results['lines']:,} lines built from "
        "dair-ai validation: **raw** (typed the way people type: capitals, apostrophes, punctuation, "
        "@mentions, URLs, hashtags, emoji, `&amp;`) and **clean** (the texts as they are). The peers train on "
        f"the rows our recipe trains on. Our accuracy columns come from: {results['accuracy_model']}.",
        "",
        f"Machine: {machine['cpu_count']} cores ({machine['cpu']}), Python {machine['python']}, torch "
        f"{machine['torch']}, {machine['torch_threads_in_process']} torch threads in process, CLI: "
        f"{machine['cli_threads']}. Load average at start {machine['load_average_start'][0]:.1f}, at end "
        f"{machine['load_average_end'][0]:.1f}: the machine is shared, so absolute figures vary between runs; "
        "the ratios within one run are the comparison. Our engine here: "
        f"`{engine['auto']}` (bfloat16 units on this CPU: {'yes' if engine['bfloat16_native'] else 'no'}).",
    ]


def speed_tables(results: dict[str, Any]) -> list[str]:
    """Every system's speed, then ours as a ratio of each peer's."""
    systems = results["systems"]
    ours = systems[OURS]
    lines = [
        "",
        "## Speed (texts/s in process, lines/s end to end)",
        "",
        f"| system | in-process, raw | in-process, clean | classify {results['lines']:,} raw lines "
        f"| classify {results['lines']:,} clean lines | classify peak RSS MiB | train s |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, entry in systems.items():
        speed, cli = entry["in_process_texts_per_s"], entry["cli"]
        train = entry["train_seconds"]
        lines.append(
            f"| {name} | {fmt_rate(speed['raw'])} | {fmt_rate(speed['clean'])} | {fmt_rate(cli['raw']['lines_per_s'])} "
            f"| {fmt_rate(cli['clean']['lines_per_s'])} | {cli['raw']['peak_rss_mib']['median']:.0f} "
            f"| {f'{train:.1f}' if train is not None else 'see below'} |"
        )
    lines += [
        "",
        "Ours runs `emo-cli classify FILE --format jsonl --output OUT` (label, score and every label's score per "
        "line). The peers run benchmarks/peer_cli.py, a small script doing the same job (label only for the "
        "SVM, label and score for fastText), process start and imports included. In-process: `model.predict` "
        "for ours (dicts with all scores), `predict` for the peers (labels).",
        "",
        "## Ours relative to each peer (same run)",
        "",
        "| peer | in-process, raw | in-process, clean | classify, raw | classify, clean | peak RSS |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, entry in systems.items():
        if name == OURS:
            continue
        speed, cli = entry["in_process_texts_per_s"], entry["cli"]
        lines.append(
            f"| {name} | {ratio(ours['in_process_texts_per_s']['raw'], speed['raw'])} "
            f"| {ratio(ours['in_process_texts_per_s']['clean'], speed['clean'])} "
            f"| {ratio(ours['cli']['raw']['lines_per_s'], cli['raw']['lines_per_s'])} "
            f"| {ratio(ours['cli']['clean']['lines_per_s'], cli['clean']['lines_per_s'])} "
            f"| {ratio(ours['cli']['raw']['peak_rss_mib'], cli['raw']['peak_rss_mib'])} |"
        )
    return lines


def accuracy_table(results: dict[str, Any]) -> list[str]:
    """Accuracy on every evaluation set, and the peers again at our share of neutral answers."""
    systems = results["systems"]
    ours = systems[OURS]
    set_names = list(ours["accuracy"])
    lines = [
        "",
        "## Accuracy (macro-F1 in brackets)",
        "",
        "GoEmotions: validation comments whose labels map to one emotion (real Reddit text; a `neutral` "
        "answer counts as wrong).",
        "",
        "| system | " + " | ".join(set_names) + " |",
        "| --- |" + " --- |" * len(set_names),
    ]
    with_neutral = "neutral_recall" in ours
    if with_neutral:
        lines[-2] += " GoEmotions validation, neutral comments called neutral |"
        lines[-1] += " --- |"

    def accuracy_row(name: str, figures: dict[str, Any]) -> str:
        cells = [
            f"{figures['accuracy'][s]['accuracy']:.4f} ({figures['accuracy'][s]['macro_f1']:.4f})" for s in set_names
        ]
        if with_neutral:
            cells.append(f"{figures['neutral_recall']:.4f}")
        return f"| {name} | " + " | ".join(cells) + " |"

    for name, entry in systems.items():
        lines.append(accuracy_row(name, entry))
    for name, entry in systems.items():
        if "at_our_neutral_recall" in entry:
            lines.append(accuracy_row(f"{name}, neutral shifted to ours' share", entry["at_our_neutral_recall"]))
    if with_neutral:
        lines += [
            "",
            "Answering neutral less often gets more emotional comments right, so the shifted rows compare the "
            "peers at our operating point: each peer's neutral score moved, as our recipe moves neutral's logit, "
            "until it calls the same share of GoEmotions validation's neutral comments neutral as ours does.",
        ]
    return lines


def startup_section(results: dict[str, Any]) -> list[str]:
    """Start-up against `import torch` and the peers' CLIs, the Parquet path at 1 and 2 processes, memory."""
    startup, ours = results["startup"], results["systems"][OURS]
    torch_s = startup["import_torch_s"]["median"]

    def row(what: str, key: str) -> str:
        entry = startup.get(key)  # a results.json from before a row was measured lacks it
        if entry is None:
            return f"| {what} | not measured in this run | |"
        return f"| {what} | {fmt_seconds(entry)} | {entry['median'] / torch_s:.2f}x |"

    lines = [
        "",
        "## Start-up and memory",
        "",
        "Each command end to end, the median of 5 warm runs (one discarded before), in this run; the ratio",
        "is against `python -c 'import torch'` measured beside it.",
        "",
        "| command | seconds | vs `import torch` |",
        "| --- | --- | --- |",
        row("`emo-cli --help`", "help_s"),
        row('`emo-cli predict "one text"` (NumPy engine)', "predict_one_text_s"),
        row("`emo-cli classify` of a one-line file (before the 10-line rows existed)", "classify_one_line_s"),
        row("`emo-cli classify` of a 10-line raw file (NumPy engine)", "classify_ten_lines_s"),
        row("the same, `--engine torch`", "classify_ten_lines_torch_s"),
        row("TF-IDF + LinearSVC (benchmarks/peer_cli.py), the same file", "svm_ten_lines_s"),
        row("fastText (benchmarks/peer_cli.py), the same file", "fasttext_ten_lines_s"),
        row("`python -c 'import torch'`", "import_torch_s"),
    ]
    if "parquet" in results:
        parquet = results["parquet"]
        one, two = parquet["processes_1"]["rows_per_s"], parquet["processes_2"]["rows_per_s"]
        lines.append("")
        lines.append(
            f"- `classify` of {parquet['rows']:,} raw texts in Parquet into Parquet, end to end: "
            f"{one['median']:,.0f} rows/s in one process, {two['median']:,.0f} in two under `accelerate launch` "
            f"({two['median'] / one['median']:.2f}x; start-up of the launcher and the process group included)"
        )
    if "memory_1m" in results:
        million = results["memory_1m"]
        lines.append(
            f"- peak RSS classifying {results['lines']:,} raw lines: "
            f"{ours['cli']['raw']['peak_rss_mib']['median']:.0f} MiB; "
            f"1,000,000: {million['peak_rss_mib']:.0f} MiB ({million['lines_per_s']:,.0f} lines/s, one run)"
        )
    return lines


def levers_section(results: dict[str, Any]) -> list[str]:
    """What each of our speed-ups gives, against the reference path."""
    lines = [
        "",
        f"## What each speed-up gives (ours, in process, {LEVER_TEXTS:,} raw texts, texts/s)",
        "",
        "| configuration | texts/s | vs reference |",
        "| --- | --- | --- |",
    ]
    levers = results["levers"]
    reference = levers["reference (nn.LSTM, Rust tokenizer)"]
    for name, entry in levers.items():
        lines.append(
            f"| {name} | {fmt_rate(entry)} | {'' if name.startswith('tokenizer') else ratio(entry, reference)} |"
        )
    rust, python = levers["tokenizer only: Rust encode_batch"], levers["tokenizer only: one-pass Python"]
    lines.append(f"\nOne-pass Python normaliser vs Rust tokenizer alone, on raw text: {ratio(python, rust)}.")
    numpy_engine = levers.get("NumPy engine (the CLI's default), float32, batch 512")
    if numpy_engine is not None:
        fast = levers["+ fast_lstm, float32 (batch 512)"]
        lines.append(f"NumPy engine vs fast_lstm float32, at the same threads: {ratio(numpy_engine, fast)}.")
    if not results["engine"]["bfloat16_native"]:
        lines.append(
            "This CPU has no bfloat16 units, so PyTorch emulates the bfloat16 product: that row is slower here, "
            "and `auto` uses float32."
        )
    return lines


def training_section(results: dict[str, Any]) -> list[str]:
    """Training time of the shipped recipe, as its metrics.json recorded it (empty when it did not)."""
    training = results["training"]
    if training.get("seconds_per_epoch_median") is None:
        return []
    return [
        "",
        "## Training (the shipped recipe)",
        "",
        f"{training['seconds_per_epoch_median']:.1f} s per epoch (median), best epoch {training['best_epoch']} "
        f"reached after {training['seconds_to_best_epoch']:.0f} s, {training['epochs_run']} epochs run, "
        f"{training['train_seconds']:.0f} s in all; from {training['source']}.",
    ]


def render_markdown(results: dict[str, Any]) -> str:
    """RESULTS.md's text for one run's results (the dict bench.py writes as results.json)."""
    lines = [
        *header(results),
        *speed_tables(results),
        *accuracy_table(results),
        *startup_section(results),
        *levers_section(results),
        *training_section(results),
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="?", default=str(HERE / "results.json"), help="A bench run's results.json.")
    parser.add_argument("--output", default=str(HERE / "RESULTS.md"), help="Where the markdown goes.")
    args = parser.parse_args()
    markdown = render_markdown(json.loads(Path(args.results).read_text()))
    Path(args.output).write_text(markdown)


if __name__ == "__main__":
    main()
