"""Run named training recipes on the shared split data and append one JSON line per run.

Usage: python experiments/sweep.py NAME [--seeds 1,2,3] [--set key=value ...]
Models go to runs/sweep/NAME-sSEED (git-ignored); results to experiments/results.jsonl.
Only the validation split is used for choosing; the test split is never read.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from emotion_bilstm.errors import EmotionBiLSTMError
from emotion_bilstm.training import TrainConfig, train
from emotion_bilstm.training.settings import parse_overrides

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "emotion"
RESULTS = Path(__file__).resolve().parent / "results.jsonl"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """NAME, the seeds and the `--set` overrides, typed by TrainConfig's fields (`overrides`)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name")
    parser.add_argument("--seeds", default="1")
    parser.add_argument(
        "--set", nargs="*", default=[], metavar="NAME=VALUE", help="TrainConfig settings; lists comma-separated"
    )
    args = parser.parse_args(argv)
    try:
        args.overrides = parse_overrides(args.set)
    except EmotionBiLSTMError as exc:
        parser.error(str(exc))
    return args


def main() -> None:
    args = parse_args()
    torch.set_num_threads(1)  # on a shared 2-core machine, 2 threads spin-wait: 6x slower
    overrides = args.overrides
    for seed in [int(s) for s in args.seeds.split(",")]:
        out = ROOT / "runs" / "sweep" / f"{args.name}-s{seed}"
        config = TrainConfig(data=str(DATA), output_dir=str(out), seed=seed, overwrite=True, **overrides)
        started = time.perf_counter()
        summary = train(config, show_progress=False)
        seconds = time.perf_counter() - started
        row = {
            "name": args.name,
            "seed": seed,
            "overrides": overrides,
            "val_accuracy": summary["validation"]["accuracy"],
            "val_macro_f1": summary["validation"]["macro_f1"],
            "best_epoch": summary["best_epoch"],
            "epochs_run": summary["epochs_run"],
            "seconds": round(seconds, 1),
            "model_dir": str(out.relative_to(ROOT)),
        }
        with RESULTS.open("a") as handle:
            handle.write(json.dumps(row) + "\n")
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
