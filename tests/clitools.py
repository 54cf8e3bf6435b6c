"""Helpers for tests that run the CLI as a real subprocess (`python -m emotion_bilstm ...`)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def cli_env(**extra: str) -> dict[str, str]:
    """The environment of a CLI subprocess: offline, no colour codes, the checkout importable."""
    env = dict(os.environ)
    env.update(
        {
            "HF_HUB_OFFLINE": "1",
            "HF_DATASETS_OFFLINE": "1",
            "NO_COLOR": "1",
            "TERM": "dumb",
            "COLUMNS": "200",
            "PYTHONPATH": str(REPO) + os.pathsep + env.get("PYTHONPATH", ""),
            "PYTHONWARNINGS": "ignore",
            # one thread: tiny models gain nothing from more, and on a busy machine extra threads spin
            "OMP_NUM_THREADS": "1",
        }
    )
    env.update(extra)
    return env


def run_cli(
    *args: str, input: bytes | None = None, timeout: float = 300, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "emotion_bilstm", *args],
        input=input,
        capture_output=True,
        timeout=timeout,
        env=env or cli_env(),
        cwd=REPO,
    )


def assert_one_line_error(
    result: subprocess.CompletedProcess[bytes], *needles: str, progress_lines_ok: bool = False
) -> str:
    """Exit code 2, one line on stderr naming every needle, no traceback, nothing on stdout.

    `progress_lines_ok`: commands that log progress (train) may have printed lines before the error.
    """
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 2, f"exit {result.returncode}, stderr:\n{stderr}"
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    if progress_lines_ok:
        lines = lines[-1:]
        assert sum(line.startswith("error:") for line in stderr.splitlines()) == 1, stderr
    assert len(lines) == 1, f"expected one line on stderr, got:\n{stderr}"
    assert lines[0].startswith("error:"), lines[0]
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"
    assert result.stdout == b"", result.stdout[:500]
    return lines[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
