"""Issue 13's screen: train one setting of the everyday recipe and score it on every set we may look at.

    python experiments/everyday.py --seed 7 [--neutral-limit 4000] [--supplement] [--set name=value ...]
    python experiments/everyday.py --seed 7 --set ... pretrained_vectors=runs/vectors/minilm-50d  (static_vectors.py)

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
import os
import sys
import time
import unicodedata
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "experiments"), str(ROOT / "scripts")]  # release_model lives in scripts/

from release_model import (  # noqa: E402
    BASE_SETTINGS,
    DISTILL_SETTINGS,
    EVERYDAY_SELECTION,
    EVERYDAY_SETTINGS,
    EVERYDAY_TEST,
    STATIC_VECTORS,
    TEACHER_OUTPUTS,
    read_split,
    robustness,
)

from emotion_bilstm.data.robustness import accuracy, read_handwritten  # noqa: E402
from emotion_bilstm.errors import EmotionBiLSTMError  # noqa: E402
from emotion_bilstm.model import EmotionBiLSTM  # noqa: E402
from emotion_bilstm.training import TrainConfig, train  # noqa: E402
from emotion_bilstm.training.settings import parse_overrides  # noqa: E402

EVERYDAY_TRAIN = ROOT / "data" / "everyday" / "train.tsv"
RESULTS = ROOT / "experiments" / "everyday.jsonl"


def teacher_named(where: str) -> str:
    """A teacher by its name, wherever its run read it from: its folder (runs/teachers/NAME) or its cached
    outputs (data/teachers/NAME[/outputs.safetensors]) give the same targets, so one lever."""
    path = Path(where)
    return path.parent.name if path.suffix == ".safetensors" else path.name


def canonical(overrides: dict) -> dict:
    """Overrides as levers compare them: a teacher and a vectors folder by their names, transfer sources by
    their folders' names."""
    if "pretrained_vectors" in overrides:
        overrides = {**overrides, "pretrained_vectors": Path(overrides["pretrained_vectors"]).name}
    if "teacher" not in overrides:
        return overrides
    transfer = [Path(p).name for p in overrides.get("transfer") or []]
    return {**overrides, "teacher": teacher_named(overrides["teacher"]), "transfer": transfer}


# The seventh screen ran before --pretrained-vectors took a folder: its rows name an .npz that everyday.py
# read in GloVe's place. scripts/static_vectors.py writes the same vectors as these folders (rounded to
# float16; the committed one keeps only the rows a run on dair-ai and GoEmotions reads: the same rows).
SCREENED_VECTORS = {"teacher-50d.npz": STATIC_VECTORS.name, "minilm-50d.npz": "minilm-l6-50d"}


def row_overrides(row: dict) -> dict:
    """A row's overrides as levers compare them, its seventh-screen vectors file as the folder it stands for."""
    overrides = row["overrides"]
    if row.get("vectors"):
        overrides = {**overrides, "pretrained_vectors": SCREENED_VECTORS[row["vectors"]]}
    return canonical(overrides)


# The recipe as everyday.py runs it: the neutral shift is applied here at each operating point, not a
# training override. Since issue 29 the release distils from the committed teacher outputs with
# GoEmotions' left-out comments as the transfer set (distillation settings at their defaults go unnamed),
# and since its seventh screen the embedding starts from the teacher's static vectors, not GloVe. Each
# lever is measured against the recipe of its time: without the vectors, or without distillation.
_DEFAULTS = TrainConfig(data="", output_dir="")
UNDISTILLED_OVERRIDES = {k: v for k, v in EVERYDAY_SETTINGS.items() if k != "neutral_recall"}
GLOVE_DISTILLED_OVERRIDES = canonical(
    UNDISTILLED_OVERRIDES
    | {"teacher": str(TEACHER_OUTPUTS), "transfer": ["goemotions"]}
    | {k: v for k, v in DISTILL_SETTINGS.items() if getattr(_DEFAULTS, k) != v}
)
RECIPE_OVERRIDES = canonical(GLOVE_DISTILLED_OVERRIDES | {"pretrained_vectors": str(STATIC_VECTORS)})
BASELINES = (RECIPE_OVERRIDES, GLOVE_DISTILLED_OVERRIDES, UNDISTILLED_OVERRIDES)
NEUTRAL_RECALLS = (0.6, 0.7)  # operating points: neutral's logit shifted until this share of validation neutral gets it


