"""Labelled datasets: reading them (`loading`), checking them (`data_check`), cleaning them (`hygiene`),
GoEmotions (`goemotions`) and robustness sets (`robustness`).

The names other modules import from `emotion_bilstm.data` are re-exported here. Nothing here imports
`datasets`: the functions import it when they run, so that `emo-cli --help` stays fast.
"""

from .loading import (
    SOURCE_COLUMN,
    LabelSet,
    UnseenLabelError,
    check_quotes,
    find_split_files,
    is_multi_label,
    label_names,
    load_evaluation_split,
    load_file,
    load_splits,
    read_raw_rows,
)

__all__ = [
    "SOURCE_COLUMN",
    "LabelSet",
    "UnseenLabelError",
    "check_quotes",
    "find_split_files",
    "is_multi_label",
    "label_names",
    "load_evaluation_split",
    "load_file",
    "load_splits",
    "read_raw_rows",
]
