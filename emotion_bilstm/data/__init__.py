"""Labelled datasets: reading them into train / validation / test splits, and the tools around them.

Reading: `loading` (load_splits, load_file, ...) joins what `sources` reads (a folder, a file, a Hub
id) in the `formats` of split files, checked row by row in `raw_split` against a `label_set`.
Around it: `goemotions` (the GoEmotions release and its mapping), `hygiene` (duplicates and leaks
dropped before training), `data_check` (`emo-cli data check`) and `robustness` (perturbed and
real-text figures for a trained model).

The public names of the old `data.py` are re-exported here, so `from emotion_bilstm.data import
load_splits` keeps working. Nothing imported here imports `datasets` or torch (the functions import
`datasets` when they run), so modules that import this package at start-up stay fast.
"""

from .formats import (
    FORMATS,
    LABEL_COLUMNS,
    SPLIT_NAMES,
    TEXT_COLUMNS,
    check_quotes,
    find_split_files,
    read_raw_rows,
)
from .label_set import LabelSet, UnseenLabelError, is_multi_label, label_names, split_multi, used_ids
from .loading import SOURCE_COLUMN, carve_validation, load_evaluation_split, load_file, load_splits
from .raw_split import RawSplit, read_raw_split
from .sources import HUB_DATASET, load_hub, read_source

__all__ = [
    "FORMATS",
    "HUB_DATASET",
    "LABEL_COLUMNS",
    "SOURCE_COLUMN",
    "SPLIT_NAMES",
    "TEXT_COLUMNS",
    "LabelSet",
    "RawSplit",
    "UnseenLabelError",
    "carve_validation",
    "check_quotes",
    "find_split_files",
    "is_multi_label",
    "label_names",
    "load_evaluation_split",
    "load_file",
    "load_hub",
    "load_splits",
    "read_raw_rows",
    "read_raw_split",
    "read_source",
    "split_multi",
    "used_ids",
]
