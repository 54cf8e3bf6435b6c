"""Where the validation errors are: texts whose emotion word carries two labels in train itself.

The dataset's labels come from the hashtags authors used, and most texts say "i feel WORD". For
each WORD right after "feel" (past a few intensifiers), count the labels it carries across train;
then split validation by how single-minded train is about its WORD and count a model's errors in
each group. Only train and validation are read.

Usage: python experiments/keyword_ambiguity.py MODEL_DIR [--min-count 10]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))  # release_model lives in scripts/

from release_model import read_split

from emotion_bilstm.model import EmotionBiLSTM

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "emotion"
FEEL_WORD = re.compile(
    r"\bfe(?:el|eling|elings|lt)\s+(?:(?:so|very|really|quite|more|less|pretty|extremely|incredibly|rather|too"
    r"|somewhat|slightly|a bit|a little|kind of)\s+)?(\w+)"
)
# Words that follow "feel" without naming an emotion ("i feel like ...", "i feel that ...").
NOT_EMOTIONS = frozenset(
    "like that the a it as i so this my about more for and to when was in of an is me be you its im all".split()  # noqa: SIM905
)


def feel_word(text: str) -> str | None:
    match = FEEL_WORD.search(text)
    return match.group(1) if match and match.group(1) not in NOT_EMOTIONS else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model_dir")
    parser.add_argument("--min-count", type=int, default=10)
    args = parser.parse_args()
    labels_of: dict[str, Counter] = defaultdict(Counter)
    for text, label in zip(*read_split(DATA / "train.txt"), strict=True):
        if (word := feel_word(text)) is not None:
            labels_of[word][label] += 1
    validation = list(zip(*read_split(DATA / "validation.txt"), strict=True))
    model = EmotionBiLSTM.from_pretrained(args.model_dir)
    predicted = [p["label"] for p in model.predict([text for text, _ in validation])]
    groups: dict[str, list[tuple[bool, float]]] = defaultdict(list)
    for (text, gold), label in zip(validation, predicted, strict=True):
        counts = labels_of.get(feel_word(text) or "")
        if not counts or sum(counts.values()) < args.min_count:
            groups["no frequent emotion word after 'feel'"].append((label != gold, float("nan")))
            continue
        share = max(counts.values()) / sum(counts.values())
        group = "word with one label in train (>= 90%)" if share >= 0.9 else "word split between labels in train"
        groups[group].append((label != gold, share))
    total_errors = sum(wrong for rows in groups.values() for wrong, _ in rows)
    for group, rows in groups.items():
        errors = sum(wrong for wrong, _ in rows)
        shares = [share for _, share in rows if share == share]
        top = f", its top label's share in train {statistics.mean(shares):.2f}" if shares else ""
        print(
            f"{group}: {len(rows)} texts, {errors} errors ({100 * errors / len(rows):.1f}%; "
            f"{100 * errors / total_errors:.0f}% of all errors){top}"
        )


if __name__ == "__main__":
    main()
