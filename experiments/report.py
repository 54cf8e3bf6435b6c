"""Print the table of experiments/RESULTS.md from experiments/results.jsonl (mean ± sd over seeds per setting).

For each saved model it also measures the perturbed-validation drop and the hand-written-set
accuracy (cached in experiments/robustness.jsonl, keyed by model folder and its metrics.json time).
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from pathlib import Path

import torch

from emotion_bilstm.model import EmotionBiLSTM
from emotion_bilstm.robustness import accuracy, perturbed_drop, read_handwritten

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = ROOT.parent / "shared" / "data" / "emotion"
CACHE = HERE / "robustness.jsonl"
HANDWRITTEN = ROOT / "tests" / "data" / "handwritten.tsv"


def read_validation() -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for line in (DATA / "validation.txt").read_text(encoding="utf-8").splitlines():
        text, label = line.rsplit(";", 1)
        texts.append(text)
        labels.append(label)
    return texts, labels


def robustness(model_dir: Path, cache: dict) -> dict:
    key = f"{model_dir}@{(model_dir / 'metrics.json').stat().st_mtime}"
    if key not in cache:
        model = EmotionBiLSTM.from_pretrained(model_dir)
        texts, labels = read_validation()
        drop = perturbed_drop(model, texts, labels)
        hand_texts, hand_labels = read_handwritten(HANDWRITTEN)
        metrics = json.loads((model_dir / "metrics.json").read_text())
        last = metrics["history"][-1]
        cache[key] = {
            "key": key,
            "drop": drop["drop"],
            "handwritten": accuracy(model, hand_texts, hand_labels),
            "last_accuracy": last["val_accuracy"],
            "last_macro_f1": last["val_macro_f1"],
        }
        with CACHE.open("a") as handle:
            handle.write(json.dumps(cache[key]) + "\n")
    return cache[key]


def spread(values: list[float], scale: float = 1.0, digits: int = 4) -> str:
    mean = statistics.mean(values) * scale
    if len(values) < 2:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {statistics.stdev(values) * scale:.{digits}f}"


def main() -> None:
    torch.set_num_threads(1)  # on a shared 2-core machine, 2 threads spin-wait: 6x slower
    cache = {}
    if CACHE.exists():
        for line in CACHE.read_text().splitlines():
            row = json.loads(line)
            cache[row["key"]] = row
    groups: dict[str, list[dict]] = defaultdict(list)
    order: list[str] = []
    for line in (HERE / "results.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row["name"] not in groups:
            order.append(row["name"])
        groups[row["name"]] = [r for r in groups[row["name"]] if r["seed"] != row["seed"]] + [row]
    lines = [
        "| setting | overrides | seeds | val acc (best epoch) | macro-F1 (best epoch) | val acc (last epoch) "
        "| macro-F1 (last epoch) | best epoch | perturbed drop (points) | handwritten acc | seconds |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name in order:
        rows = groups[name]
        extra = [robustness(ROOT / r["model_dir"], cache) for r in rows]
        overrides = " ".join(f"{k}={v}" for k, v in rows[0]["overrides"].items())
        lines.append(
            f"| {name} | {overrides} | {len(rows)} | {spread([r['val_accuracy'] for r in rows])} "
            f"| {spread([r['val_macro_f1'] for r in rows])} | {spread([e['last_accuracy'] for e in extra])} "
            f"| {spread([e['last_macro_f1'] for e in extra])} | {spread([r['best_epoch'] for r in rows], digits=1)} "
            f"| {spread([e['drop'] for e in extra], digits=2)} | {spread([e['handwritten'] for e in extra], digits=3)} "
            f"| {spread([r['seconds'] for r in rows], digits=0)} |"
        )
    table = "\n".join(lines)
    print(table)


if __name__ == "__main__":
    main()
