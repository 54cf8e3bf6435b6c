"""Errors a user can fix. The CLI prints their message as one red line and exits with code 2."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager


class EmotionBiLSTMError(Exception):
    """Base class: the message names the problem and, where there is one, the file."""


class DataError(EmotionBiLSTMError):
    """A dataset could not be read: missing file, bad format, unknown label, empty split."""


class ModelLoadError(EmotionBiLSTMError):
    """A model folder or Hub repo is missing files, holds corrupt ones, or asks for absurd sizes."""


class InputError(EmotionBiLSTMError):
    """An input or output path for `classify` is unusable."""


class OutputError(EmotionBiLSTMError):
    """A file or folder could not be written: no space, read-only, permission, quota."""


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (or its type's name): libraries' messages run long."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# safetensors wraps Rust's io::Error in its message: `IoError(Os { code: 28, kind: StorageFull, message: "..." })`
_RUST_IO_MESSAGE = re.compile(r'message: "([^"]+)"')
# tokenizers raises a plain Exception whose text is Rust's io::Error: `No space left on device (os error 28)`
_RUST_OS_ERROR = re.compile(r"^(.*?) \(os error \d+\)")


def os_error_cause(exc: BaseException) -> str:
    """Why a read or write failed, in the system's words ("No space left on device"), without the path."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    found = _RUST_IO_MESSAGE.search(str(exc)) or _RUST_OS_ERROR.search(str(exc))
    return found.group(1) if found else first_line(exc)


def describe_os_error(exc: OSError) -> str:
    """One line for an OSError that reached the CLI: the path it names (if any) and the cause."""
    paths = [str(name) for name in (exc.filename, exc.filename2) if name is not None]
    return f"{' -> '.join(paths)}: {os_error_cause(exc)}" if paths else os_error_cause(exc)


def is_write_failure(exc: BaseException) -> bool:
    """An OSError, or a Rust library's io error: safetensors' SafetensorError and tokenizers' plain
    Exception are no OSErrors, they carry the io error in their text."""
    if isinstance(exc, OSError) or type(exc).__name__ == "SafetensorError":
        return True
    return type(exc) is Exception and _RUST_OS_ERROR.search(str(exc)) is not None


@contextmanager
def writing(path: object) -> Iterator[None]:
    """Turn a failure to write `path` (a disk full mid-write, a read-only folder) into one `OutputError` line.

    Only the message changes: callers still clean up their temporary files on the way out.
    """
    try:
        yield
    except BaseException as exc:
        if is_write_failure(exc):
            raise OutputError(f"{path}: cannot write ({os_error_cause(exc)})") from exc
        raise
