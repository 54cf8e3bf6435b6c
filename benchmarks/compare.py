"""In-process speed of two model folders on the same texts, in one process, runs interleaved.

    python benchmarks/compare.py OLD_MODEL NEW_MODEL [--data ../shared/data/emotion] [--repeats 3]

Times `predict` (encoding, the recurrence and the result dicts) over dair-ai validation as it is
(clean "i feel" text: the word-lookup shortcut) and over its raw-text copy (`perturb_all`: capitals,
@mentions, URLs, emoji: the Rust normaliser), alternating the two models so that load on a shared
machine hits both alike, and prints the median texts/s of each and NEW/OLD. One thread, as the
other benchmarks run.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch

from emotion_bilstm.data.robustness import perturb_all
from emotion_bilstm.model import EmotionBiLSTM

ROOT = Path(__file__).resolve().parent.parent


def texts_per_second(model: EmotionBiLSTM, texts: list[str]) -> float:
    started = time.perf_counter()
    model.predict(texts)
    return len(texts) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "emotion"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    lines = (Path(args.data) / "validation.txt").read_text(encoding="utf-8").splitlines()
    clean = [line.rsplit(";", 1)[0] for line in lines if line]
    inputs = {"clean": clean * 5, "raw": perturb_all(clean) * 5}  # 10,000 texts each
    models = {"old": EmotionBiLSTM.from_pretrained(args.old), "new": EmotionBiLSTM.from_pretrained(args.new)}
    for model in models.values():
        model.predict(clean[:500])  # warm-up: builds the fast engine and the word lookup
    rates: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.repeats):
        for kind, texts in inputs.items():
            for name, model in models.items():
                rates.setdefault((name, kind), []).append(texts_per_second(model, texts))
    for kind in inputs:
        old, new = (statistics.median(rates[(name, kind)]) for name in ("old", "new"))
        print(f"{kind:5s} texts/s (median of {args.repeats}): old {old:8.0f}  new {new:8.0f}  new/old {new / old:.2f}x")


if __name__ == "__main__":
    main()
