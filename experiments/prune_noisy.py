"""Confident-learning style pruning: drop training rows that out-of-fold teachers call mislabelled.

Reads runs/distill/oof5/soft_labels.jsonl (out-of-fold probabilities of 5 teachers, each trained on
4/5 of train; written by experiments/distill.py of commit e46f95a), writes a pruned copy of train to
a scratch folder outside the repository (validation copied unchanged beside it), and trains the
release recipe on it. Rules: `pX` drops rows whose gold label gets out-of-fold probability below X;
`argmax` drops every row whose out-of-fold prediction differs from its gold label.

Usage: python experiments/prune_noisy.py RULE [--seeds 1,2,3]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch
from release_model import RELEASE_SETTINGS

from emotion_bilstm.labels import LABELS
from emotion_bilstm.training import TrainConfig, train

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "emotion"
SOFT_LABELS = ROOT / "runs" / "distill" / "oof5" / "soft_labels.jsonl"
RESULTS = Path(__file__).resolve().parent / "results.jsonl"


def looks_mislabelled(probs: list[float], gold: int, rule: str) -> bool:
    if rule == "argmax":
        return max(range(len(probs)), key=probs.__getitem__) != gold
    return probs[gold] < float(rule.removeprefix("p"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rule")
    parser.add_argument("--seeds", default="1")
    args = parser.parse_args()
    torch.set_num_threads(1)
    out_of_fold = {row["text"]: row["probs"] for row in map(json.loads, SOFT_LABELS.read_text().splitlines())}
    lines = (DATA / "train.txt").read_text(encoding="utf-8").splitlines()
    kept = []
    for line in lines:
        text, label = line.rsplit(";", 1)
        probs = out_of_fold.get(text)  # absent: a conflicting duplicate, which training drops anyway
        if probs is None or not looks_mislabelled(probs, LABELS.index(label), args.rule):
            kept.append(line)
    print(f"{args.rule}: kept {len(kept)} of {len(lines)} training rows", flush=True)
    with tempfile.TemporaryDirectory(prefix="pruned-emotion-") as scratch:
        data = Path(scratch)
        (data / "train.txt").write_text("\n".join(kept) + "\n", encoding="utf-8")
        (data / "validation.txt").write_text((DATA / "validation.txt").read_text(encoding="utf-8"), encoding="utf-8")
        for seed in [int(s) for s in args.seeds.split(",")]:
            out = ROOT / "runs" / "sweep" / f"prune-{args.rule}-s{seed}"
            started = time.perf_counter()
            summary = train(
                TrainConfig(data=str(data), output_dir=str(out), seed=seed, **RELEASE_SETTINGS), show_progress=False
            )
            row = {
                "name": f"d5g100x20k-prune-{args.rule}",
                "seed": seed,
                "overrides": {**RELEASE_SETTINGS, "prune_out_of_fold": args.rule, "train_rows": len(kept)},
                "val_accuracy": summary["validation"]["accuracy"],
                "val_macro_f1": summary["validation"]["macro_f1"],
                "best_epoch": summary["best_epoch"],
                "epochs_run": summary["epochs_run"],
                "seconds": round(time.perf_counter() - started, 1),
                "model_dir": str(out.relative_to(ROOT)),
            }
            with RESULTS.open("a") as handle:
                handle.write(json.dumps(row) + "\n")
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
