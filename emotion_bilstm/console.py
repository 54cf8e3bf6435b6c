"""The one place rich consoles and progress bars are made and user text is made safe to draw.

On a terminal, rich output is as rich makes it: word-wrapped to the window, live progress bars.
Off a terminal (stderr sent to a file, CI, `2> train.log`), rich would hard-wrap at 80 columns,
breaking a long path or message over two lines, and draw its bars into the file as truncated lines
(`training ━━╸ 12… 0:…`). So there, every message stays on one line and bars are off; training
logs a plain line per epoch instead.

Every string that comes from a user (a text, a label name from a model's config, a path) is drawn
through `visible` / `safe_text`: as plain text, never rich markup, with its control characters shown
as escapes, so that an ESC in it never reaches the terminal. The CLI's tables, the error line and
`classify --format table` all use them.
"""

from __future__ import annotations

import errno
import re
from typing import Any

from rich.console import Console
from rich.text import Text

# What a terminal acts on or that hides or reorders text: C0 and C1 controls and DEL (ESC starts colour,
# cursor, title and hyperlink sequences), lone surrogates (bytes of an argument or a file name that are
# not UTF-8), bidirectional overrides and isolates, line and paragraph separators.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def visible(value: object) -> str:
    """`value` as a string whose every character shows as itself: a control character (tabs and
    newlines too: a table cell holds one line) as its escape, `\\x1b`, `\\t`, `\\u202e`; a byte that was
    not UTF-8 (Python keeps it as a lone surrogate) as `\\xff`. Printable text is unchanged.

    Use it for every user-supplied string that rich draws: as `safe_text(value)` (a plain `Text`, no
    markup) or, inside a markup string, as `escape(visible(value))`.
    """
    return _UNSAFE.sub(_escaped, str(value))


def _escaped(found: re.Match[str]) -> str:
    char = found.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: the byte code - 0xDC00 of undecodable input
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def safe_text(value: object, style: str = "") -> Text:
    """A user's string as rich `Text`: never parsed as markup, control characters shown (`visible`)."""
    return Text(visible(value), style=style)


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
