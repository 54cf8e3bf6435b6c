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

This file is the entry point: its command line, the order of the steps, and the run's facts
(machine, training times). The steps live beside it: prepare.py (the data), peers.py and systems.py
(the three systems), in_process.py (accuracy, texts/s, our speed-ups), cli_timing.py (classify end
to end, start-up), timing.py (the shape of every timing), render.py (RESULTS.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
from pathlib import Path
from typing import Any

from cli_timing import measure_cli, measure_million, measure_parquet, startup_times
from in_process import levers, measure_in_process
from prepare import REPO, prepare_run
from render import LEVER_TEXTS, render_markdown  # benchmarks/render.py: RESULTS.md from results.json
from systems import prepare_systems
from timing import log

HERE = Path(__file__).resolve().parent


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
        results["startup"] = startup_times(run)
        results["parquet"] = measure_parquet(run)
        if not args.no_million:
            results["memory_1m"] = measure_million(run)
        log(f"[bench] levers on {LEVER_TEXTS:,} raw texts")
        results["levers"] = levers(systems.ours, run.model_dir, run.file_texts["raw"][:LEVER_TEXTS], args)
    finally:
        shutil.rmtree(run.workdir, ignore_errors=True)
    results["training"] = training_figures(run.model_dir)
    results["machine"] = machine_facts(load_start)
    output_dir = Path(args.output_dir)
    (output_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    markdown = render_markdown(results)
    (output_dir / "RESULTS.md").write_text(markdown)
    print(markdown)


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
