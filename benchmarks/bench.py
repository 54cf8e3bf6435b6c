"""Our BiLSTM against TF-IDF + LinearSVC and fastText, side by side in one run on this machine.

    make bench                      # installs the `bench` extra, then runs this
    python benchmarks/bench.py --data ../shared/data/emotion --goemotions ../shared/data/goemotions
        [--model DIR] [--repeats 3] [--no-million] [--lines 100000]

Trains the peers on the rows our model's recipe trains on (dair-ai train, plus the GoEmotions comments
it adds, mapped the same way), then measures every system on two inputs built from dair-ai validation:
`clean` (the texts as they are: lower-case words) and `raw` (the same texts typed the way people type:
capitals, apostrophes, punctuation, @mentions, URLs, hashtags, emoji, `&amp;`; robustness.perturb).
Raw is the headline: it is what users send. For each input: in-process texts/s and the end-to-end
lines/s of a classify command on a 100,000-line file (process start included) and its peak resident
memory. Also accuracy on dair-ai validation (clean and raw) and GoEmotions validation (real Reddit
comments), start-up times, and what each of our speed-ups gives. Every timing is the median of
several runs, with min-max. The machine is shared and noisy, so compare systems by the ratios within
one run, not by absolute figures across runs. Writes benchmarks/results.json and, through
benchmarks/render.py (which renders a results.json again on its own), benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from peers import at_neutral_recall
from prepare import INPUTS, REPO, Run, evaluation_sets, neutral_comments, prepare_run
from render import LEVER_TEXTS, OURS, render_markdown  # benchmarks/render.py: RESULTS.md from results.json
from systems import Systems, prepare_systems
from timing import log, rate_runs, stats

HERE = Path(__file__).resolve().parent
BIG_FILE_LINES = 1_000_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shared = REPO.parent / "shared" / "data"
    parser.add_argument("--data", default=str(shared / "emotion"), help="dair-ai train/validation")
    parser.add_argument(
        "--goemotions", default=str(shared / "goemotions"), help="GoEmotions train/dev (real text); skipped if absent"
    )
    parser.add_argument("--model", default=None, help="Model folder. Default: the shipped model, else runs/emo.")
    parser.add_argument("--repeats", type=int, default=3, help="Runs per timing (the median is reported).")
    parser.add_argument("--threads", type=int, default=2, help="torch threads for in-process timings.")
    parser.add_argument("--no-million", action="store_true", help="Skip the 1,000,000-line memory check.")
    parser.add_argument(
        "--lines", type=int, default=100_000, help="Lines in the speed-test files (smaller: a smoke test)."
    )
    parser.add_argument("--output-dir", default=str(HERE), help="Where RESULTS.md and results.json go.")
    return parser.parse_args()


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
    """Accuracy, and macro-F1 over the labels the gold answers use (a wrong `neutral` still counts)."""
    from sklearn.metrics import accuracy_score, f1_score

    return {
        "accuracy": float(accuracy_score(gold, predicted)),
        "macro_f1": float(f1_score(gold, predicted, labels=sorted(set(gold)), average="macro")),
    }


def emo_cli() -> list[str]:
    script = Path(sys.executable).parent / "emo-cli"
    return [str(script)] if script.exists() else [sys.executable, "-m", "emotion_bilstm"]


def write_lines(path: Path, texts: list[str], count: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for i in range(count):
            handle.write(texts[i % len(texts)] + "\n")


def main() -> None:
    args = parse_args()
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")  # a log, not a terminal: no bars
    import torch

    torch.set_num_threads(args.threads)
    run = prepare_run(args)
    load_start = os.getloadavg()
    results: dict[str, Any] = {"systems": {}, "model": str(run.model_dir), "repeats": args.repeats, "lines": args.lines}
    try:
        systems = prepare_systems(run, results)
        measure_in_process(run, systems, results)
        measure_cli(run, results)
        results["startup"] = startup_times(run.model_dir, run.workdir, args.repeats)
        if not args.no_million:
            results["memory_1m"] = measure_million(run)
        log(f"[bench] levers on {LEVER_TEXTS:,} raw texts")
        results["levers"] = levers(systems.ours, run.file_texts["raw"][:LEVER_TEXTS], args)
    finally:
        shutil.rmtree(run.workdir, ignore_errors=True)
    results["training"] = training_figures(run.model_dir)
    results["machine"] = machine_facts(load_start)
    output_dir = Path(args.output_dir)
    (output_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    markdown = render_markdown(results)
    (output_dir / "RESULTS.md").write_text(markdown)
    print(markdown)


def measure_in_process(run: Run, systems: Systems, results: dict[str, Any]) -> None:
    """Each system's accuracy on every set (and at our share of neutral answers), then its in-process speed."""
    args, lines_count = run.args, run.args.lines
    sets = evaluation_sets(run.val_texts, run.val_labels, run.inputs["raw"], run.goemotions)
    neutral_texts = neutral_comments(run.goemotions) if "neutral" in run.train_labels else []
    for name, predict in systems.predictors.items():
        log(f"[bench] {name}: accuracy, and in-process speed on {lines_count:,} texts of each input")
        entry: dict[str, Any] = {"accuracy": {}, "in_process_texts_per_s": {}, "cli": {}}
        for set_name, (texts, gold) in sets.items():
            entry["accuracy"][set_name] = accuracy_and_f1(gold, predict(texts))
        if neutral_texts:
            entry["neutral_recall"] = predict(neutral_texts).count("neutral") / len(neutral_texts)
            if name != OURS:  # ours comes first, so its share is known
                our_recall = results["systems"][OURS]["neutral_recall"]
                shifted = at_neutral_recall(systems.peer_scores[name], neutral_texts, our_recall)
                entry["at_our_neutral_recall"] = {
                    "neutral_recall": shifted(neutral_texts).count("neutral") / len(neutral_texts),
                    "accuracy": {s: accuracy_and_f1(gold, shifted(texts)) for s, (texts, gold) in sets.items()},
                }
        for kind in INPUTS:
            work = lambda texts=run.file_texts[kind], job=systems.in_process_work[name]: job(texts)  # noqa: E731
            work()  # warm-up of the measured model (caches, input tables)
            entry["in_process_texts_per_s"][kind] = rate_runs(lines_count, work, args.repeats, False)
        entry["train_seconds"] = systems.train_seconds.get(name)
        results["systems"][name] = entry


