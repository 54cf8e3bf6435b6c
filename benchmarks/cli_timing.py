"""Command-line measuring: each system's classify command end to end, and our start-up times.

Every figure comes from a child process timed with its start-up (imports, model load) included
and its own peak resident memory: `measure_cli` runs each system's classify over a file of each
input, `measure_million` ours once over 1,000,000 lines (memory must stay flat), `startup_times`
our `--help`, `predict` of one text and `classify` of a 10-line file against `import torch` and the
peers' CLIs (benchmarks/peer_cli.py), and `measure_parquet` a Parquet file in 1 and 2 processes.
"""

from __future__ import annotations

import os
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


STARTUP_RUNS = 5  # warm runs per command (after one discarded), medians compared
PARQUET_ROWS = 200_000


def warm_runs(command: list[str], runs: int = STARTUP_RUNS) -> dict[str, Any]:
    """Wall seconds of `runs` runs of `command` after one discarded run (files and imports in the page cache)."""
    run_process(command)
    return stats([run_process(command)[0] for _ in range(runs)])


def startup_times(run: Run) -> dict[str, Any]:
    """Answering at once: `--help`, `predict` of one text, `classify` of a 10-line file, against `import
    torch` and the peers' CLIs on the same file, each the median of STARTUP_RUNS warm runs, in one run."""
    workdir, model = run.workdir, str(run.model_dir)
    ten_lines = workdir / "ten.txt"
    write_lines(ten_lines, run.inputs["raw"], 10)
    out = str(workdir / "ten.jsonl")
    log(f"[bench] start-up: {STARTUP_RUNS} warm runs of each one-text command")
    return {
        "help_s": warm_runs([*emo_cli(), "--help"]),
        "predict_one_text_s": warm_runs([*emo_cli(), "predict", "i feel so glad that you came", "--model", model]),
        "classify_ten_lines_s": warm_runs([*emo_cli(), "classify", str(ten_lines), "--model", model, "-o", out]),
        "classify_ten_lines_torch_s": warm_runs(
            [*emo_cli(), "classify", str(ten_lines), "--model", model, "-o", out, "--engine", "torch"]
        ),
        "import_torch_s": warm_runs([sys.executable, "-c", "import torch"]),
        "svm_ten_lines_s": warm_runs(
            [sys.executable, str(HERE / "peer_cli.py"), "svm", str(workdir / "svm.pkl"), str(ten_lines), out]
        ),
        "fasttext_ten_lines_s": warm_runs(
            [sys.executable, str(HERE / "peer_cli.py"), "fasttext", str(workdir / "fasttext.bin"), str(ten_lines), out]
        ),
    }


def measure_parquet(run: Run) -> dict[str, Any]:
    """`classify` of a Parquet file of PARQUET_ROWS raw texts (id and text columns) into Parquet, end to end,
    in one process and in two under `accelerate launch` (the multi-process path: parts, then a join)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    source, out = run.workdir / "rows.parquet", run.workdir / "rows-out.parquet"
    texts = run.inputs["raw"]
    rows = {"id": list(range(PARQUET_ROWS)), "text": [texts[i % len(texts)] for i in range(PARQUET_ROWS)]}
    pq.write_table(pa.table(rows), source, row_group_size=50_000)
    classify = ["classify", str(source), "--model", str(run.model_dir), "-o", str(out), "--no-progress"]
    import socket

    with socket.socket() as probe:  # a free port: another launch on this machine may hold the default one
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    threads = max(1, (os.cpu_count() or 2) // 2)  # the machine's cores shared by the two, as one process has them
    launcher = [str(Path(sys.executable).with_name("accelerate")), "launch", "--multi_gpu", "--num_machines", "1"]
    launcher += ["--mixed_precision", "no", "--dynamo_backend", "no", "--num_processes", "2"]
    launcher += ["--num_cpu_threads_per_process", str(threads), "--main_process_port", str(port)]
    figures = {}
    for processes, command in ((1, [*emo_cli(), *classify]), (2, [*launcher, "-m", "emotion_bilstm", *classify])):
        log(f"[bench] classify {PARQUET_ROWS:,} Parquet rows in {processes} process(es)")
        results = [run_process(command) for _ in range(max(1, run.args.repeats))]
        figures[f"processes_{processes}"] = {
            "rows_per_s": stats([PARQUET_ROWS / seconds for seconds, _ in results]),
            "peak_rss_mib": stats([rss for _, rss in results]),  # the launcher's own in the 2-process case
        }
    source.unlink()
    out.unlink(missing_ok=True)
    return {"rows": PARQUET_ROWS, **figures}
