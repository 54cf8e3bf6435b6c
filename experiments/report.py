"""Print the table of experiments/RESULTS.md from experiments/results.jsonl (mean ± sd over seeds per setting).

For each saved model it also measures the perturbed-validation drop and the hand-written-set
accuracy (cached in experiments/robustness.jsonl, keyed by model folder and its metrics.json time).
It also writes experiments/recipe.json: the release recipe's figures over seeds and what each lever
was worth, which `make release-model` copies into metrics.json for the model card.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "scripts"))  # release_model lives in scripts/

from release_model import read_split  # noqa: E402  # the `text;label` split files, read as the release reads them

from emotion_bilstm.data.robustness import accuracy, perturbed_drop, read_handwritten  # noqa: E402
from emotion_bilstm.model import EmotionBiLSTM  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "emotion"
CACHE = HERE / "robustness.jsonl"
HANDWRITTEN = ROOT / "tests" / "data" / "handwritten.tsv"
RECIPE_FILE = HERE / "recipe.json"
RECIPE = "d5g100x20k"  # the release: RELEASE_SETTINGS of release_model.py on top of the defaults
# Each lever as its screen measured it: (what changed, its rows, the rows it changed from, kept?).
# Rows are paired by seed, so a 1-seed lever is compared with the same seed of its starting point.
LEVERS = [
    ("drop every copy of texts labelled twice differently", "dropconf", "base6", True),
    ("word dropout 0.1", "wd", "base6", False),
    ("label smoothing 0.1", "ls", "base6", False),
    ("EMA of the weights (decay 0.998)", "ema", "base6", False),
    ("max + mean pooling instead of max", "maxmean", "base6", False),
    ("WordPiece tokens with subword dropout", "wp-sd", "base6", False),
    ("class weights", "cw", "dropconf", False),
    ("learning rate 2e-3 instead of 3e-3", "lr2e3", "dropconf", False),
    ("learning rate 5e-3", "lr5e3", "dropconf", False),
    ("batch 32 instead of 64", "b32", "dropconf", False),
    ("8 epochs instead of 6", "ep8", "dropconf", False),
    ("hidden 96 instead of 128", "h96", "dropconf", False),
    ("embedding 100 instead of 200", "emb100", "dropconf", False),
    ("embedding 300", "emb300", "dropconf", False),
    ("out-of-fold distillation from 5 teachers", "distill-oof5-w0.5", "dropconf", False),
    ("dropout 0.5 instead of 0.3", "drop5", "dropconf", True),
    ("dropout 0.6 instead of 0.5", "drop6", "drop5", False),
    ("GloVe vectors, 20,000 added words, embedding 100", RECIPE, "drop5", True),
    ("hidden 192", "d5g100x20kh192", RECIPE, False),
    ("two LSTM layers", "d5g100x20k-l2", RECIPE, False),
    ("adversarial training (epsilon 2)", "d5g100x20k-adv2", RECIPE, False),
    ("R-Drop (weight 1)", "d5g100x20k-rdrop1", RECIPE, False),
    ("drop rows out-of-fold teachers call mislabelled", "d5g100x20k-prune-p0.1", RECIPE, False),
]


def robustness(model_dir: Path, cache: dict) -> dict:
    key = f"{model_dir}@{(model_dir / 'metrics.json').stat().st_mtime}"
    if key not in cache:
        model = EmotionBiLSTM.from_pretrained(model_dir)
        texts, labels = read_split(DATA / "validation.txt")
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
    RECIPE_FILE.write_text(json.dumps(recipe_summary(groups, cache), indent=2) + "\n")


def recipe_summary(groups: dict[str, list[dict]], cache: dict) -> dict:
    """The release recipe over its seeds, and each lever's paired effect in points."""
    rows = groups[RECIPE]
    extra = [robustness(ROOT / r["model_dir"], cache) for r in rows]

    def mean_sd(values: list[float]) -> dict[str, float]:
        return {"mean": round(statistics.mean(values), 4), "sd": round(statistics.stdev(values), 4)}

    levers = []
    for lever, setting, baseline, kept in LEVERS:
        changed, before = ({r["seed"]: r for r in groups[name]} for name in (setting, baseline))
        seeds = sorted(changed.keys() & before.keys())

        def points(key: str, changed=changed, before=before, seeds=seeds) -> float:
            return round(100 * statistics.mean(changed[s][key] - before[s][key] for s in seeds), 2)

        levers.append(
            {
                "lever": lever,
                "seeds": len(seeds),
                "accuracy_points": points("val_accuracy"),
                "macro_f1_points": points("val_macro_f1"),
                "kept": kept,
            }
        )
    return {
        "recipe": RECIPE,
        "overrides": rows[0]["overrides"],
        "seeds": sorted(r["seed"] for r in rows),
        "split": "validation",
        "accuracy_last_epoch": mean_sd([e["last_accuracy"] for e in extra]),
        "macro_f1_last_epoch": mean_sd([e["last_macro_f1"] for e in extra]),
        "perturbed_drop_points": mean_sd([e["drop"] for e in extra]),
        "handwritten_accuracy": mean_sd([e["handwritten"] for e in extra]),
        "levers": levers,
    }


if __name__ == "__main__":
    main()
