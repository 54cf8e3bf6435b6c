"""`classify` of a table in numbered parts (table_parts.py): across processes, and resumed after a crash."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from clitools import REPO, assert_one_line_error, cli_env, free_port, run_cli

from emotion_bilstm import light, table_parts, tables
from emotion_bilstm.errors import InputError

WORDS = ["i", "feel", "so", "happy", "sad", "angry", "scared", "today", "the", "flight", "got", "love", "wow"]
ACCELERATE = Path(sys.executable).with_name("accelerate")


def texts(n: int) -> list[str | None]:
    out: list[str | None] = [" ".join(WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(i % 9)) for i in range(n)]
    out[3] = None  # a null text: a null prediction, its row kept
    return out


def write_input(path: Path, n: int) -> Path:
    pq.write_table(pa.table({"id": list(range(n)), "text": texts(n), "label": [1] * n}), path, row_group_size=97)
    return path


def settings(model: str | None = None, **changed: object) -> dict:
    chosen = {"text_column": "text", "all_scores": True, "batch_size": 64, "threshold": None, "model": model}
    return chosen | {"engine": "numpy"} | changed


def one_process(model_dir: Path, source: Path, output: Path) -> tuple[pa.Table, tables.TableStats]:
    model = light.pipeline(model_dir)
    stats = tables.classify_table(model, source, output, "parquet", all_scores=True, batch_size=64)
    return pq.read_table(output), stats


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tables, "BATCH_ROWS", 50)


def test_two_processes_write_the_rows_of_one_in_input_order(
    trained_model_dir: Path, tmp_path: Path, small_parts: None
) -> None:
    source = write_input(tmp_path / "in.parquet", 523)
    expected, _ = one_process(trained_model_dir, source, tmp_path / "one.parquet")
    written: dict[int, list[int]] = {}
    write_part = table_parts._write_part

    def record(path: Path, table: pa.Table) -> None:
        written.setdefault(threading.get_ident(), []).append(int(path.name[5:13]))
        write_part(path, table)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(table_parts, "_write_part", record)
        failures = in_two_threads(trained_model_dir, source, tmp_path / "two.parquet")
    assert failures == [None, None]
    assert pq.read_table(tmp_path / "two.parquet").equals(expected)
    assert expected.num_rows == 523 and expected.column_names[:4] == ["id", "text", "label", "pred_label"]
    shares = sorted(sorted(numbers) for numbers in written.values())
    assert shares == [list(range(0, 11, 2)), list(range(1, 11, 2))]  # ceil(523 / 50) parts, batch i to process i mod 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet", "one.parquet", "two.parquet"]  # parts gone


def in_two_threads(model_dir: Path, source: Path, output: Path, resume: bool = False) -> list[str | None]:
    """Two processes, played by threads: a barrier for `wait`, a shared slot for `share`. Each one's error."""
    barrier, slot = threading.Barrier(2, timeout=120), {}  # a timeout, not abort(): that races the other's wake-up
    failures: list[str | None] = [None, None]

    def share(index: int):
        def hand_out(value: object) -> object:
            if index == 0:
                slot["value"] = value
            barrier.wait()
            return slot["value"]

        return hand_out

    def process(index: int) -> None:
        try:
            group = table_parts.Processes(index, 2, share=share(index), wait=barrier.wait)
            model = light.pipeline(model_dir)
            table_parts.classify_table_in_parts(
                model, str(source), output, "parquet", settings(), group, resume=resume, show_progress=False
            )
        except Exception as exc:  # reported by the test
            failures[index] = str(exc)

    threads = [threading.Thread(target=process, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def test_the_main_processs_refusal_reaches_every_process_in_the_same_words(
    trained_model_dir: Path, tmp_path: Path, small_parts: None
) -> None:
    source = write_input(tmp_path / "in.parquet", 120)
    (tmp_path / ".out.parquet.parts").mkdir()  # an earlier run's parts: refused without --resume
    failures = in_two_threads(trained_model_dir, source, tmp_path / "out.parquet")
    assert failures[0] is not None and "--resume" in failures[0] and failures[1] == failures[0]
    assert not (tmp_path / "out.parquet").exists() and list((tmp_path / ".out.parquet.parts").iterdir()) == []


def test_a_type_parquet_cannot_hold_goes_through_the_parts_unchanged(trained_model_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"text": t, "meta": {}}) + "\n" for t in ["i am happy", "so sad", ""]))
    output = tmp_path / "out.jsonl"
    stats = table_parts.classify_table_in_parts(
        light.pipeline(trained_model_dir), str(source), output, "jsonl", settings(), table_parts.Processes(), True
    )
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    assert [row["meta"] for row in rows] == [{}, {}, {}] and [row["label"] is None for row in rows] == [0, 0, 1]
    assert stats.rows == 3 and stats.no_text == 1 and not (tmp_path / ".out.jsonl.parts").exists()