def keep_marks() -> None:
    """Make the normaliser keep "!" and "?" (a run of either one token) where it makes every mark a space.

    The fifth screen's lever: training builds its tokenizer through `build_normalizer`, which this replaces.
    """
    from tokenizers import Regex, normalizers

    import emotion_bilstm.tokenizer

    build = emotion_bilstm.tokenizer.build_normalizer
    punctuation = normalizers.Replace(Regex(r"[^\p{L}\p{N}\p{So}\s]"), " ").__getstate__()

    def with_marks() -> normalizers.Sequence:
        original = build()
        rules = []
        for rule in original:
            if rule.__getstate__() == punctuation:
                rules += [
                    normalizers.Replace(Regex(r"!+"), " ! "),
                    normalizers.Replace(Regex(r"\?+"), " ? "),
                    normalizers.Replace(Regex(r"[^\p{L}\p{N}\p{So}\s!?]"), " "),
                ]
            else:
                rules.append(rule)
        if len(rules) != len(original) + 2:
            sys.exit("--keep-marks: the normaliser has no punctuation rule to replace")
        return normalizers.Sequence(rules)

    emotion_bilstm.tokenizer.build_normalizer = with_marks


def score(model: EmotionBiLSTM, data: Path, goemotions: Path) -> dict:
    """Every figure of the module docstring for `model` as it is: the release's, plus two."""
    texts, labels = read_split(data / "validation.txt")
    everyday_texts, everyday_labels = read_handwritten(EVERYDAY_TEST)
    # where the emoji rules matter: everyday texts holding an emoji (a symbol, Unicode category So)
    emoji_rows = [i for i, text in enumerate(everyday_texts) if any(unicodedata.category(c) == "So" for c in text)]
    return {
        **robustness(model, data, goemotions),
        "dair_validation_accuracy": round(accuracy(model, texts, labels), 4),
        "everyday_emoji_accuracy": round(
            accuracy(model, [everyday_texts[i] for i in emoji_rows], [everyday_labels[i] for i in emoji_rows]), 4
        ),
        "everyday_emoji_n": len(emoji_rows),
    }


def unshifted(folder: Path) -> EmotionBiLSTM:
    """The model in `folder` with neutral's logit as trained (a `--neutral-recall` shift undone)."""
    from emotion_bilstm.operating_point import shift_label_logit

    model = EmotionBiLSTM.from_pretrained(folder)
    recorded = (model.training_summary or {}).get("label_recall")
    if recorded:
        shift_label_logit(model, recorded["label"], -recorded["offset"])
    return model


def flat(figures: dict) -> dict[str, float]:
    """The figures the card and the issue compare, in points where they are rates."""
    real = figures["goemotions_validation"]
    return {
        "dair_validation_accuracy": figures["dair_validation_accuracy"],
        "dair_validation_neutral_rate": figures["dair_validation_neutral_rate"],
        "goemotions_emotions_accuracy": real["emotions_accuracy"],
        "goemotions_neutral_recall": real["neutral_recall"],
        "perturbed_drop_points": figures["perturbed_validation"]["drop"],
        "handwritten_accuracy": figures["handwritten_accuracy"],
        "everyday_test_accuracy": figures["everyday_test_accuracy"],
        "everyday_emoji_accuracy": figures["everyday_emoji_accuracy"],
    }


def mean_sd(values: list[float]) -> dict[str, float]:
    mean = sum(values) / len(values)
    sd = (sum((v - mean) ** 2 for v in values) / (len(values) - 1)) ** 0.5 if len(values) > 1 else 0.0
    return {"mean": round(mean, 4), "sd": round(sd, 4)}


def overrides_named(overrides: dict, against: dict) -> str:
    """How `overrides` differ from the recipe's `against`, as a lever's name."""
    overrides = canonical(overrides)
    changed = [f"{k}={v}" for k, v in sorted(overrides.items()) if against.get(k) != v]
    # a distillation setting left out took its default: named by it ("no distill_alpha" would read as none)
    dropped = [
        f"{k}={getattr(_DEFAULTS, k)} (default)"
        if k.startswith("distill_")
        else f"{k}={BASE_SETTINGS[k]}"  # GloVe, the release's base
        if k in BASE_SETTINGS
        else f"no {k}"
        for k in sorted(against)
        if k not in overrides
    ]
    return ", ".join(changed + dropped)


def flags(row: dict) -> list[str]:
    """The run's tokenizer and data flags (not `--set` overrides), as the report words them."""
    return (
        (["+ the written supplement (data/everyday/train.tsv, 486 texts)"] if row["supplement"] else [])
        + (["emoji as tokens only (no emoji-to-word rules)"] if row.get("emoji_tokens_only") else [])
        + (['"!" and "?" kept as tokens'] if row.get("keep_marks") else [])
    )


