"""Issue 13's screen: train one setting of the everyday recipe and score it on every set we may look at.

    python experiments/everyday.py --seed 7 [--neutral-limit 4000] [--supplement] [--set name=value ...]

Trains dair-ai/emotion + GoEmotions (mapped, `--add-data`) with the release's settings plus the
changes given, on the train splits only (the last epoch is kept, as in the release), and appends
one JSON line to experiments/everyday.jsonl with: dair-ai validation accuracy (a `neutral` answer
counted as wrong) and the share of it called neutral; GoEmotions validation emotions accuracy and
neutral recall (`robustness.real_text_figures`); the perturbed-validation drop; the 60 hand-written
sentences and the everyday test set (data/everyday/test.tsv, seven labels). Nothing is chosen on
the everyday test set: it is written to order, and the recipe is chosen on the two validation splits.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "experiments"))

from release_model import HANDWRITTEN, RELEASE_SETTINGS, read_split  # noqa: E402

from emotion_bilstm.model import EmotionBiLSTM  # noqa: E402
from emotion_bilstm.robustness import accuracy, label_rate, perturbed_drop, read_handwritten, real_text_figures  # noqa: E402
from emotion_bilstm.training import TrainConfig, train  # noqa: E402

EVERYDAY_TEST = ROOT / "data" / "everyday" / "test.tsv"
EVERYDAY_TRAIN = ROOT / "data" / "everyday" / "train.tsv"
NEUTRAL_RECALLS = (0.6, 0.7)  # operating points: neutral's logit shifted until this share of validation neutral gets it


def score(model: EmotionBiLSTM, data: Path, goemotions: Path) -> dict:
    """Every figure of the module docstring for `model` as it is."""
    texts, labels = read_split(data / "validation.txt")
    hand_texts, hand_labels = read_handwritten(HANDWRITTEN)
    everyday_texts, everyday_labels = read_handwritten(EVERYDAY_TEST)
    return {
        "dair_validation_accuracy": round(accuracy(model, texts, labels), 4),
        "dair_validation_neutral_rate": label_rate(model, texts, "neutral"),
        "goemotions_validation": real_text_figures(model, goemotions),
        "perturbed_validation": perturbed_drop(model, texts, labels),
        "handwritten_accuracy": round(accuracy(model, hand_texts, hand_labels), 4),
        "everyday_test_accuracy": round(accuracy(model, everyday_texts, everyday_labels), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "emotion"))
    parser.add_argument("--goemotions", default=str(ROOT.parent / "shared" / "data" / "goemotions"))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--supplement", action="store_true", help="add data/everyday/train.tsv to training")
    parser.add_argument("--set", nargs="*", default=[], help="TrainConfig overrides, name=json-value")
    parser.add_argument("--work-dir", default="/tmp/everyday")
    parser.add_argument("--out", default=str(ROOT / "experiments" / "everyday.jsonl"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    overrides = {name: json.loads(value) for name, value in (item.split("=", 1) for item in args.set)}
    settings = {**RELEASE_SETTINGS, **overrides}
    settings["add_data"] = [args.goemotions] + ([str(EVERYDAY_TRAIN)] if args.supplement else [])
    name = "-".join([f"{k}={v}" for k, v in sorted(overrides.items())] + (["supplement"] if args.supplement else []))
    name = f"{name or 'recipe'}-seed{args.seed}"
    output = Path(args.work_dir) / name
    config = TrainConfig(data=args.data, output_dir=str(output), seed=args.seed, keep_last=True, **settings)
    started = time.perf_counter()
    train(config, log=lambda m: print(m, file=sys.stderr, flush=True), show_progress=False)
    model = EmotionBiLSTM.from_pretrained(output)
    figures = {"unshifted": score(model, Path(args.data), Path(args.goemotions))}
    from emotion_bilstm.calibration import label_offset_for_recall, shift_label_logit
    from emotion_bilstm.goemotions import read

    neutral = [text for text, names in read(args.goemotions)["validation"] if names == ("neutral",)]
    for recall in NEUTRAL_RECALLS:
        shifted = EmotionBiLSTM.from_pretrained(output)
        offset = label_offset_for_recall(shifted, neutral, "neutral", recall)
        shift_label_logit(shifted, "neutral", offset)
        figures[f"neutral_recall_{recall}"] = {
            "offset": round(offset, 4),
            **score(shifted, Path(args.data), Path(args.goemotions)),
        }
    row = {
        "name": name,
        "seed": args.seed,
        "overrides": overrides,
        "supplement": args.supplement,
        "seconds": round(time.perf_counter() - started),
        **figures,
    }
    print(json.dumps(row), flush=True)
    with open(args.out, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
