"""The teacher's labels onto the student's: which teacher probabilities add up to which student label.

A teacher brought from the Hub rarely has the student's labels: j-hartmann's has no `love`, others no
`neutral`, GoEmotions models have 28. Each teacher label maps onto one student label or is dropped:

1. `--teacher-label-map FILE` first: JSON `{"teacher label": "student label"}`, where `null` drops a
   teacher label. It needs to name only the labels the rules below do not settle.
2. By name, case-insensitively: the teacher's `joy` is the student's `joy`.
3. A teacher whose labels are GoEmotions' 28 is folded through the default model's GoEmotions mapping
   (`data/goemotions.py`: grief -> sadness, excitement -> joy, ...); the labels that mapping leaves out
   (admiration, gratitude, ...) are dropped, as they are left out of the training data.

A teacher label settled by none of these is refused, naming it: guessing where its probability goes
would teach the student the guess. So is a student label no teacher label maps onto: the target would
never put mass on it, and the transfer rows would teach the student never to answer it.

The target over the student's labels is the sum of the probabilities of the teacher labels mapped onto
each, renormalised over the labels kept (`fold_log_probs`, in log space).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..data import goemotions
from ..errors import EmotionBiLSTMError
from ..safe_read import parse_json, read_bounded

if TYPE_CHECKING:
    import torch

LABEL_MAP_LIMIT = 1 << 20  # bytes: a label map names labels, never more than this


@dataclass(frozen=True)
class LabelFold:
    """Where each teacher label's probability goes: a student label's index, or None (dropped)."""

    teacher_labels: tuple[str, ...]
    student_labels: tuple[str, ...]
    targets: tuple[int | None, ...]  # one per teacher label
    goemotions: bool  # folded through the GoEmotions mapping

    def groups(self) -> dict[str, list[str]]:
        """Each student label with the teacher labels summed into it (for metrics.json and the log)."""
        return {
            name: [t for t, target in zip(self.teacher_labels, self.targets, strict=True) if target == index]
            for index, name in enumerate(self.student_labels)
        }

    def dropped(self) -> list[str]:
        return [t for t, target in zip(self.teacher_labels, self.targets, strict=True) if target is None]

    def describe(self) -> dict[str, Any]:
        return {"groups": self.groups(), "dropped": self.dropped(), "goemotions_folded": self.goemotions}


def fold_labels(
    teacher_labels: list[str], student_labels: list[str], label_map: str | os.PathLike | None = None
) -> LabelFold:
    """The fold of `teacher_labels` (id order) onto `student_labels`, by the rules of the module docstring.

    Refuses, in one line each, a label map naming unknown labels, a teacher label left unmapped and a
    student label no teacher label maps onto.
    """
    student_index = {name.casefold(): index for index, name in enumerate(student_labels)}
    explicit = _read_label_map(label_map, teacher_labels, student_index) if label_map else {}
    is_goemotions = {name.casefold() for name in teacher_labels} == set(goemotions.LABELS)
    targets: list[int | None] = []
    unmapped: list[str] = []
    for name in teacher_labels:
        key = name.casefold()
        if key in explicit:
            targets.append(explicit[key])
        elif key in student_index:
            targets.append(student_index[key])
        elif is_goemotions:
            folded = goemotions.DEFAULT_MAPPING.get(key)
            targets.append(student_index.get(folded) if folded else None)
        else:
            targets.append(None)
            unmapped.append(name)
    if unmapped:
        raise EmotionBiLSTMError(
            f"--teacher: teacher label(s) {', '.join(unmapped)} match no student label "
            f"({', '.join(student_labels)}); map them with --teacher-label-map FILE "
            '(JSON {"teacher label": "student label", "other": null} to drop one)'
        )
    fold = LabelFold(tuple(teacher_labels), tuple(student_labels), tuple(targets), is_goemotions)
    empty = [name for name, sources in fold.groups().items() if not sources]
    if empty:
        raise EmotionBiLSTMError(
            f"--teacher: no teacher label maps onto student label(s) {', '.join(empty)}, so the teacher would "
            "teach the student never to answer them; map a teacher label onto each with --teacher-label-map FILE"
        )
    return fold


def _read_label_map(
    path: str | os.PathLike, teacher_labels: list[str], student_index: dict[str, int]
) -> dict[str, int | None]:
    """--teacher-label-map's JSON object, by casefolded teacher label: a student label's index, or None."""
    path = Path(path)
    data = read_bounded(path, f"--teacher-label-map {path.parent}", LABEL_MAP_LIMIT)
    raw = parse_json(data, f"--teacher-label-map {path}")
    if not isinstance(raw, dict) or not all(isinstance(v, str) or v is None for v in raw.values()):
        raise EmotionBiLSTMError(
            f'--teacher-label-map {path}: expected a JSON object {{"teacher label": "student label" or null}}'
        )
    known = {name.casefold() for name in teacher_labels}
    strangers = [name for name in raw if name.casefold() not in known]
    if strangers:
        raise EmotionBiLSTMError(
            f"--teacher-label-map {path}: the teacher has no label(s) {', '.join(strangers)} "
            f"(its labels: {', '.join(teacher_labels)})"
        )
    wrong = [value for value in raw.values() if value is not None and value.casefold() not in student_index]
    if wrong:
        raise EmotionBiLSTMError(
            f"--teacher-label-map {path}: the student has no label(s) {', '.join(wrong)} "
            f"(its labels: {', '.join(sorted(student_index, key=student_index.__getitem__))})"
        )
    return {name.casefold(): None if value is None else student_index[value.casefold()] for name, value in raw.items()}


def fold_log_probs(log_probs: torch.Tensor, fold: LabelFold) -> torch.Tensor:
    """(texts, teacher labels) log-probabilities as (texts, student labels): the probabilities of the
    teacher labels mapped onto each student label summed, renormalised over the labels kept."""
    import torch

    mask = torch.zeros(len(fold.teacher_labels), len(fold.student_labels), dtype=log_probs.dtype)
    for teacher_index, target in enumerate(fold.targets):
        if target is not None:
            mask[teacher_index, target] = 1.0
    summed = torch.logsumexp(log_probs[:, :, None] + mask.to(log_probs.device).log()[None], dim=1)
    return summed - torch.logsumexp(summed, dim=1, keepdim=True)
