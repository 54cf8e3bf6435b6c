"""The NumPy engine against torch in one run: start-up of `emo-cli predict`, and raw-tweet throughput.

    python benchmarks/light_engine.py [--data ../shared/data/emotion] [--repeats 5] [--copies 10]

Start-up: wall seconds of `emo-cli predict "one text"` (the NumPy engine, the default), the same with
`--engine torch`, and `python -c "import torch"`, each run once to warm the file cache, then `--repeats`
times interleaved (medians). Throughput: in-process texts/s of `predict_proba` on dair-ai validation made
raw (robustness.perturb_all) and repeated `--copies` times (20,000 texts), the NumPy engine
(`emotion_bilstm.pipeline()`) against engines.py's `fast` float32 engine on the shipped model, both
with their default threads, after a warm-up, interleaved (medians). Tokenizing is included for both (the
same code). The machine may be shared: compare the ratios, which come from one run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # measure this checkout's package, as the `-m emotion_bilstm` runs (cwd=REPO) do


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=REPO)
    return time.perf_counter() - start


def start_up(repeats: int) -> dict[str, float]:
    cli = [sys.executable, "-m", "emotion_bilstm", "predict", "one text"]
    commands = {
        "emo-cli predict (numpy)": cli,
        "emo-cli predict --engine torch": [*cli, "--engine", "torch"],
        'python -c "import torch"': [sys.executable, "-c", "import torch"],
    }
    runs: dict[str, list[float]] = {name: [] for name in commands}
    for command in commands.values():
        wall(command)  # warm the file cache
    for _ in range(repeats):
        for name, command in commands.items():
            runs[name].append(wall(command))
    return {name: statistics.median(values) for name, values in runs.items()}


def throughput(data: Path, repeats: int, copies: int) -> dict[str, float]:
    import torch

    import emotion_bilstm
    from emotion_bilstm.data.robustness import perturb_all
    from emotion_bilstm.numpy_engine import worker_count

    lines = (data / "validation.txt").read_text(encoding="utf-8").splitlines()
    texts = perturb_all([line.rsplit(";", 1)[0] for line in lines], seed=0) * copies
    model, light = emotion_bilstm.load_default(), emotion_bilstm.pipeline()
    work = {
        "numpy": lambda: light.predict_proba(texts),
        "fast (float32)": lambda: model.predict_proba(texts, engine="fast"),
    }
    for run in work.values():
        run()  # warm-up: builds each engine's projection table
    rates: dict[str, list[float]] = {name: [] for name in work}
    for _ in range(repeats):
        for name, run in work.items():
            start = time.perf_counter()
            run()
            rates[name].append(len(texts) / (time.perf_counter() - start))
    print(f"{len(texts)} raw texts; torch threads {torch.get_num_threads()}, numpy workers {worker_count()}")
    return {name: statistics.median(values) for name, values in rates.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "emotion")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--copies", type=int, default=10, help="dair-ai validation repeated this many times")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    seconds = start_up(args.repeats)
    for name, value in seconds.items():
        print(f"{name}: {value:.3f} s")
    torch_import = seconds['python -c "import torch"']
    print(f"predict (numpy) / import torch: {seconds['emo-cli predict (numpy)'] / torch_import:.2f}x")
    rates = throughput(args.data, args.repeats, args.copies)
    for name, value in rates.items():
        print(f"{name}: {value:,.0f} texts/s")
    print(f"numpy / fast: {rates['numpy'] / rates['fast (float32)']:.2f}x")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
