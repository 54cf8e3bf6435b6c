"""Train the default model shipped in emotion_bilstm/pretrained/ (run by `make release-model`).

The recipe is `TrainConfig`'s defaults plus `RELEASE_SETTINGS`: 100-d embeddings whose first 50
columns start from pretrained word vectors, and 20,000 of their words unseen in training added to the
vocabulary (issue 4 chose GloVe's, on dair-ai validation: experiments/RESULTS.md); GoEmotions' Reddit
comments mapped onto the default labels, with at most 2,500 of its neutral comments, and neutral's logit
shifted to a 0.6 recall on validation (issue 13, chosen on dair-ai and GoEmotions validation: experiments/everyday.py).
It is distilled from a fine-tuned MiniLM teacher whose outputs are committed in data/teachers/ (issue 29:
the teacher itself is not needed), with GoEmotions' train comments the mapping leaves out as the transfer
set, and its embedding starts from static word vectors distilled from the same teacher (data/vectors/, in
GloVe's place: training it needs neither the teacher nor GloVe's package). Two runs with the same fixed seed:
  1. train split only, keeping the last epoch: honest held-out figures for this recipe and seed;
  2. train + validation for the same fixed number of epochs: the model that ships.
Weights are stored as float16 when that changes at most 1 in 2,000 predictions on validation, its
perturbed copy, the hand-written and everyday sets and GoEmotions validation (only near-ties can flip;
metrics.json counts them, and its figures are the stored weights'); otherwise as float32. metrics.json
gets run 1's validation figures, experiments/recipe.json and experiments/everyday.json (each recipe over
3 seeds and what each lever was worth, for the card). `--reuse-trained` packages the two runs already
in --work-dir when their settings are this recipe's, without training again.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import torch

from emotion_bilstm.data.goemotions import read as read_goemotions
from emotion_bilstm.data.robustness import (
    accuracy,
    label_rate,
    perturb_all,
    perturbed_drop,
    read_handwritten,
    real_text_figures,
)
from emotion_bilstm.folder_reads import default_model_dir, read_training_summary
from emotion_bilstm.model import EmotionBiLSTM
from emotion_bilstm.operating_point import shift_label_logit
from emotion_bilstm.reliability_diagram import DIAGRAM_NAME
from emotion_bilstm.training import TrainConfig, train

ROOT = Path(__file__).resolve().parent.parent
HANDWRITTEN = ROOT / "tests" / "data" / "handwritten.tsv"
EVERYDAY_TEST = ROOT / "data" / "everyday" / "test.tsv"  # written for issue 13; never trained on
SEED = 42
# What the release adds to the defaults: `emo-cli train` must work without the optional GloVe package,
# so these are not defaults. 100-d rows keep 36k tokens under the 10 MB size budget in float16.
BASE_SETTINGS = {"embedding_dim": 100, "pretrained_vectors": "glove-6b-50d", "extra_vocab": 20000}
# issue 13: real text (GoEmotions, given with --goemotions; comments with unmapped labels beside a mapped one
# kept), a neutral label at a chosen operating point, and label smoothing for the raters' noisy labels
EVERYDAY_SETTINGS = {"neutral_limit": 2500, "neutral_recall": 0.6, "label_smoothing": 0.1, "keep_partly_mapped": True}
RELEASE_SETTINGS = {**BASE_SETTINGS, **EVERYDAY_SETTINGS}
# issue 29: distilled from a fine-tuned all-MiniLM-L6-v2 (experiments/TEACHER.md) through its outputs cached
# in the repo (its README names the teacher's command and weights), so the release needs neither the teacher
# nor transformers; the transfer set is GoEmotions' train comments the recipe leaves out (--goemotions)
TEACHER_OUTPUTS = ROOT / "data" / "teachers" / "minilm-l6-e3-len64-lr5e-05-seed42-mean"
# alpha chosen on validation (experiments/EVERYDAY.md, sixth screen): 0.5 cost dair-ai 0.8 point, 0.2 kept it
DISTILL_SETTINGS = {"distill_alpha": 0.2, "distill_temperature": 2.0}
# issue 29, seventh screen: the embedding's first 50 columns and the 20,000 added words come from 50-d static
# vectors distilled from the same teacher (scripts/static_vectors.py; its README has the command) instead of
# GloVe: GoEmotions dev +1.05 points over 3 seeds, dair-ai unchanged (experiments/EVERYDAY.md)
STATIC_VECTORS = ROOT / "data" / "vectors" / "minilm-l6-teacher-50d"
EVERYDAY_SELECTION = ROOT / "experiments" / "everyday.json"
HALF_TOLERANCE = 1 / 2000  # float16 ships when it changes at most this share of the check texts' labels


def recipe_selection() -> dict:
    """The recipe's figures over seeds and each lever's worth (experiments/report.py writes them)."""
    selection = json.loads((ROOT / "experiments" / "recipe.json").read_text())
    if any(selection["overrides"].get(key) != value for key, value in BASE_SETTINGS.items()):
        sys.exit("experiments/recipe.json describes another recipe: rerun experiments/report.py")
    return selection


def everyday_selection() -> dict:
    """Issue 13's recipe over seeds and what each lever was worth (`experiments/everyday.py --report`)."""
    selection = json.loads(EVERYDAY_SELECTION.read_text())
    if any(selection["settings"].get(key) != value for key, value in EVERYDAY_SETTINGS.items()):
        sys.exit("experiments/everyday.json describes another recipe: rerun experiments/everyday.py --report")
    return selection


