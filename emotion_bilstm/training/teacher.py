"""The teacher of `--teacher`: a fine-tuned `transformers` sequence classifier, found, fingerprinted and run.

`transformers` is an optional extra (`pip install "emotion-bilstm[teacher]"`), needed only to train with
a teacher: the student it teaches is an ordinary BiLSTM. A teacher is a local folder or a Hub id; a Hub
id is brought into the Hugging Face cache first (only the files below), so both load from one folder,
and that folder's files give the teacher's fingerprint (`fingerprint`). The teacher is loaded only when
some of its outputs are not cached yet (teacher_cache.py), run once over those texts, and freed.
Remote code is never run (`trust_remote_code` stays off).
"""

from __future__ import annotations

import fnmatch
import hashlib
import math
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import EmotionBiLSTMError, first_line
from ..safe_read import parse_json, read_bounded
from .teacher_labels import LabelFold, fold_log_probs

INSTALL_HINT = 'pip install "emotion-bilstm[teacher]"'
CONFIG_LIMIT = 16 << 20  # bytes of a teacher's config.json
# The files a teacher's outputs depend on: its config, weights and tokenizer. Fetched from the Hub and
# hashed into the fingerprint; the rest of a checkpoint folder (optimizer.pt, trainer_state.json) is not.
TEACHER_FILES = (
    "config.json",
    "*.safetensors",
    "*.safetensors.index.json",
    "tokenizer*",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab*",
    "merges.txt",
    "*.model",
)
PYTORCH_WEIGHTS = ("pytorch_model*.bin", "pytorch_model.bin.index.json")  # only where there are no safetensors
MAX_TEACHER_TOKENS = 512
BATCH_SIZE = 64
LOG_EVERY = 5000  # texts between log lines when no progress bar is drawn


def require_transformers() -> None:
    """Refuse `--teacher` in one line, saying how to get it, where `transformers` cannot be imported."""
    try:
        import transformers  # noqa: F401
    except ImportError:
        raise EmotionBiLSTMError(f"--teacher needs the transformers library: {INSTALL_HINT}") from None


def teacher_folder(teacher: str) -> Path:
    """The local folder of `teacher`: the folder itself, or a Hub id's snapshot in the Hugging Face cache."""
    path = Path(teacher).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise EmotionBiLSTMError(
                f"--teacher {teacher}: no config.json in the folder (not a transformers model), "
                "nor an outputs.safetensors of a teacher's outputs"
            )
        return path
    if path.exists() or teacher.startswith((".", "/", "~")) or teacher.count("/") > 1:
        raise EmotionBiLSTMError(
            f"--teacher {teacher}: not a model folder or a Hub id (owner/name), nor a teacher-outputs file"
        )
    from huggingface_hub import snapshot_download

    try:
        folder = Path(snapshot_download(repo_id=teacher, allow_patterns=list(TEACHER_FILES)))
        if not _weight_files(folder):
            folder = Path(snapshot_download(repo_id=teacher, allow_patterns=[*TEACHER_FILES, *PYTORCH_WEIGHTS]))
    except Exception as exc:  # offline, unknown repo, gated: one line for the user
        raise EmotionBiLSTMError(f"--teacher {teacher}: could not be fetched from the Hub: {first_line(exc)}") from exc
    if not (folder / "config.json").is_file():
        raise EmotionBiLSTMError(f"--teacher {teacher}: the Hub repo has no config.json (not a transformers model)")
    return folder


def _weight_files(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if fnmatch.fnmatch(p.name, "*.safetensors") or p.name.endswith(".bin")]


def teacher_labels(folder: Path) -> list[str]:
    """The teacher's labels in id order, from its config.json's id2label (read without transformers)."""
    config = parse_json(read_bounded(folder / "config.json", str(folder), CONFIG_LIMIT), f"{folder}/config.json")
    id2label = config.get("id2label") if isinstance(config, dict) else None
    if not isinstance(id2label, dict) or not id2label:
        raise EmotionBiLSTMError(f"--teacher {folder}: config.json has no id2label: not a sequence classifier")
    try:
        ids = sorted(int(key) for key in id2label)
    except ValueError:
        raise EmotionBiLSTMError(f"--teacher {folder}: config.json's id2label keys are not label ids") from None
    if ids != list(range(len(ids))):
        raise EmotionBiLSTMError(f"--teacher {folder}: config.json's id2label ids are not 0 to {len(ids) - 1}")
    return [str(id2label[str(i)]) for i in ids]


