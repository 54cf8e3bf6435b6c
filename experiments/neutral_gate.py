"""Issue 13's fourth screen: is the neutral decision short of data, or is the boundary itself noisy?

    python experiments/neutral_gate.py train --variant mapped --seed 7     # a gate: neutral or emotional
    python experiments/neutral_gate.py score MODEL [MODEL ...] --gate GATE [--gate GATE ...]

The default model learns neutral from 2,500 of GoEmotions' 12,823 neutral training comments (more
swamps the emotions). `train` fits a separate two-label model, a "gate", on all of them against
emotional text: the GoEmotions comments the mapping keeps (`mapped`) or every comment without
neutral among its labels (`all`), plus dair-ai's training tweets (so that clean tweets stay
emotional). The release's architecture and vectors; the last epoch is kept.

`score` decides neutral three ways, each at the same operating point (60% of GoEmotions validation
neutral comments answered neutral): the model's own margin (neutral's logit minus the best
emotion's), the gate's log-odds, and their sum (each divided by its spread over GoEmotions
validation, the gate's times each of GATE_WEIGHTS). The emotion is always the model's best of the
six. With several models it also scores their average (log-probabilities), a reference for what one
model could reach by distillation. Validation splits and our own written sets only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "experiments"), str(ROOT / "scripts")]  # release_model lives in scripts/

from everyday import unshifted  # noqa: E402
from release_model import BASE_SETTINGS, EVERYDAY_TEST, read_split  # noqa: E402

from emotion_bilstm import goemotions  # noqa: E402
from emotion_bilstm.data.robustness import read_handwritten  # noqa: E402
from emotion_bilstm.model import EmotionBiLSTM  # noqa: E402
from emotion_bilstm.operating_point import offset_for_recall  # noqa: E402
from emotion_bilstm.tokenizer import reads_a_word  # noqa: E402
from emotion_bilstm.training import TrainConfig, train  # noqa: E402

RECALL = 0.6
GATE_WEIGHTS = (0.5, 1.0, 2.0)
Rows = list[tuple[str, str]]


def gate_rows(comments: list[goemotions.Comment], variant: str, dair_texts: list[str]) -> Rows:
    """(text, neutral|emotional): single-label neutral comments, emotional ones by `variant`, dair-ai's tweets."""
    rows = []
    for text, names in comments:
        if names == ("neutral",):
            rows.append((text, "neutral"))
        elif "neutral" in names:
            continue  # "neutral, approval": the rater saw something, so it is neither
        elif variant == "all" or goemotions.map_comments([(text, names)], goemotions.DEFAULT_MAPPING, True):
            rows.append((text, "emotional"))
    return rows + [(text, "emotional") for text in dair_texts]


def train_gate(args: argparse.Namespace) -> None:
    splits = goemotions.read(args.goemotions)
    data = Path(args.work_dir) / f"gate-data-{args.variant}"
    data.mkdir(parents=True, exist_ok=True)
    for split, dair_split in (("train", "train.txt"), ("validation", "validation.txt")):
        rows = gate_rows(splits[split], args.variant, read_split(Path(args.data) / dair_split)[0])
        with open(data / f"{split}.jsonl", "w", encoding="utf-8") as handle:
            handle.writelines(json.dumps({"text": text, "label": label}) + "\n" for text, label in rows)
    output = Path(args.work_dir) / f"gate-{args.variant}-seed{args.seed}"
    config = TrainConfig(
        data=str(data),
        output_dir=str(output),
        seed=args.seed,
        keep_last=True,
        label_smoothing=0.1,
        overwrite=True,
        **BASE_SETTINGS,
    )
    train(config, log=lambda m: print(m, file=sys.stderr, flush=True), show_progress=False)
    print(output)


def evaluation_sets(args: argparse.Namespace) -> dict[str, Rows]:
    comments = [c for c in goemotions.read(args.goemotions)["validation"] if len(c[1]) == 1]
    dair_texts, dair_labels = read_split(Path(args.data) / "validation.txt")
    return {
        "GoEmotions emotions": goemotions.map_comments(comments, goemotions.EVALUATION_MAPPING),
        "GoEmotions neutral": [(text, "neutral") for text, names in comments if names == ("neutral",)],
        "dair-ai": list(zip(dair_texts, dair_labels, strict=True)),
        "everyday 245": list(zip(*read_handwritten(EVERYDAY_TEST), strict=True)),
    }


def log_probabilities(model: EmotionBiLSTM, texts: list[str]) -> torch.Tensor:
    return torch.log_softmax(model.logits(model.encode(texts)), dim=-1)


