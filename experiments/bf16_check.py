"""Does the bfloat16 recurrence (engine `fast-bf16`) keep the shipped model's answers? (issue 16)

    python experiments/bf16_check.py [--data ../shared/data/emotion] [--goemotions ../shared/data/goemotions]

For each set: the share of texts whose label is the same under `fast` (float32) and `fast-bf16`, each
engine's accuracy, and the largest probability difference. Sets: dair-ai validation (clean), its
perturbed copy (raw), data/everyday/test.tsv (hand-written), GoEmotions validation (real comments,
mapped as the default model's recipe maps them, neutral included). On a CPU without bfloat16 units
PyTorch emulates the arithmetic: the answers are the same as on one with them, only slower, so this
runs anywhere; the speed is measured by `make bench` on the machine it runs on. The shipped model
was trained on both validation splits too, so its accuracy columns only compare the two engines.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import torch

from emotion_bilstm.goemotions import mapped_splits
from emotion_bilstm.model import load_default
from emotion_bilstm.robustness import perturb_all

ROOT = Path(__file__).resolve().parent.parent


def agreement(model, texts: list[str], gold: list[str]) -> dict[str, float]:
    ids = model.encode(texts)
    fp32, bf16 = (model._proba_for_ids(ids, engine=engine) for engine in ("fast", "fast-bf16"))
    names = [model.id2label[i] for i in range(len(model.id2label))]

    def accuracy(probs: torch.Tensor) -> float:
        return sum(names[i] == g for i, g in zip(probs.argmax(-1).tolist(), gold, strict=True)) / len(gold)

    return {
        "texts": len(texts),
        "same_label": float((fp32.argmax(-1) == bf16.argmax(-1)).float().mean()),
        "accuracy_fp32": accuracy(fp32),
        "accuracy_bf16": accuracy(bf16),
        "max_probability_difference": float((fp32 - bf16).abs().max()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "emotion"))
    parser.add_argument("--goemotions", default=str(ROOT.parent / "shared" / "data" / "goemotions"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = load_default()
    rows = [line.rpartition(";") for line in (Path(args.data) / "validation.txt").read_text().splitlines()]
    texts, labels = [t for t, _, _ in rows], [label for _, _, label in rows]
    with (ROOT / "data" / "everyday" / "test.tsv").open(encoding="utf-8") as handle:
        everyday = list(csv.DictReader(handle, delimiter="\t"))
    goemotions = mapped_splits(args.goemotions)["validation"]
    sets = {
        "dair-ai validation (clean)": (texts, labels),
        "dair-ai validation, perturbed (raw)": (perturb_all(texts), labels),
        "everyday test (hand-written)": ([r["text"] for r in everyday], [r["label"] for r in everyday]),
        "GoEmotions validation (real, mapped, neutral incl.)": ([t for t, _ in goemotions], [g for _, g in goemotions]),
    }
    print("| set | texts | same label | accuracy fp32 | accuracy bf16 | max prob. difference |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, (set_texts, gold) in sets.items():
        r = agreement(model, set_texts, gold)
        print(
            f"| {name} | {r['texts']} | {100 * r['same_label']:.2f}% | {r['accuracy_fp32']:.4f} "
            f"| {r['accuracy_bf16']:.4f} | {r['max_probability_difference']:.4f} |"
        )


if __name__ == "__main__":
    main()
