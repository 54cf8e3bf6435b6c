"""The one place rich consoles and progress bars are made, so that logs read like logs.

On a terminal, rich output is as rich makes it: word-wrapped to the window, live progress bars.
Off a terminal (stderr sent to a file, CI, `2> train.log`), rich would hard-wrap at 80 columns,
breaking a long path or message over two lines, and draw its bars into the file as truncated lines
(`training ━━╸ 12… 0:…`). So there, every message stays on one line and bars are off; training
logs a plain line per epoch instead.
"""

from __future__ import annotations

import errno
from typing import Any

from rich.console import Console


class LogConsole(Console):
    """A Console that does not wrap printed text when its file is not a terminal.

    Decided at each print, not at construction: the CLI's console is made at import time, and tests
    (typer's CliRunner) swap `sys.stderr` after that.
    """

    def print(self, *objects: Any, soft_wrap: bool | None = None, **kwargs: Any) -> None:
        if soft_wrap is None and not self.is_terminal:
            soft_wrap = True
        super().print(*objects, soft_wrap=soft_wrap, **kwargs)


def stderr_console() -> LogConsole:
    """The console for messages and progress on stderr (it follows `sys.stderr` if that is replaced)."""
    return LogConsole(stderr=True)


def progress(*columns: Any, enabled: bool = True, transient: bool = False) -> Any:
    """A rich `Progress` on stderr that is disabled (draws nothing) unless `enabled` and stderr is a terminal."""
    from rich.progress import Progress

    console = stderr_console()
    return Progress(*columns, console=console, disable=not (enabled and console.is_terminal), transient=transient)


def _raise_broken_pipe(console: Console) -> None:
    raise BrokenPipeError(errno.EPIPE, "the reader of the output left")


def broken_pipes_raise() -> None:
    """Make every rich console (typer's help among them) raise BrokenPipeError when the reader of
    stdout leaves (`emo-cli classify big.txt | head -1`), where rich would exit 1 itself: the CLI's
    error boundary then ends quietly with 0, the same way for every command. For the CLI's process only."""
    Console.on_broken_pipe = _raise_broken_pipe  # rich's documented hook, set for the class
