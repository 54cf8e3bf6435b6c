"""Command-line measuring: each system's classify command end to end, and our start-up times.

Every figure comes from a child process timed with its start-up (imports, model load) included
and its own peak resident memory: `measure_cli` runs each system's classify over a file of each
input, `measure_million` ours once over 1,000,000 lines (memory must stay flat), `startup_times`
our `--help`, a one-line classify and `import torch`. The peers run benchmarks/peer_cli.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from prepare import INPUTS, Run
from render import OURS
from timing import log, stats

HERE = Path(__file__).resolve().parent
BIG_FILE_LINES = 1_000_000

# Forks and execs the command, so that its peak RSS (wait4's ru_maxrss) is its own: a child forked from
# this big process directly would report this process's memory as its peak. Times only the command.
LAUNCHER = """
import os, sys, time
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.execvp(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(time.perf_counter() - start, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def run_process(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MiB) of one child process, start-up included."""
    done = subprocess.run([sys.executable, "-c", LAUNCHER, *command], capture_output=True, text=True, check=True)
    seconds, max_rss_kib, code = done.stdout.split()
    if int(code) != 0:
        raise SystemExit(f"{' '.join(command)} failed ({code}): {done.stderr[-2000:]}")
    return float(seconds), int(max_rss_kib) / 1024  # Linux reports KiB


def process_runs(command: list[str], lines: int, repeats: int) -> dict[str, Any]:
    results = [run_process(command) for _ in range(repeats)]
    return {
        "lines_per_s": stats([lines / seconds for seconds, _ in results]),
        "seconds": stats([seconds for seconds, _ in results]),
        "peak_rss_mib": stats([rss for _, rss in results]),
    }


def emo_cli() -> list[str]:
    script = Path(sys.executable).parent / "emo-cli"
    return [str(script)] if script.exists() else [sys.executable, "-m", "emotion_bilstm"]


def write_lines(path: Path, texts: list[str], count: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for i in range(count):
            handle.write(texts[i % len(texts)] + "\n")


def measure_cli(run: Run, results: dict[str, Any]) -> None:
    """Each system's classify command end to end on a file of each input: lines/s and peak memory."""
    workdir, lines_count = run.workdir, run.args.lines
    out = str(workdir / "out.jsonl")
    for kind in INPUTS:
        big_file = workdir / f"{kind}.txt"
        write_lines(big_file, run.inputs[kind], lines_count)
        commands = {
            OURS: [*emo_cli(), "classify", str(big_file), "--model", str(run.model_dir), "-f", "jsonl", "-o", out],
            "TF-IDF + LinearSVC": [sys.executable, str(HERE / "peer_cli.py"), "svm", str(workdir / "svm.pkl")],
            "fastText": [sys.executable, str(HERE / "peer_cli.py"), "fasttext", str(workdir / "fasttext.bin")],
        }
        for name, command in commands.items():
            if name != OURS:
                command = [*command, str(big_file), out]
            log(f"[bench] {name}: classify {lines_count:,} {kind} lines end to end")
            results["systems"][name]["cli"][kind] = process_runs(command, lines_count, run.args.repeats)


def measure_million(run: Run) -> dict[str, float]:
    """Ours on a 1,000,000-line raw file, once: memory must stay flat."""
    out = str(run.workdir / "out.jsonl")
    million = run.workdir / "raw1m.txt"
    write_lines(million, run.inputs["raw"], BIG_FILE_LINES)
    log(f"[bench] ours: classify {BIG_FILE_LINES:,} raw lines once (memory must stay flat)")
    command = [*emo_cli(), "classify", str(million), "--model", str(run.model_dir), "-f", "jsonl", "-o", out]
    seconds, rss = run_process(command)
    million.unlink()
    return {"lines_per_s": BIG_FILE_LINES / seconds, "peak_rss_mib": rss}


def startup_times(model_dir: Path, workdir: Path, repeats: int) -> dict[str, Any]:
    one_line = workdir / "one.txt"
    one_line.write_text("i feel so glad that you came\n")
    help_runs = [run_process([*emo_cli(), "--help"])[0] for _ in range(max(repeats, 5))]
    command = [*emo_cli(), "classify", str(one_line), "--model", str(model_dir), "-f", "jsonl"]
    classify_runs = [run_process(command)[0] for _ in range(repeats)]
    torch_runs = [run_process([sys.executable, "-c", "import torch"])[0] for _ in range(repeats)]
    return {
        "help_s": stats(help_runs),
        "classify_one_line_s": stats(classify_runs),
        "import_torch_s": stats(torch_runs),
    }
