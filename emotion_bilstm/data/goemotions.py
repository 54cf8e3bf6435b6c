"""GoEmotions (Demszky et al., 2020): real Reddit comments, human-labelled with 27 emotions or `neutral`.

dair-ai/emotion texts nearly all read "i feel <emotion word>", so a model trained on them alone
learns a word -> label table and misses emotions told through a situation. GoEmotions is the real,
human-labelled text that teaches the rest. This module reads it (the TSV files of the Google
Research release, or the Hub dataset `google-research-datasets/go_emotions`, configuration
`simplified`) and maps its 28 labels onto the default model's seven.

The mapping, and why (chosen on GoEmotions and dair-ai validation, experiments/EVERYDAY.md):
- A comment is kept when every one of its labels maps, and all to the same label; comments
  with an unmapped label or with labels of two of our emotions are left out, rather than guessed.
  With `keep_partly_mapped` (`--keep-partly-mapped`), the unmapped labels are ignored instead
  ("admiration, joy" is joy): 37% more emotional comments for training.
- `neutral` comments are kept only when `neutral` is their sole label.
- The labels that are left out (approval, admiration, gratitude, curiosity, desire, ...) are not
  one of our emotions: folding them into joy or love would teach that "thanks!" is love.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterable, Mapping
from pathlib import Path

from ..errors import DataError, first_line

HUB_ID = "google-research-datasets/go_emotions"
HUB_CONFIG = "simplified"
# The order of the Hub dataset's `labels` feature and of the release's emotions.txt / labels.txt.
LABELS: tuple[str, ...] = (
    "admiration", "amusement", "anger", "annoyance", "approval", "caring", "confusion", "curiosity", "desire",
    "disappointment", "disapproval", "disgust", "embarrassment", "excitement", "fear", "gratitude", "grief", "joy",
    "love", "nervousness", "optimism", "pride", "realization", "relief", "remorse", "sadness", "surprise", "neutral",
)  # fmt: skip
# What the held-back GoEmotions figures are scored with (issue 13): single-label comments whose label
# is one of these. Figures on GoEmotions validation in this project use it too, so they compare.
EVALUATION_MAPPING: dict[str, str] = {
    "sadness": "sadness",
    "grief": "sadness",
    "joy": "joy",
    "excitement": "joy",
    "love": "love",
    "anger": "anger",
    "annoyance": "anger",
    "fear": "fear",
    "nervousness": "fear",
    "surprise": "surprise",
}
# The training mapping of the default model (see the module docstring).
DEFAULT_MAPPING: dict[str, str] = {**EVALUATION_MAPPING, "neutral": "neutral"}
SPLIT_FILES = {"train": "train.tsv", "validation": "dev.tsv", "test": "test.tsv"}

Comment = tuple[str, tuple[str, ...]]  # text and its GoEmotions label names


def is_goemotions_folder(path: str | os.PathLike) -> bool:
    """A folder laid out like the Google Research release: train.tsv (id-labelled rows) and labels.txt."""
    folder = Path(path)
    return folder.is_dir() and (folder / "train.tsv").is_file() and (folder / "labels.txt").is_file()


def read_folder(folder: str | os.PathLike) -> dict[str, list[Comment]]:
    """The splits present in `folder` (train.tsv, dev.tsv, test.tsv: `text<TAB>ids<TAB>comment id`)."""
    folder = Path(folder)
    names = tuple((folder / "labels.txt").read_text(encoding="utf-8").split())
    if names != LABELS:
        raise DataError(f"{folder / 'labels.txt'}: not the 28 GoEmotions labels in their published order")
    splits: dict[str, list[Comment]] = {}
    for split, file_name in SPLIT_FILES.items():
        path = folder / file_name
        if not path.is_file():
            continue
        rows: list[Comment] = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            fields = line.split("\t")
            if len(fields) < 2 or not fields[0].strip():
                raise DataError(f"{path}:{number}: expected 'text<TAB>label ids<TAB>comment id'")
            try:
                label_names = tuple(names[int(i)] for i in fields[1].split(","))
            except (ValueError, IndexError):
                raise DataError(f"{path}:{number}: label ids {fields[1]!r} are not ids 0-{len(names) - 1}") from None
            rows.append((fields[0], label_names))
        splits[split] = rows
    return splits


def read_hub(dataset_id: str = HUB_ID, config: str = HUB_CONFIG) -> dict[str, list[Comment]]:
    """The Hub dataset's splits; its `labels` column is a list of ids into a `ClassLabel`'s names."""
    from datasets import load_dataset

    try:
        hub = load_dataset(dataset_id, config)
    except Exception as exc:  # offline, unknown repo: one line for the user
        raise DataError(f"{dataset_id} (config {config!r}): could not be loaded: {first_line(exc)}") from exc
    return from_datasets(hub)


def from_datasets(splits: Mapping) -> dict[str, list[Comment]]:
    """Comments from `datasets` splits with `text` and `labels` (a Sequence of ClassLabel) columns."""
    out: dict[str, list[Comment]] = {}
    for split_name, split in splits.items():
        name = "validation" if split_name in ("validation", "dev") else split_name
        names = split.features["labels"].feature.names
        out[name] = [
            (text, tuple(names[i] for i in ids)) for text, ids in zip(split["text"], split["labels"], strict=True)
        ]
    return out


def read(source: str | os.PathLike) -> dict[str, list[Comment]]:
    """GoEmotions from a folder of the release's TSV files, or from the Hub by dataset id."""
    if is_goemotions_folder(source):
        return read_folder(source)
    if Path(source).exists():
        raise DataError(f"{source}: not a GoEmotions folder (expected train.tsv and labels.txt)")
    return read_hub(str(source))


