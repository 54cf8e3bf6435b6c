"""The bench's data: what the peers train on, what every system is scored and timed on.

Reads dair-ai train (plus the GoEmotions comments our recipe adds, mapped the same way) for the
peers, dair-ai validation clean and its raw copy (robustness.perturb), the evaluation sets with
GoEmotions validation, its neutral comments, and the speed-test texts; `prepare_run` gathers them
with the settings and a scratch folder into the `Run` every measuring step reads.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
INPUTS = ("raw", "clean")  # raw first: the headline


def read_split(path: Path) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        text, _, label = line.rpartition(";")
        texts.append(text)
        labels.append(label)
    return texts, labels


def default_model() -> Path:
    shipped = REPO / "emotion_bilstm" / "pretrained"
    return shipped if (shipped / "model.safetensors").exists() else REPO / "runs" / "emo"


def training_rows(data: Path, goemotions: Path | None, recipe: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The rows our recipe trains on: dair-ai train, plus GoEmotions train mapped as the recipe maps it."""
    texts, labels = read_split(data / "train.txt")
    if recipe.get("add_data") and goemotions is not None:
        from emotion_bilstm.data.goemotions import mapped_splits

        rows = mapped_splits(
            goemotions,
            neutral_limit=recipe.get("neutral_limit"),
            seed=recipe.get("seed", 42),
            keep_partly_mapped=recipe.get("keep_partly_mapped", False),
        )
        texts += [text for text, _ in rows["train"]]
        labels += [label for _, label in rows["train"]]
    return texts, labels


def evaluation_sets(val_texts: list[str], val_labels: list[str], raw_texts: list[str], goemotions: Path | None):
    """Name -> (texts, gold labels): dair-ai validation clean and raw, and GoEmotions validation's
    comments that map to one emotion (real text; a `neutral` answer counts as wrong)."""
    sets = {
        "dair-ai validation (clean)": (val_texts, val_labels),
        "dair-ai validation (raw)": (raw_texts, val_labels),
    }
    if goemotions is not None:
        from emotion_bilstm.data.goemotions import EVALUATION_MAPPING, mapped_splits

        rows = mapped_splits(goemotions, mapping=EVALUATION_MAPPING)["validation"]
        sets["GoEmotions validation, emotions (real)"] = ([t for t, _ in rows], [label for _, label in rows])
    return sets


def neutral_comments(goemotions: Path | None) -> list[str]:
    """GoEmotions validation's comments whose one label is neutral (empty without GoEmotions)."""
    if goemotions is None:
        return []
    from emotion_bilstm.data.goemotions import read

    return [text for text, names in read(goemotions)["validation"] if names == ("neutral",)]


@dataclass
class Run:
    """What every measuring step of one run reads: the settings, the data, the texts, a scratch folder."""

    args: argparse.Namespace
    data: Path
    goemotions: Path | None
    model_dir: Path
    train_texts: list[str]
    train_labels: list[str]
    val_texts: list[str]
    val_labels: list[str]
    inputs: dict[str, list[str]]  # "clean" and "raw": dair-ai validation's texts
    file_texts: dict[str, list[str]]  # each input repeated to `args.lines` texts
    workdir: Path


def prepare_run(args: argparse.Namespace) -> Run:
    """Read the data: the rows the peers train on, dair-ai validation clean and raw, the speed-test texts."""
    from emotion_bilstm.data.robustness import perturb_all

    data = Path(args.data)
    goemotions = Path(args.goemotions) if (Path(args.goemotions) / "train.tsv").exists() else None
    model_dir = Path(args.model) if args.model else default_model()
    summary_path = model_dir / "metrics.json"
    recipe = json.loads(summary_path.read_text()).get("train_config", {}) if summary_path.exists() else {}
    train_texts, train_labels = training_rows(data, goemotions, recipe)
    val_texts, val_labels = read_split(data / "validation.txt")
    inputs = {"clean": val_texts, "raw": perturb_all(val_texts)}
    file_texts = {kind: [texts[i % len(texts)] for i in range(args.lines)] for kind, texts in inputs.items()}
    workdir = Path(tempfile.mkdtemp(prefix="emo-bench-"))
    return Run(
        args, data, goemotions, model_dir, train_texts, train_labels, val_texts, val_labels, inputs, file_texts, workdir
    )