def is_recipe(row: dict, overrides: dict = RECIPE_OVERRIDES) -> bool:
    """Whether the run is the recipe itself (or the one of `overrides`): its overrides and no flag."""
    return row_overrides(row) == overrides and not flags(row)


def read_rows(path: Path) -> list[dict]:
    """The runs in `path`, the last row of each name: a run scored again replaces its earlier row."""
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return list({row["name"]: row for row in rows}.values())


def report(rows: list[dict]) -> dict:
    """The recipe's figures over seeds, and each lever as the paired difference (seed by seed) it made,
    against the recipe of its time: with the teacher's vectors, with a teacher and GloVe, or without one."""
    point = f"neutral_recall_{EVERYDAY_SETTINGS['neutral_recall']}"
    recipe = {r["seed"]: r for r in rows if is_recipe(r)}
    if not recipe:
        sys.exit(f"no run of the recipe ({RECIPE_OVERRIDES}) in {RESULTS}")
    recipe_figures, glove_figures, undistilled_figures = (
        {r["seed"]: flat(r[point]) for r in rows if is_recipe(r, baseline)} for baseline in BASELINES
    )
    keys = next(iter(recipe_figures.values())).keys()
    levers = []

    def lever(name: str, figures: dict[int, dict], against: dict[int, dict] = recipe_figures) -> None:
        seeds = sorted(set(figures) & set(against))
        if seeds:
            change = {k: mean_sd([figures[s][k] - against[s][k] for s in seeds]) for k in keys}
            levers.append({"lever": name, "seeds": len(seeds), "change": change})

    lever("no neutral shift (neutral's logit as trained)", {s: flat(r["unshifted"]) for s, r in recipe.items()})
    other_point = "neutral_recall_0.7"
    lever("neutral recall 0.7 instead of 0.6", {s: flat(r[other_point]) for s, r in recipe.items() if other_point in r})
    lever("GloVe instead of the teacher's vectors (the recipe of issue 29's sixth screen)", glove_figures)
    lever("no distillation and GloVe (the recipe before issue 29)", undistilled_figures)
    # every other setting screened, named by how it differs from its recipe, in the order first run
    named: dict[str, tuple[dict[int, dict], dict[int, dict]]] = {}
    for r in rows:
        overrides = row_overrides(r)
        if any(is_recipe(r, baseline) for baseline in BASELINES):
            continue
        if "teacher" not in overrides:
            against, base, era = UNDISTILLED_OVERRIDES, undistilled_figures, "before distillation: "
        elif "pretrained_vectors" not in overrides:
            against, base, era = GLOVE_DISTILLED_OVERRIDES, glove_figures, "distilled, with GloVe: "
        else:
            against, base, era = RECIPE_OVERRIDES, recipe_figures, ""
        name = "; ".join(filter(None, [overrides_named(overrides, against), *flags(r)]))
        if name:
            named.setdefault(era + name, ({}, base))[0][r["seed"]] = flat(r[point])
    for name, (figures, base) in named.items():
        lever(name, figures, base)
    return {
        "settings": EVERYDAY_SETTINGS,
        "recipe_overrides": RECIPE_OVERRIDES,
        "seeds": sorted(recipe),
        "recipe": {k: mean_sd([f[k] for f in recipe_figures.values()]) for k in keys},
        "levers": levers,
        "note": "GoEmotions and dair-ai validation figures; the neutral shift is fitted on GoEmotions validation; "
        "levers named 'before distillation' are measured against the recipe without a teacher, those named "
        "'distilled, with GloVe' against the distilled recipe before the teacher's vectors",
    }