class Crash(Exception):
    pass


class CrashingModel:
    """The model, until its `allowed` calls of predict are spent: then the run dies, as a killed one."""

    def __init__(self, model: light.Pipeline, allowed: int) -> None:
        self.model, self.allowed = model, allowed
        self.id2label, self.multi_label, self.config = model.id2label, model.multi_label, model.config

    def predict(self, *args: object, **kwargs: object) -> list[dict]:
        if self.allowed == 0:
            raise Crash
        self.allowed -= 1
        return self.model.predict(*args, **kwargs)


def test_resume_after_a_crash_writes_the_same_file_and_removes_only_its_parts(
    trained_model_dir: Path, tmp_path: Path, small_parts: None
) -> None:
    source = write_input(tmp_path / "in.parquet", 400)
    expected, one_stats = one_process(trained_model_dir, source, tmp_path / "one.parquet")
    output, folder = tmp_path / "out.parquet", tmp_path / ".out.parquet.parts"
    model = light.pipeline(trained_model_dir)
    crashing = CrashingModel(model, allowed=1 + 3)  # run.json's probe, then three parts
    with pytest.raises(Crash):
        table_parts.classify_table_in_parts(
            crashing, str(source), output, "parquet", settings(), table_parts.Processes(), resume=True
        )
    assert not output.exists()
    assert sorted(p.name for p in folder.iterdir()) == [f"part-0000000{i}.arrow" for i in range(3)] + ["run.json"]
    (folder / "notes.txt").write_text("mine")  # not the tool's: it stays

    with pytest.raises(InputError, match="--resume"):  # an earlier run's parts are never reused unasked
        table_parts.classify_table_in_parts(model, str(source), output, "parquet", settings(), table_parts.Processes())
    with pytest.raises(InputError, match="threshold"):  # nor with other options
        table_parts.classify_table_in_parts(
            model, str(source), output, "parquet", settings(threshold=0.5), table_parts.Processes(), resume=True
        )
    calls = CrashingModel(model, allowed=10_000)
    stats = table_parts.classify_table_in_parts(
        calls, str(source), output, "parquet", settings(), table_parts.Processes(), resume=True
    )
    assert 10_000 - calls.allowed == 1 + 8 - 3  # the probe and the five parts not written before
    assert pq.read_table(output).equals(expected)
    assert (stats.rows, stats.batches, stats.no_text, stats.prefixed) == (400, 8, one_stats.no_text, True)
    assert stats.reused_parts == 3
    assert one_stats.no_text == sum(not t for t in texts(400))  # null, and the empty texts of 0 words
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]


