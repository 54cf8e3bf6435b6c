"""The CLI's one error boundary: every way a command ends is one `error:` line and an exit code.

Here, not in the module that builds the app, because it is the one piece every command shares and
every test of failure exercises: `OneLineErrors` (the app's group class) catches what ends a command,
`exit_code_for` words it and picks the code (2: the user's to fix, 130 or 128 + the signal: stopped,
0: stdout's reader left, 1: a bug of ours), and SIGTERM and SIGHUP unwind like Ctrl-C.
"""

from __future__ import annotations

import errno
import os
import signal
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from ..console import broken_pipes_raise, visible
from ..errors import EmotionBiLSTMError, describe_os_error, first_line
from ._shared import err


def _click_exception(name: str) -> type[Exception]:
    """click's exception class `name`, reached through typer's public `BadParameter`: newer typers
    vendor click, so `import click` would not give the classes typer raises."""
    return next(cls for cls in typer.BadParameter.__mro__ if cls.__name__ == name)


ClickException = _click_exception("ClickException")
DEBUG_VARIABLE = "EMOTION_BILSTM_DEBUG"  # set: an unforeseen error prints its traceback too
ISSUES_URL = "https://github.com/emotion-bilstm/emotion-bilstm/issues"


RETRY_SECONDS = 0.05  # a signal that arrived in a finalizer is delivered again this much later


def in_finalizer(frame: Any) -> bool:
    """Whether `frame` runs inside a `__del__`, where a raised exception would be dropped."""
    while frame is not None:
        if frame.f_code.co_name == "__del__":
            return True
        frame = frame.f_back
    return False


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where the process is, so that it unwinds like Ctrl-C: every
    `finally` runs and removes its temporary files, and no half-written output is left."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextmanager
def ending_signals_as_interrupts() -> Iterator[None]:
    def interrupt(signum: int, frame: Any) -> None:
        if in_finalizer(frame):
            # Python prints an exception raised in a __del__ ("Exception ignored in") and drops it, and the
            # command would run on to the end (it did, in CI: a `datasets` object was being collected).
            # Deliver the signal again once the finalizer has returned.
            threading.Timer(RETRY_SECONDS, os.kill, (os.getpid(), signum)).start()
            return
        raise Interrupted(signum)

    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield
        return
    previous = {signum: signal.signal(signum, interrupt) for signum in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def say_error(message: str) -> None:
    with suppress(OSError, ValueError):  # stderr closed or gone: the exit code still tells
        # a path or text in the message may hold ESC: shown, not sent
        err.print(f"[red]error:[/red] {escape(visible(message))}", soft_wrap=True)


def exit_code_for(exc: BaseException) -> int:
    """Report an exception that ended a command in one line on stderr; its exit code.

    2: the user's to fix (a bad file, a full disk, a wrong option). 130 (or 128 + the signal): they
    stopped it. 0: the reader of stdout left early (`| head`), which is no failure. 1: a bug of ours.
    """
    if isinstance(exc, Interrupted):
        say_error(f"stopped by {exc}; nothing half-written was left behind")
        return 128 + exc.signum
    if isinstance(exc, KeyboardInterrupt):
        say_error("interrupted; nothing half-written was left behind")
        return 130
    if isinstance(exc, EmotionBiLSTMError):
        say_error(str(exc))
        return 2
    if isinstance(exc, OSError) and exc.errno == errno.EPIPE:
        silence_stdout()
        return 0
    if isinstance(exc, OSError):  # unreadable input, full disk, read-only folder: the path and the cause
        say_error(describe_os_error(exc))
        return 2
    if isinstance(exc, Exception):
        if os.environ.get(DEBUG_VARIABLE):
            traceback.print_exception(exc)
        from .. import __version__

        say_error(
            f"unexpected {type(exc).__name__}: {first_line(exc)} (a bug in emotion-bilstm {__version__}; please "
            f"report it with the command you ran at {ISSUES_URL}; {DEBUG_VARIABLE}=1 shows the traceback)"
        )
        return 1
    raise exc  # SystemExit and the like: not an error to report


def silence_stdout() -> None:
    """The reader of stdout is gone: send what is still buffered nowhere, so that Python's own flush
    at exit does not print a traceback about the broken pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (a test's captured stdout)
        pass


def flushed(code: int) -> int:
    """`code`, after flushing stdout; 0 in place of success if the reader left (`| head -1`)."""
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except BrokenPipeError:
        silence_stdout()
    except (OSError, ValueError):
        pass
    return code


class OneLineErrors(TyperGroup):
    """The CLI's one error boundary: whatever ends a command ends as one `error:` line on stderr and
    an exit code (see `exit_code_for`), never a traceback. Usage errors (a bad choice, a missing
    option) too, instead of typer's usage block and framed panel (which off a terminal wraps at 80
    columns). SIGTERM and SIGHUP unwind like Ctrl-C, cleaning their temporary files.
    """

    def invoke(self, ctx: Any) -> Any:
        # A command's failures are caught here, inside typer's main, which would turn Ctrl-C into a
        # silent exit 130 and anything else into a traceback. Subcommands parse their options in
        # here too: usage errors and --help pass through to `main`.
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, ClickException):
            raise
        except BaseException as exc:
            code = exit_code_for(exc)
        raise typer.Exit(code)

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        broken_pipes_raise()
        with ending_signals_as_interrupts():
            try:
                code = super().main(*args, standalone_mode=False, **kwargs)
            except ClickException as exc:
                if type(exc).__name__ != "NoArgsIsHelpError":  # the help was printed: say nothing more
                    ctx = getattr(exc, "ctx", None)
                    hint = f" (see {ctx.command_path} --help)" if ctx is not None else ""
                    say_error(exc.format_message().replace("Value error, ", "") + hint)  # newer typers word it so
                code = exc.exit_code
            except typer.Abort:  # end of input at a prompt
                say_error("aborted")
                code = 1
            except SystemExit as exc:
                # typer's main exits 1 itself when stdout's reader left during the top-level --help
                broken = type(sys.stdout).__name__ == "PacifyFlushWrapper"
                code = 0 if broken and exc.code == 1 else exc.code
            except BaseException as exc:
                code = exit_code_for(exc)
        sys.exit(flushed(code if isinstance(code, int) else 0))