def fingerprint(folder: Path) -> str:
    """sha256 over the names and contents of the files the teacher's outputs depend on (`TEACHER_FILES`).

    Contents, not sizes and times: a teacher copied to another machine or re-downloaded keeps its
    fingerprint, so its cached outputs stay valid (and a release can name the teacher it was taught
    by), while a teacher fine-tuned again in place gets a new one even at the same size. Hashing
    costs about a second per 500 MB of weights, once a run.
    """
    digest = hashlib.sha256()
    patterns = (*TEACHER_FILES, *PYTORCH_WEIGHTS)
    for path in sorted(folder.iterdir()):
        if not path.is_file() or not any(fnmatch.fnmatch(path.name, p) for p in patterns):
            continue
        digest.update(path.name.encode() + b"\0")
        with path.open("rb") as handle:
            for chunk in iter(lambda h=handle: h.read(1 << 20), b""):
                digest.update(chunk)
        digest.update(b"\0")
    return "sha256:" + digest.hexdigest()


def load_teacher(folder: Path) -> tuple[Any, Any]:
    """The teacher's model (in eval mode) and tokenizer: `transformers`' Auto classes, or a mean-pooled head."""
    require_transformers()
    import transformers

    from . import pooled_teacher

    transformers.logging.set_verbosity_error()  # no weight-loading bars or notes on the student's log
    transformers.logging.disable_progress_bar()
    config = parse_json(read_bounded(folder / "config.json", str(folder), CONFIG_LIMIT), f"{folder}/config.json")
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder))
        if isinstance(config, dict) and pooled_teacher.is_mean_pooled(config):
            model = pooled_teacher.MeanPooledClassifier.from_pretrained(folder)
        else:
            model = transformers.AutoModelForSequenceClassification.from_pretrained(str(folder))
    except Exception as exc:  # a folder transformers cannot read: one line naming it
        raise EmotionBiLSTMError(f"--teacher {folder}: could not be loaded: {first_line(exc)}") from exc
    return model.eval(), tokenizer


def max_tokens(model: Any, tokenizer: Any) -> int:
    """Tokens kept per text: the tokenizer's and the position embeddings' limits, at most 512."""
    limits = [MAX_TEACHER_TOKENS, getattr(tokenizer, "model_max_length", MAX_TEACHER_TOKENS)]
    positions = getattr(model.config, "max_position_embeddings", None)
    if isinstance(positions, int) and positions > 0:
        limits.append(positions)
    return int(min(limits))


def run_teacher(folder: Path, texts: list[str], fold: LabelFold, device: Any, progress: Callable[[int], None]) -> Any:
    """The teacher's log-probabilities over the student's labels for `texts` (folded), as a float32 tensor.

    Batches of similar lengths in inference mode; `progress(n)` is told after each batch of n texts.
    Logits go through a softmax even for a multi-label teacher: its relative preferences are the target.
    """
    import torch

    model, tokenizer = load_teacher(folder)
    model.to(device)
    limit = max_tokens(model, tokenizer)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = torch.empty(len(texts), len(fold.student_labels), dtype=torch.float32)
    with torch.inference_mode():
        for start in range(0, len(order), BATCH_SIZE):
            rows = order[start : start + BATCH_SIZE]
            batch = tokenizer(
                [texts[i] for i in rows], padding=True, truncation=True, max_length=limit, return_tensors="pt"
            )
            logits = model(**{key: value.to(device) for key, value in batch.items()}).logits.float()
            out[rows] = fold_log_probs(torch.log_softmax(logits, dim=-1), fold).cpu()
            progress(len(rows))
    del model
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    return out


def progress_reporter(total: int, say: Callable[[str], None], bar: Any = None) -> Callable[[int], None]:
    """What `run_teacher` tells of its progress: a bar on a terminal, else a log line every LOG_EVERY texts."""
    done, started, next_line = 0, time.perf_counter(), min(LOG_EVERY, total)

    def advance(n: int) -> None:
        nonlocal done, next_line
        done += n
        if bar is not None:
            bar(n)
        elif done >= next_line:
            rate = done / max(time.perf_counter() - started, 1e-9)
            say(f"teacher: {done}/{total} texts ({rate:.0f}/s, {math.ceil((total - done) / rate)}s left)")
            next_line = min(next_line + LOG_EVERY, total)

    return advance


def hub_or_folder(teacher: str) -> str:
    """How the teacher is named in metrics.json: a Hub id as given, a folder as an absolute path."""
    path = Path(teacher).expanduser()
    return os.fspath(path.resolve()) if path.is_dir() else teacher