def read_split(path: Path) -> tuple[list[str], list[str]]:
    rows = [line.rsplit(";", 1) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [r[0] for r in rows], [r[1] for r in rows]


def robustness(model: EmotionBiLSTM, data: Path, goemotions: Path) -> dict:
    texts, labels = read_split(data / "validation.txt")
    hand_texts, hand_labels = read_handwritten(HANDWRITTEN)
    everyday_texts, everyday_labels = read_handwritten(EVERYDAY_TEST)
    return {
        "perturbed_validation": perturbed_drop(model, texts, labels),
        "handwritten_accuracy": round(accuracy(model, hand_texts, hand_labels), 4),
        "handwritten_n": len(hand_texts),
        "everyday_test_accuracy": round(accuracy(model, everyday_texts, everyday_labels), 4),
        "everyday_test_n": len(everyday_texts),
        "dair_validation_neutral_rate": label_rate(model, texts, "neutral"),
        "goemotions_validation": real_text_figures(model, goemotions),
    }


def changed_predictions(a: EmotionBiLSTM, b: EmotionBiLSTM, texts: list[str]) -> int:
    return int((a.predict_proba(texts).argmax(-1) != b.predict_proba(texts).argmax(-1)).sum())


def same_recipe(a: dict, b: dict) -> bool:
    """The same settings, whether the data was named by a relative or an absolute path."""

    def resolved(settings: dict) -> dict:
        paths = ("data", "teacher", "pretrained_vectors")
        where = {key: str(Path(settings.get(key) or "").resolve()) for key in paths}
        lists = {key: [str(Path(p).resolve()) for p in settings.get(key) or []] for key in ("add_data", "transfer")}
        run = {"overwrite": None}  # how the run was started, not what it computed
        return settings | where | lists | run

    return resolved(a) == resolved(b)


def trained(config: TrainConfig, reuse: bool, log) -> dict:
    """Train `config`; with --reuse-trained, take the run already in its folder if it had these very settings."""
    summary = read_training_summary(lambda name: str(Path(config.output_dir) / name)) if reuse else None
    if summary is not None:
        # A run killed mid-training saved its last epoch so far: fewer epochs than asked (both runs keep every
        # epoch, so none stops early). One stopped after training but before its neutral shift has no
        # label_recall yet (a run on train + validation never gets one: it skips the shift, having no
        # held-out data). Neither is finished.
        shifted = config.neutral_recall is not None and not config.train_on_validation
        all_epochs = summary.get("epochs_run") == config.epochs
        finished = all_epochs and ("label_recall" in summary or not shifted)
        if finished and same_recipe(summary.get("train_config") or {}, json.loads(json.dumps(asdict(config)))):
            log(f"{config.output_dir}: trained with these settings already: reused (--reuse-trained)")
            return summary
        log(f"{config.output_dir}: trained with other settings, or not finished: training again")
    return train(config, log=log)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "emotion"))
    parser.add_argument("--goemotions", default=str(ROOT.parent / "shared" / "data" / "goemotions"))
    parser.add_argument("--output-dir", default=str(default_model_dir()))
    parser.add_argument("--work-dir", default=str(ROOT / "runs" / "release"))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--reuse-trained",
        action="store_true",
        help="package the runs already in --work-dir when their settings are this recipe's (training is "
        "deterministic for a seed and thread count, so this gives the same weights without retraining)",
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if not sys.stderr.isatty():  # a log: no `datasets` progress bars in it
        os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    torch.set_num_threads(args.threads)
    data, work, goemotions = Path(args.data), Path(args.work_dir), Path(args.goemotions)
    recipe_selection()  # fail before training, not after
    everyday_selection()
    settings = {**RELEASE_SETTINGS, "add_data": [str(goemotions)], **DISTILL_SETTINGS}
    settings |= {"teacher": str(TEACHER_OUTPUTS), "transfer": [str(goemotions)]}
    settings |= {"pretrained_vectors": str(STATIC_VECTORS)}
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.0f}s] {message}", file=sys.stderr, flush=True)

    log("run 1/2: train split only, for held-out validation figures")
    # the last epoch, as in run 2, so these figures describe the weights that ship
    heldout_config = TrainConfig(
        data=str(data), output_dir=str(work / "heldout"), seed=SEED, keep_last=True, overwrite=True, **settings
    )
    heldout_summary = trained(heldout_config, args.reuse_trained, log)
    heldout = EmotionBiLSTM.from_pretrained(work / "heldout")
    heldout_robustness = robustness(heldout, data, goemotions)

    log(f"run 2/2: train + validation for exactly {heldout_config.epochs} epochs (the release)")
    release_config = TrainConfig(
        data=str(data), output_dir=str(work / "full"), seed=SEED, train_on_validation=True, overwrite=True, **settings
    )
    release_summary = trained(release_config, args.reuse_trained, log)
    release = EmotionBiLSTM.from_pretrained(work / "full")
    # The release saw validation, so no held-out data is left to fit its neutral shift and temperature
    # on; it takes those fitted on validation for run 1 (same recipe, seed and epochs), which is what
    # this recipe's are. The temperature leaves argmax, so accuracy, unchanged; the shift does not.
    shift_label_logit(release, "neutral", heldout_summary["label_recall"]["offset"])
    release.temperature = heldout.temperature

    half, half_changes, checked = float16_changes(release, data, goemotions)
    # Rounding to float16 moves a probability by about 1e-4: it can only flip a text whose two best labels
    # are that close, a coin toss either way. A few such flips in 10k texts do not justify doubling the size.
    use_half = half_changes <= checked * HALF_TOLERANCE
    log(
        f"float16 weights change {half_changes} of {checked:,} predictions: "
        + ("storing float16" if use_half else "storing float32")
    )
    shipped = half if use_half else release  # the figures below describe the weights as they ship

    release.training_summary = {
        **release_summary,
        # the release saw validation in training: the figures shown are run 1's, same recipe and seed
        "validation": heldout_summary["validation"],
        "validation_note": (
            "validation figures are from the same recipe and seed trained on the train split only; "
            "the released weights were then trained on train + validation for the same number of epochs"
        ),
        "trained_on": "train + validation",
        "heldout_run": {
            "best_epoch": heldout_summary["best_epoch"],
            "history": heldout_summary["history"],
            "train_seconds": heldout_summary["train_seconds"],
        },
        "robustness": robustness(shipped, data, goemotions) | {"heldout_model": heldout_robustness},
        "label_recall": heldout_summary["label_recall"],
        "label_recall_note": "neutral shift fitted on validation for run 1 (same recipe and seed, train split only)",
        "stored_dtype": "float16" if use_half else "float32",
        "float16_changed_predictions": {"changed": half_changes, "of": checked},
        "calibration": heldout_summary.get("calibration"),
        "calibration_note": "temperature fitted on validation for run 1 (same recipe and seed, train split only)",
        "release_seconds": round(time.perf_counter() - started, 1),
        "recipe_selection": recipe_selection(),
        "everyday_selection": everyday_selection(),
    }
    save_release(release, Path(args.output_dir), work, use_half, log)
    print(json.dumps({"validation": {k: heldout_summary["validation"][k] for k in ("accuracy", "macro_f1")}}))