def test_another_model_is_refused_on_resume(trained_model_dir: Path, tmp_path: Path, small_parts: None) -> None:
    source = write_input(tmp_path / "in.parquet", 120)
    output = tmp_path / "out.parquet"
    model = light.pipeline(trained_model_dir)
    with pytest.raises(Crash):
        table_parts.classify_table_in_parts(
            CrashingModel(model, 2), str(source), output, "parquet", settings(), table_parts.Processes(), resume=True
        )
    model.config.temperature = (model.config.temperature or 1.0) * 3  # its answers change: another model
    with pytest.raises(InputError, match="model_answers"):
        table_parts.classify_table_in_parts(
            model, str(source), output, "parquet", settings(), table_parts.Processes(), resume=True
        )


def test_the_cli_refuses_parts_without_a_file_and_resume_for_text_files(trained_model_dir: Path, tmp_path: Path):
    source = write_input(tmp_path / "in.parquet", 10)
    model = ("--model", str(trained_model_dir))
    result = run_cli("classify", str(source), "--resume", "--format", "jsonl", *model)
    assert_one_line_error(result, "--output")
    (tmp_path / "in.txt").write_text("i am happy\n")
    assert_one_line_error(run_cli("classify", str(tmp_path / "in.txt"), "--resume", *model), "--resume", "table")
    launched = run_cli("classify", str(tmp_path / "in.txt"), *model, env=cli_env(WORLD_SIZE="2"))
    assert_one_line_error(launched, "across processes", "--text-column")


def launch(source: Path, output: Path, model_dir: Path, *extra: str) -> subprocess.Popen:
    command = [str(ACCELERATE), "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1"]
    command += ["--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", str(free_port())]
    command += ["-m", "emotion_bilstm", "classify", str(source), "-o", str(output), "--model", str(model_dir)]
    env = cli_env(EMOTION_BILSTM_BATCH_ROWS="25", CUDA_VISIBLE_DEVICES="")
    return subprocess.Popen(
        [*command, "--all-scores", *extra], env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def rank_pids(output: Path) -> dict[int, int]:
    """The launched processes classifying into `output`, by their RANK."""
    found = {}
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if str(output).encode() in command and b"emotion_bilstm" in command:
            for item in environ:
                if item.startswith(b"RANK="):
                    found[int(item[5:])] = int(entry.name)
    return found


@pytest.mark.slow
@pytest.mark.skipif(not ACCELERATE.exists(), reason=f"accelerate's launcher not found at {ACCELERATE}")
@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="finds the ranks through /proc")
def test_accelerate_launch_two_processes_and_kill_9_then_resume(trained_model_dir: Path, tmp_path: Path) -> None:
    source = write_input(tmp_path / "in.parquet", 6000)
    reference = tmp_path / "one.parquet"
    env = cli_env(EMOTION_BILSTM_BATCH_ROWS="25")
    one = run_cli(
        "classify", str(source), "-o", str(reference), "--model", str(trained_model_dir), "--all-scores", env=env
    )
    assert one.returncode == 0, one.stderr.decode()

    two = launch(source, tmp_path / "two.parquet", trained_model_dir)
    _, stderr = two.communicate(timeout=300)
    assert two.returncode == 0, stderr.decode()
    assert "in 240 part(s) by 2 process(es)" in stderr.decode()
    assert pq.read_table(tmp_path / "two.parquet").equals(pq.read_table(reference))

    output, folder = tmp_path / "killed.parquet", tmp_path / ".killed.parquet.parts"
    run = launch(source, output, trained_model_dir)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(folder.glob("part-*.arrow"))) < 6:
        time.sleep(0.01)
    ranks = rank_pids(output)
    assert 1 in ranks, (ranks, run.poll())
    os.kill(ranks[1], signal.SIGKILL)
    run.communicate(timeout=120)
    assert run.returncode != 0 and not output.exists()
    written = len(list(folder.glob("part-*.arrow")))
    assert 0 < written < 240

    resumed = launch(source, output, trained_model_dir, "--resume")
    _, stderr = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, stderr.decode()
    assert f"reused {written} part(s) written before" in stderr.decode()  # only the missing ones were classified
    assert pq.read_table(output).equals(pq.read_table(reference))
    assert not folder.exists()