def figures(
    emotions: dict[str, torch.Tensor],
    neutrality: dict[str, torch.Tensor],
    readable: dict[str, list[bool]],
    sets: dict[str, Rows],
    names: list[str],
) -> dict[str, float]:
    """Each set's accuracy (and dair-ai's neutral rate), neutral where `neutrality` clears the 60% line.

    As `predict` does, a text with no word the model reads gets no answer (wrong), and the line is
    drawn among the readable neutral comments, so that 60% of all of them get neutral.
    """
    neutral_key = "GoEmotions neutral"
    scores = [s for s, ok in zip(neutrality[neutral_key].tolist(), readable[neutral_key], strict=True) if ok]
    line = -offset_for_recall(scores, len(sets[neutral_key]), RECALL)
    out = {}
    for key, rows in sets.items():
        predicted = [
            None if not ok else "neutral" if score > line else names[best]
            for best, score, ok in zip(emotions[key].tolist(), neutrality[key].tolist(), readable[key], strict=True)
        ]
        out[key] = round(sum(p == gold for p, (_, gold) in zip(predicted, rows, strict=True)) / len(rows), 4)
        if key == "dair-ai":
            out["dair-ai neutral rate"] = round(predicted.count("neutral") / len(rows), 4)
    return out


def score(args: argparse.Namespace) -> None:
    sets = evaluation_sets(args)
    models = [unshifted(Path(folder)) for folder in args.models]
    names = [models[0].id2label[i] for i in range(len(models[0].id2label))]
    neutral_id = names.index("neutral")
    emotion_ids = [i for i in range(len(names)) if i != neutral_id]
    gates = [EmotionBiLSTM.from_pretrained(folder) for folder in args.gate]
    # spreads over GoEmotions validation, so that GATE_WEIGHTS weigh the two scores on one scale
    spread_sets = ("GoEmotions emotions", "GoEmotions neutral")

    def spread(scores: dict[str, torch.Tensor]) -> float:
        return float(torch.cat([scores[key] for key in spread_sets]).std())

    texts = {key: [t for t, _ in rows] for key, rows in sets.items()}
    gate_odds = []
    for gate in gates:
        ids = gate.config.label2id
        lp = {key: log_probabilities(gate, texts[key]) for key in sets}
        gate_odds.append({key: lp[key][:, ids["neutral"]] - lp[key][:, ids["emotional"]] for key in sets})
    # each model once: its log-probabilities, and which texts it reads a word of (vocabularies differ by seed)
    model_lp = [{key: log_probabilities(model, texts[key]) for key in sets} for model in models]
    model_reads = [{key: [reads_a_word(ids) for ids in model.encode(texts[key])] for key in sets} for model in models]
    table = []
    members = [[i] for i in range(len(models))] + ([list(range(len(models)))] if len(models) > 1 else [])
    for member in members:
        lp = {key: sum(model_lp[i][key] for i in member) / len(member) for key in sets}
        best = {key: lp[key][:, emotion_ids].argmax(dim=-1) for key in sets}
        # as in `predict`, a text gets an answer only if every model in the average reads a word of it
        readable = {key: [all(row) for row in zip(*(model_reads[i][key] for i in member), strict=True)] for key in sets}
        margin = {key: lp[key][:, neutral_id] - lp[key][:, emotion_ids].max(dim=-1).values for key in sets}
        # everyday.py names a run's folder by its settings, then "-seedN": the seed tells the rows apart
        who = Path(args.models[member[0]]).name.rsplit("-", 1)[-1] if len(member) == 1 else "their average"
        table.append({"model": who, "neutral by": "its margin", **figures(best, margin, readable, sets, names)})
        for g, odds in enumerate(gate_odds):
            gate_name = Path(args.gate[g]).name
            table.append({"model": who, "neutral by": gate_name, **figures(best, odds, readable, sets, names)})
            m_spread, g_spread = spread(margin), spread(odds)
            for weight in GATE_WEIGHTS:
                both = {key: margin[key] / m_spread + weight * odds[key] / g_spread for key in sets}
                label = f"margin + {weight} x {gate_name}"
                table.append({"model": who, "neutral by": label, **figures(best, both, readable, sets, names)})
    columns = list(table[0])
    print("| " + " | ".join(columns) + " |\n" + "| --- " * len(columns) + "|")
    for row in table:
        print("| " + " | ".join(str(row[c]) for c in columns) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "emotion"))
    parser.add_argument("--goemotions", default=str(ROOT.parent / "shared" / "data" / "goemotions"))
    parser.add_argument("--work-dir", default="/tmp/everyday")
    commands = parser.add_subparsers(dest="command", required=True)
    trainer = commands.add_parser("train", help="train a neutral-or-emotional gate")
    trainer.add_argument("--variant", choices=("mapped", "all"), default="mapped")
    trainer.add_argument("--seed", type=int, default=7)
    scorer = commands.add_parser("score", help="score models, alone, with gates, and averaged")
    scorer.add_argument("models", nargs="+", help="train-only seven-label model folders (everyday.py's)")
    scorer.add_argument("--gate", action="append", default=[], help="a gate folder (repeatable)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    train_gate(args) if args.command == "train" else score(args)


if __name__ == "__main__":
    main()