def float16_changes(release: EmotionBiLSTM, data: Path, goemotions: Path) -> tuple[EmotionBiLSTM, int, int]:
    """The release with float16 weights, and how many of the check texts' labels that changes (of how many).

    The check texts: dair-ai validation and its perturbed copy, the hand-written and everyday sets,
    GoEmotions validation.
    """
    texts, _ = read_split(data / "validation.txt")
    hand_texts, _ = read_handwritten(HANDWRITTEN)
    everyday_texts, _ = read_handwritten(EVERYDAY_TEST)
    real_texts = [text for text, _ in read_goemotions(goemotions)["validation"]]
    check_texts = texts + perturb_all(texts) + hand_texts + everyday_texts + real_texts
    with tempfile.TemporaryDirectory() as scratch:
        release.save_pretrained(scratch, dtype=torch.float16)
        half = EmotionBiLSTM.from_pretrained(scratch)
        return half, changed_predictions(release, half, check_texts), len(check_texts)


def save_release(release: EmotionBiLSTM, output_dir: Path, work: Path, use_half: bool, log) -> None:
    """Write the default model with run 1's reliability diagram, and drop both runs' checkpoints."""
    diagram = work / "heldout" / DIAGRAM_NAME  # run 1's: the shipped temperature was fitted there
    release.save_pretrained(
        output_dir, dtype=torch.float16 if use_half else None, extra_files=[diagram] if diagram.exists() else []
    )
    shutil.rmtree(work / "full.checkpoints", ignore_errors=True)
    shutil.rmtree(work / "heldout.checkpoints", ignore_errors=True)
    size = sum(f.stat().st_size for f in output_dir.iterdir())
    log(f"saved the default model to {output_dir} ({size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