def measure_cli(run: Run, results: dict[str, Any]) -> None:
    """Each system's classify command end to end on a file of each input: lines/s and peak memory."""
    workdir, lines_count = run.workdir, run.args.lines
    out = str(workdir / "out.jsonl")
    for kind in INPUTS:
        big_file = workdir / f"{kind}.txt"
        write_lines(big_file, run.inputs[kind], lines_count)
        commands = {
            OURS: [*emo_cli(), "classify", str(big_file), "--model", str(run.model_dir), "-f", "jsonl", "-o", out],
            "TF-IDF + LinearSVC": [sys.executable, str(HERE / "peer_cli.py"), "svm", str(workdir / "svm.pkl")],
            "fastText": [sys.executable, str(HERE / "peer_cli.py"), "fasttext", str(workdir / "fasttext.bin")],
        }
        for name, command in commands.items():
            if name != OURS:
                command = [*command, str(big_file), out]
            log(f"[bench] {name}: classify {lines_count:,} {kind} lines end to end")
            results["systems"][name]["cli"][kind] = process_runs(command, lines_count, run.args.repeats)


def measure_million(run: Run) -> dict[str, float]:
    """Ours on a 1,000,000-line raw file, once: memory must stay flat."""
    out = str(run.workdir / "out.jsonl")
    million = run.workdir / "raw1m.txt"
    write_lines(million, run.inputs["raw"], BIG_FILE_LINES)
    log(f"[bench] ours: classify {BIG_FILE_LINES:,} raw lines once (memory must stay flat)")
    command = [*emo_cli(), "classify", str(million), "--model", str(run.model_dir), "-f", "jsonl", "-o", out]
    seconds, rss = run_process(command)
    million.unlink()
    return {"lines_per_s": BIG_FILE_LINES / seconds, "peak_rss_mib": rss}


def machine_facts(load_start: tuple[float, float, float]) -> dict[str, Any]:
    import torch

    return {
        "cpu_count": os.cpu_count(),
        "cpu": cpu_name(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads_in_process": torch.get_num_threads(),
        "cli_threads": "torch default (one per core)",
        "load_average_start": load_start,
        "load_average_end": os.getloadavg(),
    }


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


def levers(model: Any, texts: list[str], args: argparse.Namespace) -> dict:
    """What each speed-up gives on raw text, each measured against the path without it, in this same run."""
    import torch

    from emotion_bilstm.model import format_predictions
    from emotion_bilstm.tokenizer import encode_batch

    def predict(*, engine: str, python_tokens: bool, batch_size: int = 512) -> Callable[[], Any]:
        def work() -> Any:
            ids_source = model.encode if python_tokens else (lambda t: encode_batch(model.tokenizer, t))
            model.encode = ids_source  # an instance attribute shadows the method for this run only
            try:
                probs = model.predict_proba(texts, batch_size=batch_size, engine=engine)
            finally:
                del model.encode
            return format_predictions(probs, model.id2label)

        return work

    n, repeats = len(texts), args.repeats
    figures = {
        # the reference path needs no warm-up (nothing is cached), and is the slow part of this section
        "reference (nn.LSTM, Rust tokenizer)": rate_runs(
            n, predict(engine="reference", python_tokens=False), repeats, False
        ),
        "+ one-pass Python normaliser": rate_runs(n, predict(engine="reference", python_tokens=True), repeats, False),
        "+ fast_lstm, float32 (batch 512)": rate_runs(n, predict(engine="fast", python_tokens=True), repeats),
        "fast_lstm, bfloat16 recurrence": rate_runs(n, predict(engine="fast-bf16", python_tokens=True), repeats),
    }
    for batch_size in (128, 2048):
        figures[f"fast_lstm float32, batch {batch_size}"] = rate_runs(
            n, predict(engine="fast", python_tokens=True, batch_size=batch_size), repeats
        )
    torch.set_num_threads(1)
    figures["fast_lstm float32, 1 thread"] = rate_runs(n, predict(engine="fast", python_tokens=True), repeats)
    figures["reference, 1 thread"] = rate_runs(n, predict(engine="reference", python_tokens=False), repeats, False)
    torch.set_num_threads(args.threads)
    figures["tokenizer only: Rust encode_batch"] = rate_runs(n, lambda: encode_batch(model.tokenizer, texts), repeats)
    figures["tokenizer only: one-pass Python"] = rate_runs(n, lambda: model.encode(texts), repeats)
    return figures


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


if __name__ == "__main__":
    main()
