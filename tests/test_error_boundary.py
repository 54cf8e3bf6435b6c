"""The CLI's one error boundary (cli.boundary.OneLineErrors): every way a command can end is one line and an exit code.

2 for the user's mistakes, 130 (128 + the signal) when stopped, 0 when the reader of stdout left early
(`| head -1`), 1 with a request to report it for a bug of ours; never a traceback.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from clitools import REPO, cli_env
from typer.testing import CliRunner

from emotion_bilstm.cli import _shared, app, boundary


def piped_into_head(*args: str) -> tuple[int, str]:
    """Run the CLI with stdout into `head -1`; its exit code and stderr."""
    command = [sys.executable, "-m", "emotion_bilstm", *args]
    cli_proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env(), cwd=REPO)
    head = subprocess.run(["head", "-1"], stdin=cli_proc.stdout, capture_output=True, timeout=120)
    cli_proc.stdout.close()
    _, stderr = cli_proc.communicate(timeout=120)
    assert head.stdout, "head read nothing"
    return cli_proc.returncode, stderr.decode()


@pytest.mark.parametrize("args", [("--help",), ("train", "--help"), ("classify", "--help")], ids=" ".join)
def test_help_into_head_ends_quietly(args: tuple[str, ...]) -> None:
    code, stderr = piped_into_head(*args)
    assert (code, stderr) == (0, "")


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["table", "jsonl", "csv"])
def test_classify_into_head_ends_quietly(fmt: str, trained_model_dir: Path, tmp_path: Path) -> None:
    texts = tmp_path / "texts.txt"
    texts.write_text("i feel glad about the week\n" * 20_000)
    code, stderr = piped_into_head("classify", str(texts), "-m", str(trained_model_dir), "--format", fmt)
    assert (code, stderr) == (0, "")


def test_an_unforeseen_error_is_one_line_asking_for_a_report(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(model: str | None, engine: str = "torch") -> None:
        raise RuntimeError("something we did not foresee\nsecond line")

    monkeypatch.setattr(_shared, "load_model", broken)
    result = CliRunner().invoke(app, ["predict", "hello"])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "RuntimeError: something we did not foresee" in lines[0] and "report" in lines[0]


def test_the_debug_variable_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(model: str | None, engine: str = "torch") -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(_shared, "load_model", broken)
    monkeypatch.setenv(boundary.DEBUG_VARIABLE, "1")
    result = CliRunner().invoke(app, ["predict", "hello"])
    assert result.exit_code == 1 and "Traceback" in result.stderr


def test_ctrl_c_is_one_line_and_130(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(model: str | None, engine: str = "torch") -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(_shared, "load_model", interrupted)
    result = CliRunner().invoke(app, ["predict", "hello"])
    assert result.exit_code == 130
    assert result.stderr.strip().splitlines() == ["error: interrupted; nothing half-written was left behind"]


def test_a_usage_error_is_one_line_and_2() -> None:
    result = CliRunner().invoke(app, ["classify", "x.txt", "--no-such-option"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "--no-such-option" in lines[0]


def test_a_closed_stderr_still_gives_the_exit_code(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    result = subprocess.run(
        ["bash", "-c", f'"{sys.executable}" -m emotion_bilstm classify "{missing}" 2>&-'],
        capture_output=True,
        env=cli_env(),
        cwd=REPO,
        timeout=120,
    )
    assert result.returncode == 2 and b"Traceback" not in result.stderr


class SignalsWhileCollected:
    """An object whose finalizer is where SIGTERM arrives, as it did in CI inside a `datasets` object's."""

    def __del__(self) -> None:
        import os
        import signal

        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(10_000):  # Python runs the handler here, inside __del__
            pass


def test_a_sigterm_that_lands_in_a_finalizer_still_stops_the_command() -> None:
    # An exception raised in a __del__ is printed and dropped: raised there, the stop was lost and the
    # command ran to its end. The handler delivers the signal again once the finalizer has returned.
    import time

    with boundary.ending_signals_as_interrupts(), pytest.raises(boundary.Interrupted) as stopped:
        collected = SignalsWhileCollected()
        del collected
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            time.sleep(0.01)
    assert stopped.value.signum == 15