def mapped_splits(
    source: str | os.PathLike,
    neutral_limit: int | None = None,
    seed: int = 42,
    mapping: Mapping[str, str] | None = None,
    keep_partly_mapped: bool = False,
) -> dict[str, list[tuple[str, str]]]:
    """Each split of `source` as (text, label) rows under `mapping` (default: `DEFAULT_MAPPING`).

    Training keeps at most `neutral_limit` neutral comments (a seeded sample); validation keeps them all.
    """
    mapping = mapping or DEFAULT_MAPPING
    splits = {name: map_comments(rows, mapping, keep_partly_mapped) for name, rows in read(source).items()}
    splits["train"] = limit_label(splits["train"], "neutral", neutral_limit, seed)
    return splits


def label_vectors(source: str | os.PathLike, split_names: Iterable[str] = ("train",)) -> list[tuple[str, list[float]]]:
    """Every comment of the named splits with a 0/1 per GoEmotions label (`LABELS` order), none left out.

    The targets of `--goemotions-auxiliary-weight`: the whole of the real text, where the mapping
    keeps about a third of it.
    """
    splits = read(source)
    comments = [comment for split in split_names for comment in splits.get(split, [])]
    return [(text, [float(label in names) for label in LABELS]) for text, names in comments]


def map_comments(
    comments: Iterable[Comment], mapping: Mapping[str, str], keep_partly_mapped: bool = False
) -> list[tuple[str, str]]:
    """(text, label) for each comment whose labels all map, and all to the same label; others are left out.

    `keep_partly_mapped` ignores the labels that do not map, except beside `neutral`: a comment is neutral
    only when `neutral` is its one label ("neutral, approval" says the rater saw something).
    """
    mapped = []
    for text, names in comments:
        targets = {mapping.get(name) for name in names}
        if keep_partly_mapped and "neutral" not in names:
            targets.discard(None)
        if len(targets) == 1 and None not in targets:
            mapped.append((text, targets.pop()))
    return mapped


def limit_label(rows: list[tuple[str, str]], label: str, keep: int | None, seed: int) -> list[tuple[str, str]]:
    """Keep at most `keep` rows of `label` (a seeded random sample), all rows of every other label.

    GoEmotions has more neutral comments (12,823 single-label in train) than all our emotions
    together; trained on all of them, neutral swamps the emotions (issue 13).
    """
    if keep is None:
        return rows
    chosen = [i for i, (_, name) in enumerate(rows) if name == label]
    random.Random(seed).shuffle(chosen)
    dropped = set(chosen[keep:])
    return [row for i, row in enumerate(rows) if i not in dropped]
