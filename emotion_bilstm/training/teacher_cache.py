"""The teacher's outputs, computed once and kept beside the run: CHECKPOINTS/teacher/outputs.safetensors.

Running a transformer over every training, validation and transfer text is the slow part of
distillation (minutes to an hour on a CPU), so its outputs are cached in the checkpoint folder:
`log_probs` (texts x student labels, float32: the teacher's log-probabilities folded onto the
student's labels, before any neutral shift, at temperature 1) and `text_sha256` (texts x 32 bytes:
the sha256 of each text as the teacher read it). The file's metadata holds a key: a hash of the
teacher's fingerprint, the label fold and the format, so `--resume` and a re-run with the same teacher
reuse every row, new texts (other data, more transfer text) are computed alone, and another teacher
or label map recomputes everything. The file is rewritten (atomically) only when a row was computed, or
when its metadata predates what `cache_about` records now.

The metadata also records the teacher's and the student's labels and the fold, so such a file is enough
to train from without the teacher or `transformers` (`--teacher FILE`: `outputs_file`, `recorded_teacher`,
`outputs_from_file`); that is how a release is trained from the outputs committed in data/teachers/.

Under `accelerate launch` the main process computes and writes first; the others then read the file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..atomic import replacing
from ..errors import EmotionBiLSTMError, first_line, writing
from .checkpoint import TEACHER_FOLDER
from .teacher_labels import LabelFold

CACHE_NAME = "outputs.safetensors"
FORMAT = 1  # bumped when what a row means changes: old caches are then recomputed


def cache_path(checkpoint_dir: Path) -> Path:
    return checkpoint_dir / TEACHER_FOLDER / CACHE_NAME


def cache_key(fingerprint: str, fold: LabelFold) -> str:
    """What a cached row depends on besides its text: the teacher's files, the fold and the format."""
    described = {
        "format": FORMAT,
        "fingerprint": fingerprint,
        "teacher_labels": fold.teacher_labels,
        "student_labels": fold.student_labels,
        "targets": fold.targets,
    }
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()