def build_parser() -> argparse.ArgumentParser:
    """The command line of the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "emotion"))
    parser.add_argument("--goemotions", default=str(ROOT.parent / "shared" / "data" / "goemotions"))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--supplement", action="store_true", help="add data/everyday/train.tsv to training")
    parser.add_argument(
        "--emoji-tokens-only",
        action="store_true",
        help="no emoji-to-word rules: every emoji a token (issue 13's item 3)",
    )
    parser.add_argument(
        "--keep-marks", action="store_true", help='keep "!" and "?" as tokens instead of deleting them (fifth screen)'
    )
    parser.add_argument(
        "--set", nargs="*", default=[], metavar="NAME=VALUE", help="TrainConfig settings; lists comma-separated"
    )
    parser.add_argument("--work-dir", default="/tmp/everyday")
    parser.add_argument(
        "--score-model",
        help="score this train-only model folder instead of training one (a recorded neutral shift is undone first)",
    )
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument(
        "--report", action="store_true", help=f"summarise {RESULTS.name} into {EVERYDAY_SELECTION.name}"
    )
    return parser


def write_report(out: Path) -> None:
    """`--report`: the runs in `out` (the last row of each name) summarised into everyday.json, and printed."""
    EVERYDAY_SELECTION.write_text(json.dumps(report(read_rows(out)), indent=2) + "\n")
    print(EVERYDAY_SELECTION.read_text())


def apply_tokenizer_levers(args: argparse.Namespace) -> None:
    """`--emoji-tokens-only` and `--keep-marks`: change the normaliser training will build."""
    if args.emoji_tokens_only:
        import emotion_bilstm.tokenizer

        emotion_bilstm.tokenizer.EMOJI_WORDS.clear()  # build_normalizer reads it when training builds the tokenizer
    if args.keep_marks:
        keep_marks()


def run_name(args: argparse.Namespace, overrides: dict) -> str:
    """The run's name in everyday.jsonl: its overrides and flags, then its seed."""
    flags = (
        (["supplement"] if args.supplement else [])
        + (["emoji-tokens-only"] if args.emoji_tokens_only else [])
        + (["keep-marks"] if args.keep_marks else [])
    )
    name = "-".join([f"{k}={v}" for k, v in sorted(overrides.items())] + flags)
    return f"{name or 'recipe'}-seed{args.seed}"


def train_setting(args: argparse.Namespace, overrides: dict, output: Path) -> None:
    """Train the release's settings plus `overrides` on the train splits (GoEmotions added) into `output`."""
    settings = {**BASE_SETTINGS, **overrides}
    settings["add_data"] = [args.goemotions] + ([str(EVERYDAY_TRAIN)] if args.supplement else [])
    config = TrainConfig(
        data=args.data, output_dir=str(output), seed=args.seed, keep_last=True, overwrite=True, **settings
    )
    train(config, log=lambda m: print(m, file=sys.stderr, flush=True), show_progress=False)


def score_operating_points(args: argparse.Namespace, output: Path) -> dict:
    """The model in `output` scored as trained, then at each of NEUTRAL_RECALLS (its neutral shift fitted on
    GoEmotions validation's neutral comments)."""
    model = unshifted(output)
    figures = {"unshifted": score(model, Path(args.data), Path(args.goemotions))}
    from emotion_bilstm.data.goemotions import read
    from emotion_bilstm.operating_point import label_offset_for_recall, shift_label_logit

    neutral = [text for text, names in read(args.goemotions)["validation"] if names == ("neutral",)]
    for recall in NEUTRAL_RECALLS:
        shifted = unshifted(output)
        offset = label_offset_for_recall(shifted, neutral, "neutral", recall)
        shift_label_logit(shifted, "neutral", offset)
        figures[f"neutral_recall_{recall}"] = {
            "offset": round(offset, 4),
            **score(shifted, Path(args.data), Path(args.goemotions)),
        }
    return figures


def append_row(args: argparse.Namespace, name: str, overrides: dict, seconds: float, figures: dict) -> None:
    """The run's JSON line: printed, and appended to `--out`."""
    row = {
        "name": name,
        "seed": args.seed,
        "overrides": overrides,
        "supplement": args.supplement,
        "emoji_tokens_only": args.emoji_tokens_only,
        "keep_marks": args.keep_marks,
        "seconds": round(seconds),
        **figures,
    }
    print(json.dumps(row), flush=True)
    with open(args.out, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(row) + "\n")


def main() -> None:
    parser = build_parser()
    args = parser.parse_args()
    if not sys.stderr.isatty():  # a log: no `datasets` progress bars in it
        os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    if args.report:
        write_report(Path(args.out))
        return
    torch.set_num_threads(1)
    apply_tokenizer_levers(args)
    try:
        overrides = parse_overrides(args.set)
    except EmotionBiLSTMError as exc:
        parser.error(str(exc))
    name = run_name(args, overrides)
    output = Path(args.score_model or Path(args.work_dir) / name)
    started = time.perf_counter()
    if not args.score_model:
        train_setting(args, overrides, output)
    figures = score_operating_points(args, output)
    append_row(args, name, overrides, time.perf_counter() - started, figures)


if __name__ == "__main__":
    main()
