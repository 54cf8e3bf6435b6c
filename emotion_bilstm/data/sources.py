"""What a `--data` or `--add-data` argument names, read into raw splits: a folder, one file, or a Hub id.

GoEmotions (its release folder or Hub id) is recognised and read with `goemotions`; everything else
is split files (`formats`) or a Hub dataset whose `ClassLabel` names are the label set.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..errors import DataError, first_line
from . import goemotions
from .formats import LABEL_COLUMNS, SPLIT_NAMES, find_split_files, read_columns
from .raw_split import RawSplit, read_raw_split

HUB_DATASET = "dair-ai/emotion"
_HUB_ID = re.compile(r"^[\w.-]+/[\w.-]+$")


def read_source(
    data: str | os.PathLike,
    config: str = "split",
    mapped: bool = False,
    neutral_limit: int | None = None,
    seed: int = 42,
    keep_partly_mapped: bool = False,
) -> dict[str, RawSplit]:
    """The splits of one source, as read: a folder, one file, or a Hub dataset id.

    GoEmotions (the release's folder or its Hub id) is read as it is, 28 labels and several per
    comment; `mapped` maps it onto the default labels instead (`goemotions.mapped_splits`), as
    sources added to the default data are.
    """
    path = Path(data)
    is_goemotions = goemotions.is_goemotions_folder(path) or str(data) == goemotions.HUB_ID
    if is_goemotions and mapped:
        return {
            name: RawSplit(Path(f"{data}:{name}"), [text for text, _ in rows], [label for _, label in rows], "row", 1)
            for name, rows in goemotions.mapped_splits(
                data, neutral_limit, seed, keep_partly_mapped=keep_partly_mapped
            ).items()
        }
    if is_goemotions and path.is_dir():  # ids into labels.txt's names, as the Hub's ClassLabel: the same ids both ways
        names = list(goemotions.LABELS)
        return {
            split: RawSplit(
                path / goemotions.SPLIT_FILES[split],
                [text for text, _ in rows],
                [[names.index(label) for label in labels] for _, labels in rows],
                "line",
                1,
                names,
            )
            for split, rows in goemotions.read_folder(path).items()
        }
    if path.is_dir():
        return {name: read_raw_split(file) for name, file in find_split_files(path).items()}
    if path.is_file():
        return {"train": read_raw_split(path)}
    if _HUB_ID.match(str(data)) and not str(data).startswith((".", "/")):
        return load_hub(str(data), config)
    raise DataError(f"{data}: no such file or folder (and not a Hub dataset id like {HUB_DATASET})")


def load_hub(dataset_id: str, config: str) -> dict[str, RawSplit]:
    """Load a Hub dataset (by default `dair-ai/emotion`); its `ClassLabel` names are the label set."""
    from datasets import load_dataset

    try:
        hub = load_dataset(dataset_id, config)
    except Exception as exc:  # offline, unknown repo, unknown config: all one line for the user
        raise DataError(
            f"{dataset_id} (config {config!r}): could not be loaded from the Hub: {first_line(exc)}"
        ) from exc
    splits: dict[str, RawSplit] = {}
    for split_name, split in hub.items():
        name = next((k for k, v in SPLIT_NAMES.items() if split_name in v), None)
        if name is None:
            continue
        source = Path(f"{dataset_id}:{split_name}")
        texts, labels = read_columns(source, split)
        label_column = next(c for c in LABEL_COLUMNS if c in split.column_names)
        feature = split.features.get(label_column)
        # a ClassLabel, or a Sequence/List of ClassLabel (multi-label, as go_emotions' "labels")
        names = getattr(feature, "names", None) or getattr(getattr(feature, "feature", None), "names", None)
        splits[name] = RawSplit(source, texts, labels, "row", 0, list(names) if names is not None else None)
    if "train" not in splits:
        raise DataError(f"{dataset_id}: has no train split")
    return splits