def text_hash(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def read_cache(path: Path, key: str, say: Callable[[str], None]) -> tuple[dict[bytes, torch.Tensor], dict[str, str]]:
    """The cached rows by text hash and the file's metadata, or none when the file is missing, another
    teacher's, or unreadable."""
    if not path.is_file():
        return {}, {}
    try:
        rows, metadata = read_rows(path)
    except Exception as exc:  # a cut-off or foreign file is recomputed, never trusted
        say(f"teacher: {path} cannot be read ({first_line(exc)}): computing the outputs anew")
        return {}, {}
    if metadata.get("key") != key:
        say(f"teacher: {path} holds another teacher's (or label map's) outputs: computing them anew")
        return {}, {}
    return rows, metadata


def read_rows(path: Path) -> tuple[dict[bytes, torch.Tensor], dict[str, str]]:
    """A cache file's rows by text hash and its metadata (raises what safetensors raises)."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as handle:
        metadata = handle.metadata() or {}
        log_probs, hashes = handle.get_tensor("log_probs"), handle.get_tensor("text_sha256")
    return {bytes(h.tolist()): row for h, row in zip(hashes, log_probs, strict=True)}, metadata


def write_cache(path: Path, rows: dict[bytes, torch.Tensor], key: str, about: dict[str, str]) -> None:
    """The rows (hash -> log-probabilities) as one safetensors file, replaced atomically."""
    from safetensors.torch import save_file

    hashes = list(rows)
    tensors = {
        "log_probs": torch.stack([rows[h] for h in hashes]).contiguous(),
        "text_sha256": torch.tensor([list(h) for h in hashes], dtype=torch.uint8),
    }
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        with replacing(path) as temporary:
            save_file(tensors, str(temporary), metadata={"key": key, **about})


def cached_outputs(
    texts: list[str],
    path: Path,
    key: str,
    compute: Callable[[list[str]], torch.Tensor],
    accelerator: Any,
    say: Callable[[str], None],
    about: dict[str, str],
) -> tuple[torch.Tensor, int]:
    """Each text's cached row (texts x labels), `compute` run by the main process on the texts not cached.

    Returns the rows and how many texts were computed (0: all reused). Only the main process computes
    and writes; the others read the file once it is written. A file written before `about` held what it
    holds now (the labels and fold, which training from the file alone needs) is rewritten with it.
    """
    hashes = [text_hash(text) for text in texts]
    with accelerator.main_process_first():
        rows, metadata = read_cache(path, key, say)
        wanted = dict(zip(hashes, texts, strict=True))  # one row per distinct text
        missing = [h for h in wanted if h not in rows]
        if missing and not accelerator.is_main_process:
            raise EmotionBiLSTMError(f"teacher: {path} lacks outputs the main process should have written")
        if missing:
            computed = compute([wanted[h] for h in missing])
            rows = {h: rows[h] for h in wanted if h in rows} | dict(zip(missing, computed, strict=True))
            write_cache(path, rows, key, about)
            say(f"teacher: computed {len(missing)} output(s), reused {len(wanted) - len(missing)}; cached in {path}")
        else:
            say(f"teacher: reused all {len(wanted)} cached output(s) from {path}")
            if accelerator.is_main_process and not about.keys() <= metadata.keys():
                write_cache(path, rows, key, about)
    return torch.stack([rows[h] for h in hashes]), len(missing)


def cache_about(teacher: str, fingerprint: str, fold: LabelFold) -> dict[str, str]:
    """Metadata for someone reading the file, and for training from it alone: which teacher, by which
    fingerprint, its labels, the student's (JSON lists, id order) and the fold between them (JSON)."""
    return {
        "teacher": teacher,
        "fingerprint": fingerprint,
        "format": str(FORMAT),
        "teacher_labels": json.dumps(list(fold.teacher_labels)),
        "student_labels": json.dumps(list(fold.student_labels)),
        "label_fold": json.dumps(fold.describe()),
    }


# ----- training from a teacher's outputs alone (`--teacher FILE`) -------------------------------------


@dataclass(frozen=True)
class RecordedTeacher:
    """What a teacher-outputs file says of the teacher that wrote it: name, fingerprint and label fold."""

    path: Path
    teacher: str
    fingerprint: str
    fold: LabelFold


def outputs_file(teacher: str) -> Path | None:
    """The teacher-outputs file `--teacher` names, or None where it names a teacher (a folder or a Hub id).

    A file is one; so is a folder that holds `outputs.safetensors` and no config.json (`data/teachers/NAME`).
    """
    path = Path(teacher).expanduser()
    if path.is_file():
        return path
    if path.is_dir() and not (path / "config.json").exists() and (path / CACHE_NAME).is_file():
        return path / CACHE_NAME
    return None


def recorded_teacher(path: Path) -> RecordedTeacher:
    """The teacher and fold a teacher-outputs file records, refused in one line where its metadata
    predates the labels being recorded, is not what `cache_about` writes, or does not give its key."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
    except Exception as exc:  # not safetensors, cut off: one line
        raise EmotionBiLSTMError(f"--teacher {path}: not a teacher-outputs file ({first_line(exc)})") from None
    if "student_labels" not in metadata:
        raise EmotionBiLSTMError(
            f"--teacher {path}: its metadata does not record the student's labels (written before they were): "
            "run once with the teacher itself, whose cache (OUTPUT_DIR.checkpoints/teacher/) is then rewritten "
            "with them"
        )
    try:
        teacher_labels, student_labels = json.loads(metadata["teacher_labels"]), json.loads(metadata["student_labels"])
        described = json.loads(metadata["label_fold"])
        targets = _targets(teacher_labels, student_labels, described["groups"])
        fold = LabelFold(tuple(teacher_labels), tuple(student_labels), targets, bool(described["goemotions_folded"]))
        recorded = RecordedTeacher(path, metadata["teacher"], metadata["fingerprint"], fold)
    except (KeyError, TypeError, ValueError) as exc:
        raise EmotionBiLSTMError(
            f"--teacher {path}: its metadata is not a teacher cache's ({first_line(exc)})"
        ) from None
    if metadata.get("key") != cache_key(recorded.fingerprint, fold):
        raise EmotionBiLSTMError(f"--teacher {path}: its metadata (teacher, labels, fold) does not give its key")
    return recorded


def _targets(
    teacher_labels: list[str], student_labels: list[str], groups: dict[str, list[str]]
) -> tuple[int | None, ...]:
    """Each teacher label's student label index (None: dropped), from the fold's groups (by name, as
    fold_labels maps by name)."""
    index = {teacher: student_labels.index(student) for student, sources in groups.items() for teacher in sources}
    return tuple(index.get(name) for name in teacher_labels)


def outputs_from_file(texts: list[str], recorded: RecordedTeacher) -> torch.Tensor:
    """Each text's row (texts x labels) from the file alone, refused in one line if any text has none.

    The file is only read: it is the user's (or a committed) file. Nothing is copied into the run's
    checkpoint folder either, since `--resume` names the same file and reads it again.
    """
    try:
        rows, _ = read_rows(recorded.path)
    except Exception as exc:  # cut off after its header was read
        raise EmotionBiLSTMError(f"--teacher {recorded.path}: cannot be read ({first_line(exc)})") from None
    hashes = [text_hash(text) for text in texts]
    wanted = set(hashes)
    missing = len(wanted - rows.keys())
    if missing:
        raise EmotionBiLSTMError(
            f"--teacher {recorded.path}: no teacher outputs for {missing} of the {len(wanted)} texts this run "
            "needs (training, transfer, validation): run with the teacher itself (--teacher ITS_FOLDER), whose "
            "cache in OUTPUT_DIR.checkpoints/teacher/ then covers them"
        )
    return torch.stack([rows[h] for h in hashes])
