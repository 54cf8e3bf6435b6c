"""Our BiLSTM against TF-IDF + LinearSVC and fastText, side by side in one run on this machine.

    make bench                      # installs the `bench` extra, then runs this
    python benchmarks/bench.py --data ../shared/data/emotion [--model DIR] [--repeats 3] [--no-million]

Trains the peers on the train split, then measures on the validation split and on a 100,000-line
file built from validation text (in a temporary folder, deleted at the end): accuracy, macro-F1,
in-process texts/s, end-to-end lines/s of a classify command (process start included), its peak
resident memory, and start-up times. Every timing is the median of several runs, with min-max.
The machine is shared and noisy, so compare systems by the ratios within one run, not by the
absolute figures across runs. Writes benchmarks/RESULTS.md and benchmarks/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
LABELS = ("sadness", "joy", "love", "anger", "fear", "surprise")
BIG_FILE_LINES = 1_000_000
LEVER_TEXTS = 5_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "emotion"), help="train/validation")
    parser.add_argument("--model", default=None, help="Model folder. Default: the shipped model, else runs/emo.")
    parser.add_argument("--repeats", type=int, default=3, help="Runs per timing (the median is reported).")
    parser.add_argument("--threads", type=int, default=2, help="torch threads for in-process timings.")
    parser.add_argument("--no-million", action="store_true", help="Skip the 1,000,000-line memory check.")
    parser.add_argument(
        "--lines", type=int, default=100_000, help="Lines in the speed-test file (smaller: a smoke test)."
    )
    parser.add_argument("--output-dir", default=str(HERE), help="Where RESULTS.md and results.json go.")
    return parser.parse_args()


def read_split(path: Path) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        text, _, label = line.rpartition(";")
        texts.append(text)
        labels.append(label)
    return texts, labels


def stats(values: list[float]) -> dict[str, Any]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": values}


def rate_runs(count: int, work: Callable[[], Any], repeats: int, warm_up: bool = True) -> dict[str, Any]:
    """Items per second over `repeats` runs of `work` (after one warm-up run unless told otherwise)."""
    if warm_up:
        work()
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        rates.append(count / (time.perf_counter() - start))
    return stats(rates)


# Forks and execs the command, so that its peak RSS (wait4's ru_maxrss) is its own: a child forked from
# this big process directly would report this process's memory as its peak. Times only the command.
LAUNCHER = """
import os, sys, time
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.execvp(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(time.perf_counter() - start, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def run_process(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MiB) of one child process, start-up included."""
    done = subprocess.run([sys.executable, "-c", LAUNCHER, *command], capture_output=True, text=True, check=True)
    seconds, max_rss_kib, code = done.stdout.split()
    if int(code) != 0:
        raise SystemExit(f"{' '.join(command)} failed ({code}): {done.stderr[-2000:]}")
    return float(seconds), int(max_rss_kib) / 1024  # Linux reports KiB


def process_runs(command: list[str], lines: int, repeats: int) -> dict[str, Any]:
    results = [run_process(command) for _ in range(repeats)]
    return {
        "lines_per_s": stats([lines / seconds for seconds, _ in results]),
        "seconds": stats([seconds for seconds, _ in results]),
        "peak_rss_mib": stats([rss for _, rss in results]),
    }


def accuracy_and_f1(gold: list[str], predicted: list[str]) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score

    return {
        "accuracy": float(accuracy_score(gold, predicted)),
        "macro_f1": float(f1_score(gold, predicted, labels=list(LABELS), average="macro")),
    }


def default_model() -> Path:
    shipped = REPO / "emotion_bilstm" / "pretrained"
    return shipped if (shipped / "model.safetensors").exists() else REPO / "runs" / "emo"


def emo_cli() -> list[str]:
    script = Path(sys.executable).parent / "emo-cli"
    return [str(script)] if script.exists() else [sys.executable, "-m", "emotion_bilstm"]


def write_lines(path: Path, texts: list[str], count: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for i in range(count):
            handle.write(texts[i % len(texts)] + "\n")


def main() -> None:
    args = parse_args()
    import torch

    torch.set_num_threads(args.threads)
    from emotion_bilstm.model import EmotionBiLSTM, format_predictions
    from emotion_bilstm.tokenizer import encode_batch

    data = Path(args.data)
    model_dir = Path(args.model) if args.model else default_model()
    train_texts, train_labels = read_split(data / "train.txt")
    val_texts, val_labels = read_split(data / "validation.txt")
    lines_count = args.lines
    file_texts = [val_texts[i % len(val_texts)] for i in range(lines_count)]
    load_start = os.getloadavg()
    results: dict[str, Any] = {"systems": {}, "model": str(model_dir), "repeats": args.repeats, "lines": lines_count}
    log = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731
    workdir = Path(tempfile.mkdtemp(prefix="emo-bench-"))
    try:
        log(f"[bench] peers: training on {len(train_texts)} texts")
        svm, svm_seconds = train_svm(train_texts, train_labels)
        ft, ft_seconds = train_fasttext(train_texts, train_labels, workdir)
        with (workdir / "svm.pkl").open("wb") as handle:
            pickle.dump(svm, handle)
        ft.save_model(str(workdir / "fasttext.bin"))
        ours = EmotionBiLSTM.from_pretrained(model_dir)
        # A model that trained on validation cannot be scored on it: its train-only twin (same recipe
        # and seed, trained here like the peers) gives the accuracy columns; speed stays the shipped model's.
        scored, ours_train_seconds, results["accuracy_model"] = train_only_twin(model_dir, data, workdir, log)
        scored = scored or ours

        predictors: dict[str, Callable[[list[str]], list[str]]] = {
            "ours (BiLSTM)": lambda texts: [r["label"] for r in scored.predict(texts)],
            "TF-IDF + LinearSVC": lambda texts: list(svm.predict(texts)),
            "fastText": lambda texts: [labels[0].removeprefix("__label__") for labels in ft.predict(texts)[0]],
        }
        in_process_work = {
            "ours (BiLSTM)": lambda: ours.predict(file_texts),
            "TF-IDF + LinearSVC": lambda: svm.predict(file_texts),
            "fastText": lambda: ft.predict(file_texts),
        }
        train_seconds = {"TF-IDF + LinearSVC": svm_seconds, "fastText": ft_seconds, "ours (BiLSTM)": ours_train_seconds}
        for name, predict in predictors.items():
            log(f"[bench] {name}: accuracy and in-process speed on {lines_count:,} texts")
            entry = accuracy_and_f1(val_labels, predict(val_texts))
            in_process_work[name]()  # warm-up of the measured model (caches, input tables)
            entry["in_process_texts_per_s"] = rate_runs(lines_count, in_process_work[name], args.repeats, False)
            entry["train_seconds"] = train_seconds.get(name)
            results["systems"][name] = entry

        big_file = workdir / "val100k.txt"
        write_lines(big_file, val_texts, lines_count)
        out = str(workdir / "out.jsonl")
        ours_classify = [*emo_cli(), "classify", str(big_file), "--model", str(model_dir), "-f", "jsonl", "-o", out]
        commands = {
            "ours (BiLSTM)": ours_classify,
            "TF-IDF + LinearSVC": [sys.executable, str(HERE / "peer_cli.py"), "svm", str(workdir / "svm.pkl")],
            "fastText": [sys.executable, str(HERE / "peer_cli.py"), "fasttext", str(workdir / "fasttext.bin")],
        }
        for name, command in commands.items():
            if name != "ours (BiLSTM)":
                command = [*command, str(big_file), out]
            log(f"[bench] {name}: classify {lines_count:,} lines end to end")
            results["systems"][name]["cli_100k"] = process_runs(command, lines_count, args.repeats)

        results["startup"] = startup_times(model_dir, workdir, args.repeats)
        if not args.no_million:
            million = workdir / "val1m.txt"
            write_lines(million, val_texts, BIG_FILE_LINES)
            log(f"[bench] ours: classify {BIG_FILE_LINES:,} lines once (memory must stay flat)")
            command = [*emo_cli(), "classify", str(million), "--model", str(model_dir), "-f", "jsonl", "-o", out]
            seconds, rss = run_process(command)
            results["memory_1m"] = {"lines_per_s": BIG_FILE_LINES / seconds, "peak_rss_mib": rss}
            million.unlink()

        log(f"[bench] levers on {LEVER_TEXTS:,} texts")
        results["levers"] = levers(ours, file_texts[:LEVER_TEXTS], args, encode_batch, format_predictions)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    results["training"] = training_figures(model_dir)
    results["machine"] = {
        "cpu_count": os.cpu_count(),
        "cpu": cpu_name(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads_in_process": torch.get_num_threads(),
        "cli_threads": "torch default (one per core)",
        "load_average_start": load_start,
        "load_average_end": os.getloadavg(),
    }
    output_dir = Path(args.output_dir)
    (output_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    markdown = render_markdown(results)
    (output_dir / "RESULTS.md").write_text(markdown)
    print(markdown)


def train_svm(texts: list[str], labels: list[str]) -> tuple[Any, float]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    start = time.perf_counter()
    pipeline = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), LinearSVC())
    pipeline.fit(texts, labels)
    return pipeline, time.perf_counter() - start


def train_fasttext(texts: list[str], labels: list[str], workdir: Path) -> tuple[Any, float]:
    import fasttext

    train_file = workdir / "train.fasttext"
    train_file.write_text("".join(f"__label__{label} {text}\n" for text, label in zip(texts, labels, strict=True)))
    start = time.perf_counter()
    model = fasttext.train_supervised(str(train_file), wordNgrams=2, epoch=25, lr=0.5, thread=2, verbose=0, seed=42)
    return model, time.perf_counter() - start


def startup_times(model_dir: Path, workdir: Path, repeats: int) -> dict[str, Any]:
    one_line = workdir / "one.txt"
    one_line.write_text("i feel so glad that you came\n")
    help_runs = [run_process([*emo_cli(), "--help"])[0] for _ in range(max(repeats, 5))]
    command = [*emo_cli(), "classify", str(one_line), "--model", str(model_dir), "-f", "jsonl"]
    classify_runs = [run_process(command)[0] for _ in range(repeats)]
    torch_runs = [run_process([sys.executable, "-c", "import torch"])[0] for _ in range(repeats)]
    return {
        "help_s": stats(help_runs),
        "classify_one_line_s": stats(classify_runs),
        "import_torch_s": stats(torch_runs),
    }


def levers(model: Any, texts: list[str], args: argparse.Namespace, encode_batch: Any, format_predictions: Any) -> dict:
    """What each speed-up gives, each measured against the path without it, in this same run."""
    import torch

    def predict(*, fast_lstm: bool, fast_tokens: bool, batch_size: int = 512) -> Callable[[], Any]:
        def work() -> Any:
            ids_source = model.encode if fast_tokens else (lambda t: encode_batch(model.tokenizer, t))
            model.encode = ids_source  # an instance attribute shadows the method for this run only
            try:
                probs = model.predict_proba(texts, batch_size=batch_size, engine="fast" if fast_lstm else "reference")
            finally:
                del model.encode
            return format_predictions(probs, model.id2label)

        return work

    n, repeats = len(texts), args.repeats
    figures = {
        # the reference path needs no warm-up (nothing is cached), and is the slow part of this section
        "reference (nn.LSTM, Rust tokenizer)": rate_runs(
            n, predict(fast_lstm=False, fast_tokens=False), repeats, False
        ),
        "+ word lookup for clean text": rate_runs(n, predict(fast_lstm=False, fast_tokens=True), repeats, False),
        "+ fast_lstm (batch 512): the default": rate_runs(n, predict(fast_lstm=True, fast_tokens=True), repeats),
    }
    for batch_size in (128, 2048):
        figures[f"fast_lstm, batch {batch_size}"] = rate_runs(
            n, predict(fast_lstm=True, fast_tokens=True, batch_size=batch_size), repeats
        )
    torch.set_num_threads(1)
    figures["fast_lstm, 1 thread"] = rate_runs(n, predict(fast_lstm=True, fast_tokens=True), repeats)
    figures["reference, 1 thread"] = rate_runs(n, predict(fast_lstm=False, fast_tokens=False), repeats, False)
    torch.set_num_threads(args.threads)
    figures["tokenizer only: Rust encode_batch"] = rate_runs(n, lambda: encode_batch(model.tokenizer, texts), repeats)
    figures["tokenizer only: word lookup"] = rate_runs(n, lambda: model.encode(texts), repeats)
    return figures


def train_only_twin(model_dir: Path, data: Path, workdir: Path, log: Callable[[str], None]) -> tuple[Any, Any, str]:
    """When the model saw the validation split, train its twin on train only: (model, seconds, note).

    Returns (None, None, note) when the model's own validation figures are honest (it never saw them).
    """
    from dataclasses import fields

    from emotion_bilstm.model import EmotionBiLSTM
    from emotion_bilstm.training import TrainConfig, train

    path = model_dir / "metrics.json"
    summary = json.loads(path.read_text()) if path.exists() else {}
    if not summary.get("train_config", {}).get("train_on_validation"):
        return None, None, f"{model_dir} (never trained on validation)"
    names = {f.name for f in fields(TrainConfig)}
    settings = {k: v for k, v in summary["train_config"].items() if k in names}
    settings.update(data=str(data), output_dir=str(workdir / "twin"), checkpoint_dir=None, resume=False)
    settings.update(train_on_validation=False)
    log("[bench] ours: the shipped model trained on validation; training its train-only twin for the accuracy columns")
    started = time.perf_counter()
    train(TrainConfig(**settings), show_progress=False)
    seconds = time.perf_counter() - started
    note = "train-only twin of the shipped model (same recipe and seed), trained in this run"
    return EmotionBiLSTM.from_pretrained(workdir / "twin"), seconds, note


def training_figures(model_dir: Path) -> dict[str, Any]:
    """Seconds per epoch as recorded by `emo-cli train` in the model's metrics.json (not re-measured here)."""
    path = model_dir / "metrics.json"
    if not path.exists():
        return {"source": f"{path} (missing)"}
    metrics = json.loads(path.read_text())
    history = metrics.get("history", [])
    seconds = [epoch["seconds"] for epoch in history if "seconds" in epoch]
    best = metrics.get("best_epoch")
    return {
        "source": f"{path.relative_to(REPO) if path.is_relative_to(REPO) else path} (recorded at training time)",
        "seconds_per_epoch_median": statistics.median(seconds) if seconds else None,
        "best_epoch": best,
        "seconds_to_best_epoch": sum(seconds[:best]) if seconds and best else None,
        "epochs_run": len(seconds),
        "train_seconds": metrics.get("train_seconds"),
        "train_config": {k: metrics.get("train_config", {}).get(k) for k in ("batch_size", "hidden_size", "epochs")},
    }


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def fmt_rate(entry: dict[str, Any]) -> str:
    return f"{entry['median']:,.0f} ({entry['min']:,.0f}-{entry['max']:,.0f})"


def fmt_seconds(entry: dict[str, Any]) -> str:
    return f"{entry['median']:.2f} s ({entry['min']:.2f}-{entry['max']:.2f})"


def render_markdown(results: dict[str, Any]) -> str:
    systems = results["systems"]
    ours_name = "ours (BiLSTM)"
    ours = systems[ours_name]
    machine = results["machine"]
    lines = [
        "# Benchmark: BiLSTM vs TF-IDF + LinearSVC vs fastText",
        "",
        f"Written by `make bench` (benchmarks/bench.py). Model: `{results['model']}`. Medians of "
        f"{results['repeats']} runs, (min-max) in brackets. Accuracy and macro-F1 on the validation split "
        f"(2,000 texts); speeds on {results['lines']:,} lines built from validation text. Our accuracy "
        f"columns come from: {results['accuracy_model']}.",
        "",
        f"Machine: {machine['cpu_count']} cores ({machine['cpu']}), Python {machine['python']}, torch "
        f"{machine['torch']}, {machine['torch_threads_in_process']} torch threads in process, CLI: "
        f"{machine['cli_threads']}. Load average at start {machine['load_average_start'][0]:.1f}, at end "
        f"{machine['load_average_end'][0]:.1f}: the machine is shared, so absolute figures vary between runs; "
        "the ratios within one run are the comparison.",
        "",
        "| system | val accuracy | val macro-F1 | in-process texts/s | classify 100k lines/s (end to end) "
        "| classify peak RSS MiB | train s |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, entry in systems.items():
        cli = entry["cli_100k"]
        train = entry["train_seconds"]
        train_text = f"{train:.1f}" if train is not None else "see below"
        lines.append(
            f"| {name} | {entry['accuracy']:.4f} | {entry['macro_f1']:.4f} "
            f"| {fmt_rate(entry['in_process_texts_per_s'])} "
            f"| {fmt_rate(cli['lines_per_s'])} | {cli['peak_rss_mib']['median']:.0f} | {train_text} |"
        )
    lines += [
        "",
        "Ours runs `emo-cli classify FILE --format jsonl --output OUT` (label, score and all six scores per "
        "line). The peers run benchmarks/peer_cli.py, a small script doing the same job (label only for the "
        "SVM, label and score for fastText), process start and imports included. In-process: `model.predict` "
        "for ours (dicts with all scores), `predict` for the peers (labels).",
        "",
        "## Ours relative to each peer (same run)",
        "",
        "| peer | accuracy (points) | macro-F1 (points) | in-process speed | classify speed | peak RSS |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, entry in systems.items():
        if name == ours_name:
            continue
        lines.append(
            f"| {name} | {100 * (ours['accuracy'] - entry['accuracy']):+.1f} "
            f"| {100 * (ours['macro_f1'] - entry['macro_f1']):+.1f} "
            f"| {ours['in_process_texts_per_s']['median'] / entry['in_process_texts_per_s']['median']:.2f}x "
            f"| {ours['cli_100k']['lines_per_s']['median'] / entry['cli_100k']['lines_per_s']['median']:.2f}x "
            f"| {ours['cli_100k']['peak_rss_mib']['median'] / entry['cli_100k']['peak_rss_mib']['median']:.2f}x |"
        )
    startup = results["startup"]
    lines += [
        "",
        "## Start-up and memory (ours)",
        "",
        f"- `emo-cli --help`: {fmt_seconds(startup['help_s'])}",
        f"- `emo-cli classify` of a one-line file: {fmt_seconds(startup['classify_one_line_s'])}; of which "
        f"`python -c 'import torch'` alone takes {fmt_seconds(startup['import_torch_s'])}",
    ]
    if "memory_1m" in results:
        million = results["memory_1m"]
        lines.append(
            f"- peak RSS classifying 100,000 lines: {ours['cli_100k']['peak_rss_mib']['median']:.0f} MiB; "
            f"1,000,000 lines: {million['peak_rss_mib']:.0f} MiB ({million['lines_per_s']:,.0f} lines/s, one run)"
        )
    lines += [
        "",
        f"## What each speed-up gives (ours, in process, {LEVER_TEXTS:,} texts, texts/s)",
        "",
        "| configuration | texts/s | vs reference |",
        "| --- | --- | --- |",
    ]
    levers = results["levers"]
    reference = levers["reference (nn.LSTM, Rust tokenizer)"]["median"]
    for name, entry in levers.items():
        ratio = f"{entry['median'] / reference:.2f}x" if not name.startswith("tokenizer only") else ""
        lines.append(f"| {name} | {fmt_rate(entry)} | {ratio} |")
    rust = levers["tokenizer only: Rust encode_batch"]["median"]
    lookup = levers["tokenizer only: word lookup"]["median"]
    lines.append(f"\nWord lookup vs Rust tokenizer alone: {lookup / rust:.1f}x.")
    training = results["training"]
    if training.get("seconds_per_epoch_median") is not None:
        lines += [
            "",
            "## Training (default settings)",
            "",
            f"{training['seconds_per_epoch_median']:.1f} s per epoch (median), best epoch {training['best_epoch']} "
            f"reached after {training['seconds_to_best_epoch']:.0f} s, {training['epochs_run']} epochs run, "
            f"{training['train_seconds']:.0f} s in all; from {training['source']}.",
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
