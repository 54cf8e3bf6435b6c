"""Label sets: the default six (dair-ai/emotion's order) and how a dataset's own labels get their ids.

The label set of a model is read from its training data (see `choose_labels`) and stored in its
config.json (`id2label`); everything downstream reads it from there. The rule for the ids:

1. `--labels a,b,c` (or a Hub dataset's `ClassLabel` names) fixes the set and its order: ids 0..n-1.
2. Otherwise, when every label is one of the default six or `neutral`, the set is the default six
   in dair-ai/emotion's order (sadness 0, joy 1, love 2, anger 3, fear 4, surprise 5), plus
   `neutral` as id 6 when it occurs. A file holding only some of the six still gets dair-ai's ids.
3. Otherwise the labels that occur: known emotion names first in the order of `CANONICAL`, then
   every other name sorted alphabetically. The order never depends on the order of the rows.

A label written as a bare integer ("3") is an id: into the `--labels` set when given, otherwise into
the default six (so 0..5 only); integer labels for any other set need names (`--labels`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

LABELS: tuple[str, ...] = ("sadness", "joy", "love", "anger", "fear", "surprise")
NUM_LABELS = len(LABELS)
ID2LABEL: dict[int, str] = dict(enumerate(LABELS))
LABEL2ID: dict[str, int] = {name: i for i, name in ID2LABEL.items()}
NEUTRAL = "neutral"
# Known emotion names in the order their ids take when they occur: the six, then neutral (issue 13's id 6).
CANONICAL: tuple[str, ...] = (*LABELS, NEUTRAL)


def label_to_id(raw: object, labels: Sequence[str] = LABELS) -> int:
    """Turn a label given as a name ("joy"), an id (1) or an id written as text ("1") into its id in `labels`.

    Raises ValueError with a message fit for a user when the label is not in `labels`.
    """
    if isinstance(raw, bool):  # bool is an int subclass; True is never a label
        raise ValueError(f"unknown label {raw!r}")
    as_id = integer_label(raw)
    if as_id is not None:
        if 0 <= as_id < len(labels):
            return as_id
        raise ValueError(f"label id {as_id} out of range 0-{len(labels) - 1}")
    if isinstance(raw, str):
        name = normalise_name(raw)
        if not name:
            raise ValueError("empty label")
        for index, known in enumerate(labels):
            if known == name:
                return index
    shown = ", ".join(labels) if len(labels) <= 12 else ", ".join(labels[:12]) + ", ..."
    raise ValueError(f"unknown label {raw!r} (expected one of {shown} or an id 0-{len(labels) - 1})")


def normalise_name(raw: str) -> str:
    """Label names compare trimmed and lower-cased: "Joy " and "joy" are one label."""
    return raw.strip().lower()


def integer_label(raw: object) -> int | None:
    """The id a label written as an integer (3, 3.0, "3", "-1") stands for, or None for a name."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str):
        text = raw.strip()
        if text.lstrip("-").isdigit():
            return int(text)
    return None


def order_names(names: Iterable[str]) -> list[str]:
    """Rule 2 and 3 of the module docstring: the ordered label set for the distinct names found in data."""
    found = set(names)
    if found <= set(CANONICAL):
        return [*LABELS, *([NEUTRAL] if NEUTRAL in found else [])]
    known = [name for name in CANONICAL if name in found]
    return known + sorted(found - set(CANONICAL))


def parse_label_list(text: str) -> list[str]:
    """`--labels a,b,c` as a list; refuses empty, repeated and integer-looking names (ids need names)."""
    names = [normalise_name(part) for part in text.split(",")]
    if any(not name for name in names):
        raise ValueError(f"--labels {text!r} holds an empty name")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"--labels {text!r} names {', '.join(repeated)} more than once")
    numeric = [name for name in names if integer_label(name) is not None]
    if numeric:
        raise ValueError(f"--labels {text!r}: {numeric[0]} is a number; labels need names (ids are their positions)")
    if len(names) < 2:
        raise ValueError(f"--labels {text!r}: a classifier needs at least two labels")
    return names
