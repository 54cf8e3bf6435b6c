"""Writing so that a crash, a kill or a full disk never leaves a half-written file or folder behind.

Everything is written under a temporary name beside its target and renamed onto it once complete:
a rename within one folder is atomic, so readers see the old version or the new one, never a mix.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import writing


def temporary_name(path: Path, kind: str = "tmp", *, shared: bool = False) -> Path:
    """Where to write `path` before renaming it into place.

    A sibling, so that the rename stays on one file system; hidden, so that `push` and the model
    card skip it. The pid keeps two writers apart; `shared` leaves it out for a folder that all
    processes of one run fill together.
    """
    writer = "" if shared else f"-{os.getpid()}"
    return path.with_name(f".{path.name}.{kind}{writer}")


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary name to write `path` under: renamed onto `path` if the block succeeds, removed if not."""
    temporary = temporary_name(path)
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_text_atomic(path: Path, text: str) -> None:
    """Write `text` (ending in a newline) to `path` through a temporary file and a rename."""
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        with replacing(path) as temporary:
            temporary.write_text(text if text.endswith("\n") else text + "\n")


@contextmanager
def staged_folder(target: Path) -> Iterator[Path]:
    """An empty folder to fill in place of `target`: it replaces `target` if the block succeeds, and
    is removed if not, so that `target` is always either the previous folder or the new one."""
    staging = temporary_name(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(staging, ignore_errors=True)
    try:
        staging.mkdir()
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    replace_folder(staging, target)


def replace_folder(staging: Path, target: Path) -> None:
    """Swap a fully written `staging` folder into `target` by renames, keeping no half state."""
    backup = temporary_name(target, "old")
    if target.exists():
        os.replace(target, backup)
    try:
        os.replace(staging, target)
    except BaseException:  # put the previous folder back rather than leave none
        if backup.exists():
            os.replace(backup, target)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(backup, ignore_errors=True)
