"""Writing so that nothing is lost: no half-written file, and nothing deleted that the tool did not write.

Everything is written under a temporary name beside its target and renamed onto it once complete:
a rename within one folder is atomic, so readers see the old version or the new one, never a mix.

Where output may go is decided here, once, for every command (`check_model_output`,
`install_folder`, `output_path`): a new folder, or one this tool wrote; never `.`, `..` or `/`,
never a folder or file of the user's own, never a link or a device replaced by a regular file.
Temporary names carry the writer's pid, so that those of a killed run are recognised and cleaned
at the next start (`clean_stale_temporaries`).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import OutputError, writing

# What marks a folder as a model folder this tool (or `save_pretrained`) wrote.
MODEL_FOLDER_MARKERS = ("config.json", "model.safetensors")
# Every name `save_pretrained` and training write into a model folder; anything else in it is the user's.
MODEL_FOLDER_FILES = frozenset(
    {"config.json", "model.safetensors", "tokenizer.json", "README.md", "metrics.json", "reliability.png"}
)
# `.NAME.tmp-PID` (being written) and `.NAME.old-PID` (the previous folder, during a swap); `shared`
# names (one folder all processes of a run fill together) have no pid.
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.(?P<kind>tmp|old)(?:-(?P<pid>\d+))?$")


def temporary_name(path: Path, kind: str = "tmp", *, shared: bool = False) -> Path:
    """Where to write `path` before renaming it into place.

    A sibling, so that the rename stays on one file system; hidden, so that `push` and the model
    card skip it. The pid keeps two writers apart and tells a later run whether the writer is
    gone (`clean_stale_temporaries`); `shared` leaves it out for a folder that all processes of
    one run fill together.
    """
    writer = "" if shared else f"-{os.getpid()}"
    return path.with_name(f".{path.name}.{kind}{writer}")


def _writer_is_gone(pid: str | None) -> bool:
    if pid is None:
        return False  # a shared name: its run cleans it itself at its next checkpoint
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError, ValueError):
        return False  # alive (someone else's) or not a pid we could have written
    return False


def clean_stale_temporaries(target: Path) -> None:
    """Remove what a killed writer of `target` left: its `.NAME.tmp-PID` siblings (and those inside
    `target` when it is a folder) whose process is gone. A `.NAME.old-PID` folder is the previous
    version of `target` from a swap cut short: put back when `target` is missing, else removed.

    Only names of that exact form are touched: they are the tool's own.
    """
    places = [(target.parent, target.name)]
    if target.is_dir() and not target.is_symlink():
        places.append((target, None))
    for folder, name in places:
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            found = _TEMPORARY.match(entry.name)
            if not found or (name is not None and found["name"] != name) or not _writer_is_gone(found["pid"]):
                continue
            if found["kind"] == "old" and name is not None and not os.path.lexists(target):
                os.replace(entry, target)
            elif entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


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


# ----- where output may go ------------------------------------------------------------------------


def is_model_folder(folder: Path) -> bool:
    """A folder this tool wrote: it holds its config.json and model.safetensors as regular files."""
    return all((folder / name).is_file() and not (folder / name).is_symlink() for name in MODEL_FOLDER_MARKERS)


def refuse_special_folder(target: Path) -> None:
    """`.`, `..`, `/`, the working folder or one above it: never a place to write a model into."""
    if str(target) in ("", ".", "..") or target.name in ("", ".", ".."):
        raise OutputError(f"{target}: refusing to write a model folder here; give the name of a new folder")
    resolved, here = target.resolve(), Path.cwd().resolve()
    if resolved == Path(resolved.anchor) or resolved == here or resolved in here.parents:
        raise OutputError(
            f"{target}: is {'/' if resolved == Path(resolved.anchor) else 'the working folder or above it'}; "
            "give the name of a new folder"
        )


def check_model_output(target: Path, *, overwrite: bool = False, resume: bool = False) -> None:
    """Refuse, before any work, a model output that would replace what the tool did not write.

    A new or empty folder is fine; a model folder only with `overwrite` (or `resume`, which
    continues the run that wrote it); any other folder, any file, a link, `.`, `..` and `/` never.
    """
    refuse_special_folder(target)
    if target.is_symlink():
        raise OutputError(f"{target}: is a symbolic link; give the folder itself or a new folder")
    if not target.exists():
        return
    if not target.is_dir():
        raise OutputError(f"{target}: exists and is not a folder; give the name of a new folder")
    clean_stale_temporaries(target)
    entries = sorted(entry.name for entry in target.iterdir())
    if not entries:
        return
    if is_model_folder(target):
        if overwrite or resume:
            return
        raise OutputError(f"{target}: already holds a model; pass --overwrite to replace it, or give a new folder")
    shown = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
    raise OutputError(
        f"{target}: is a folder of other files ({shown}), not a model folder; give the name of a new folder"
    )


@contextmanager
def staged_folder(target: Path) -> Iterator[Path]:
    """An empty folder to fill in place of `target`, installed by `install_folder` if the block
    succeeds and removed if not: `target` is never half-written."""
    refuse_special_folder(target)
    staging = temporary_name(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temporaries(target)
    shutil.rmtree(staging, ignore_errors=True)
    try:
        staging.mkdir()
        yield staging
        install_folder(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def install_folder(staging: Path, target: Path) -> None:
    """Put the files of a fully written `staging` folder in place of `target`.

    A new `target` is the staging folder renamed. One that holds only files the tool writes is
    swapped whole (`replace_folder`): readers see the old folder or the new one. One that also
    holds the user's entries (files, folders, links) keeps them untouched: each new file is renamed
    in, and the tool's own files that the new version lacks are removed. A `target` that is a link,
    not a folder, or holds a tool-named entry that is not a regular file is refused.
    """
    if not os.path.lexists(target):
        os.replace(staging, target)
        return
    if target.is_symlink() or not target.is_dir():
        raise OutputError(f"{target}: exists and is not a folder (or is a link); nothing was written")
    entries = list(target.iterdir())
    odd = [e.name for e in entries if e.name in MODEL_FOLDER_FILES and (e.is_symlink() or not e.is_file())]
    if odd:
        raise OutputError(f"{target / odd[0]}: is a link or not a regular file; the tool does not replace it")
    new = {entry.name for entry in staging.iterdir()}
    if all(entry.name in MODEL_FOLDER_FILES | new for entry in entries):
        replace_folder(staging, target)
        return
    for name in sorted(new, key=lambda n: n == "config.json"):  # config last: it is what marks a model folder
        os.replace(staging / name, target / name)
    for entry in entries:
        if entry.name in MODEL_FOLDER_FILES and entry.name not in new:
            entry.unlink()
    staging.rmdir()


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


def output_path(output: Path) -> tuple[Path, bool]:
    """Where to write an output file, and whether atomically (a temporary file renamed onto it).

    A new or regular file is written atomically. A FIFO or a terminal (character device) is written
    through, as it is: it cannot be replaced by a file. A symbolic link is followed: to a regular
    file it is written atomically there (the link stays), to a FIFO or terminal (`/dev/stdout`)
    through it. A folder, a socket, a block device or a link to nothing is refused.
    """
    try:
        mode = output.stat().st_mode  # follows a link
    except FileNotFoundError:
        if output.is_symlink():
            raise OutputError(f"{output}: is a symbolic link to nothing; nothing was written") from None
        return output, True
    except OSError as exc:
        raise OutputError(f"{output}: cannot be written ({exc.strerror})") from None
    if stat.S_ISREG(mode):
        return (output.resolve() if output.is_symlink() else output), True
    if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
        return output, False
    kind = "a folder; give a file name" if stat.S_ISDIR(mode) else "not a regular file, a FIFO or a terminal"
    raise OutputError(f"{output}: is {kind}; nothing was written")
