"""Cross-fitted distillation: out-of-fold teacher probabilities as soft training targets.

Every training text gets probabilities from a teacher that never saw it (K folds: each teacher
trains on the other K-1), so the targets say how ambiguous a text really is instead of repeating
its (sometimes wrong) gold label. A student then trains on all of train with
`TrainConfig.soft_labels`. Only validation is used for measuring; the test split is never read.

Usage: python experiments/distill.py NAME [--folds 5] [--seeds 1,2,3] [--weight 0.5] [--set k=v ...]
Teachers and soft labels go to runs/distill/NAME/ (git-ignored), rows to experiments/results.jsonl.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import torch

from emotion_bilstm.cleaning import drop_conflicting
from emotion_bilstm.data import load_splits
from emotion_bilstm.labels import LABELS
from emotion_bilstm.metrics import classification_metrics
from emotion_bilstm.model import EmotionBiLSTM
from emotion_bilstm.training import TrainConfig, train

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "emotion"
RESULTS = Path(__file__).resolve().parent / "results.jsonl"


def write_split(path: Path, texts: list[str], labels: list[int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{text};{LABELS[label]}\n" for text, label in zip(texts, labels, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("name")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seeds", default="1")
    parser.add_argument("--teacher-seed", type=int, default=100)
    parser.add_argument("--weight", type=float, default=0.5)
    parser.add_argument("--set", nargs="*", default=[])
    args = parser.parse_args()
    torch.set_num_threads(1)
    overrides = {}
    for item in args.set:
        key, value = item.split("=", 1)
        overrides[key] = json.loads(value)
    work = ROOT / "runs" / "distill" / args.name
    soft_file = work / "soft_labels.jsonl"
    splits = load_splits(str(DATA))
    train_split, _ = drop_conflicting(splits["train"])
    texts, labels = list(train_split["text"]), list(train_split["label"])
    val_texts, val_labels = list(splits["validation"]["text"]), list(splits["validation"]["label"])

    if not soft_file.exists():
        order = list(range(len(texts)))
        random.Random(args.teacher_seed).shuffle(order)
        soft: dict[str, list[float]] = {}
        val_probs = []
        started = time.perf_counter()
        for fold in range(args.folds):
            held = set(order[fold :: args.folds])
            fold_dir = work / f"fold{fold}"
            keep = [i for i in range(len(texts)) if i not in held]
            write_split(fold_dir / "data" / "train.txt", [texts[i] for i in keep], [labels[i] for i in keep])
            write_split(fold_dir / "data" / "validation.txt", val_texts, val_labels)
            config = TrainConfig(
                data=str(fold_dir / "data"),
                output_dir=str(fold_dir / "model"),
                seed=args.teacher_seed + fold,
                keep_last=True,
                **overrides,
            )
            train(config, show_progress=False)
            teacher = EmotionBiLSTM.from_pretrained(str(fold_dir / "model"))
            held_rows = sorted(held)
            probs = teacher.predict_proba([texts[i] for i in held_rows])
            for i, row in zip(held_rows, probs.tolist(), strict=True):
                soft[texts[i]] = row
            val_probs.append(teacher.predict_proba(val_texts))
            print(f"teacher {fold} done ({time.perf_counter() - started:.0f}s)", flush=True)
        ensemble = classification_metrics(val_labels, torch.stack(val_probs).mean(0).argmax(-1).tolist())
        oof = classification_metrics(labels, [max(range(6), key=soft[t].__getitem__) for t in texts])
        print(
            json.dumps(
                {
                    "teacher_ensemble_val": [ensemble["accuracy"], ensemble["macro_f1"]],
                    "out_of_fold_train": [oof["accuracy"], oof["macro_f1"]],
                }
            ),
            flush=True,
        )
        soft_file.write_text("".join(json.dumps({"text": t, "probs": soft[t]}) + "\n" for t in texts))

    for seed in [int(s) for s in args.seeds.split(",")]:
        out = work / f"student-s{seed}"
        config = TrainConfig(
            data=str(DATA),
            output_dir=str(out),
            seed=seed,
            soft_labels=str(soft_file),
            distill_weight=args.weight,
            **overrides,
        )
        started = time.perf_counter()
        summary = train(config, show_progress=False)
        row = {
            "name": f"distill-{args.name}-w{args.weight}",
            "seed": seed,
            "overrides": {"distill_folds": args.folds, "distill_weight": args.weight, **overrides},
            "val_accuracy": summary["validation"]["accuracy"],
            "val_macro_f1": summary["validation"]["macro_f1"],
            "best_epoch": summary["best_epoch"],
            "epochs_run": summary["epochs_run"],
            "last_epoch": summary["history"][-1],
            "seconds": round(time.perf_counter() - started, 1),
            "model_dir": str(out.relative_to(ROOT)),
        }
        with RESULTS.open("a") as handle:
            handle.write(json.dumps(row) + "\n")
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
