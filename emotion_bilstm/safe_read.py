"""Reading a file bounded and typed: a regular file under a size cap, never a FIFO (which would hang),
a device (/dev/zero never ends) or a link out of its folder, and JSON of bounded depth.

Errors name the file in one line (`ModelLoadError`): these reads serve model folders, whose files a
hostile folder or Hub repo controls.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from .errors import ModelLoadError, first_line

# JSON we parse ourselves may nest this deep (config.json nests 2 levels, metrics.json 4); Python's
# parser gives up with a RecursionError near 1,000 and later code may recurse through what it returns.
MAX_JSON_DEPTH = 64


def allowed_root(folder: Path) -> Path:
    """Where the files of `folder` may live: the folder itself, or for a Hub cache snapshot
    (models--OWNER--NAME/snapshots/SHA, whose files link to ../../blobs) the cached repo."""
    real = Path(os.path.realpath(folder))
    if real.parent.name == "snapshots" and real.parent.parent.name.startswith("models--"):
        return real.parent.parent
    return real


def _kind(mode: int) -> str:
    kinds = {
        stat.S_ISFIFO: "a named pipe (FIFO)",
        stat.S_ISCHR: "a character device",
        stat.S_ISBLK: "a block device",
        stat.S_ISSOCK: "a socket",
        stat.S_ISDIR: "a folder",
        stat.S_ISLNK: "a symbolic link",
    }
    return next((name for test, name in kinds.items() if test(mode)), "not a regular file")


def check_regular_file(path: Path, owner: str, limit: int) -> tuple[Path, os.stat_result]:
    """The path to open and its stat, for a regular file under `limit` bytes that is no link out of its
    folder; anything else is refused with one line naming the file. Opens nothing."""
    name = path.name
    try:
        info = os.lstat(path)
        target = path
        if stat.S_ISLNK(info.st_mode):
            target = Path(os.path.realpath(path))
            root = allowed_root(path.parent)
            if not target.is_relative_to(root):
                raise ModelLoadError(
                    f"{owner}: {name} is a symbolic link to {target}, outside the model folder; refusing to read it"
                )
            info = os.stat(target)
    except FileNotFoundError:
        raise ModelLoadError(f"{owner}: {name} is missing (or a broken symbolic link)") from None
    except OSError as exc:
        raise ModelLoadError(f"{owner}: {name} cannot be read ({exc.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise ModelLoadError(f"{owner}: {name} is {_kind(info.st_mode)}, not a regular file; refusing to read it")
    if info.st_size > limit:
        raise ModelLoadError(f"{owner}: {name} is {info.st_size:,} bytes, over the {limit:,} a {name} may hold")
    return target, info


def read_bounded(path: Path, owner: str, limit: int) -> bytes:
    """The bytes of the regular file `path` (see `check_regular_file`), read without following a link
    swapped in after the check and never more than `limit` bytes."""
    name = path.name
    target, checked = check_regular_file(path, owner, limit)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(target, flags)
    except OSError as exc:
        raise ModelLoadError(f"{owner}: {name} cannot be read ({exc.strerror})") from None
    try:
        opened = os.fstat(fd)
        if (opened.st_dev, opened.st_ino) != (checked.st_dev, checked.st_ino) or not stat.S_ISREG(opened.st_mode):
            raise ModelLoadError(f"{owner}: {name} was replaced while it was being read; refusing it")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 24, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise ModelLoadError(f"{owner}: {name} cannot be read ({exc.strerror})") from None
    finally:
        os.close(fd)
    if size > limit:
        raise ModelLoadError(f"{owner}: {name} grew past the {limit:,} bytes a {name} may hold while being read")
    return b"".join(chunks)


def parse_json(data: bytes, what: str) -> Any:
    """JSON from bytes, with absurd nesting, absurd integers and bad UTF-8 refused as one line naming `what`
    ("runs/emo: config.json")."""
    try:
        value = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ModelLoadError(f"{what} is not UTF-8 text") from None
    except RecursionError:
        raise ModelLoadError(f"{what} is nested too deeply to read (over {MAX_JSON_DEPTH} levels)") from None
    except json.JSONDecodeError as exc:
        raise ModelLoadError(f"{what} is not valid JSON ({first_line(exc)})") from None
    except ValueError:  # Python refuses integers of over 4,300 digits
        raise ModelLoadError(f"{what} holds an integer too long to read") from None
    if _depth(value) > MAX_JSON_DEPTH:
        raise ModelLoadError(f"{what} is nested too deeply to read (over {MAX_JSON_DEPTH} levels)")
    return value


def _depth(value: Any) -> int:
    """How deep lists and objects nest in `value`, without recursing."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest
