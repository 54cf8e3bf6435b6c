"""Errors a user can fix. The CLI prints their message as one red line and exits with code 2."""


class EmotionBiLSTMError(Exception):
    """Base class: the message names the problem and, where there is one, the file."""


class DataError(EmotionBiLSTMError):
    """A dataset could not be read: missing file, bad format, unknown label, empty split."""


class ModelLoadError(EmotionBiLSTMError):
    """A model folder or Hub repo is missing files, holds corrupt ones, or asks for absurd sizes."""


class InputError(EmotionBiLSTMError):
    """An input or output path for `classify` is unusable."""


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (or its type's name): libraries' messages run long."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
