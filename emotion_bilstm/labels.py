"""The six emotions and their fixed ids (the order of the `dair-ai/emotion` Hub dataset)."""

from __future__ import annotations

LABELS: tuple[str, ...] = ("sadness", "joy", "love", "anger", "fear", "surprise")
NUM_LABELS = len(LABELS)
ID2LABEL: dict[int, str] = dict(enumerate(LABELS))
LABEL2ID: dict[str, int] = {name: i for i, name in ID2LABEL.items()}


def label_to_id(raw: object) -> int:
    """Turn a label given as a name ("joy"), an id (1) or an id written as text ("1") into its id.

    Raises ValueError with a message fit for a user when the label is not one of the six.
    """
    if isinstance(raw, bool):  # bool is an int subclass; True is never a label
        raise ValueError(f"unknown label {raw!r}")
    if isinstance(raw, int) or (isinstance(raw, float) and raw.is_integer()):
        label_id = int(raw)
        if 0 <= label_id < NUM_LABELS:
            return label_id
        raise ValueError(f"label id {label_id} out of range 0-{NUM_LABELS - 1}")
    if isinstance(raw, str):
        name = raw.strip().lower()
        if name in LABEL2ID:
            return LABEL2ID[name]
        if name.lstrip("-").isdigit():
            return label_to_id(int(name))
        if not name:
            raise ValueError("empty label")
    raise ValueError(f"unknown label {raw!r} (expected one of {', '.join(LABELS)} or an id 0-{NUM_LABELS - 1})")
