"""Crash and resume: SIGKILL a training run mid-epoch, `--resume` it, and get the uninterrupted run's result.

On CPU the resumed run ends with *exactly* the same validation metrics as an uninterrupted run with
the same seed: the checkpoint holds the weights, the AdamW moments, the scheduler step and every RNG
state (python, numpy, torch) as they were at the end of the last finished epoch; the batch order
depends only on the seed and the epoch number; the tokenizer is relearned deterministically from the
same training split; and CPU kernels give bit-identical results for the same inputs and thread count.
So the epochs after the checkpoint are recomputed bit for bit.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from clitools import REPO, cli_env
from conftest import synthetic_examples, tiny_train_args, write_semicolon_file

EPOCHS = 4
# the reference and the resumed run must have identical settings: both start from these
TRAIN_ARGS = tiny_train_args(epochs=EPOCHS, batch_size=8, patience=10, seed=7)


def train_command(data: Path, output: Path) -> list[str]:
    return [sys.executable, "-m", "emotion_bilstm", "train", "--data", str(data), "--output-dir", str(output)]


@pytest.fixture(scope="module")
def resume_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # big enough that an epoch takes a few hundred steps, so a kill can land inside one
    folder = tmp_path_factory.mktemp("resume-data")
    write_semicolon_file(folder / "train.txt", synthetic_examples(1500, seed=11))
    write_semicolon_file(folder / "validation.txt", synthetic_examples(301, seed=12))
    return folder


@pytest.fixture(scope="module")
def goemotions_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A GoEmotions release folder of 300 comments: a third map to our labels, the rest only the second head reads."""
    from emotion_bilstm.data.goemotions import LABELS

    folder = tmp_path_factory.mktemp("goemotions")
    label_ids = ["2", "18", "27", "15,4", "0", "6,27"]  # anger, love, neutral; gratitude+approval, admiration, ...
    words = ["work", "tea"] * 150
    rows = [f"comment number {i} about {word}\t{label_ids[i % 6]}\tc{i}" for i, word in enumerate(words)]
    (folder / "labels.txt").write_text("\n".join(LABELS) + "\n", encoding="utf-8")
    (folder / "train.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (folder / "dev.tsv").write_text("\n".join(rows[:30]) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def launched() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Training subprocesses started by a test; any still running at its end are killed."""
    processes: list[subprocess.Popen[bytes]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def start(launched: list, data: Path, output: Path, *extra: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [*train_command(data, output), *TRAIN_ARGS, *extra],
        cwd=REPO,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    launched.append(process)
    return process


def finish(process: subprocess.Popen[bytes], timeout: float = 300) -> None:
    _, stderr = process.communicate(timeout=timeout)
    assert process.returncode == 0, stderr.decode("utf-8", "replace")


def read_state(checkpoints: Path) -> dict | None:
    try:
        return json.loads((checkpoints / "train_state.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


@pytest.mark.slow
@pytest.mark.parametrize(
    "extra",
    [(), ("--ema-decay", "0.99"), ("--goemotions-auxiliary-weight", "1")],
    ids=["plain", "ema", "auxiliary-head"],
)
def test_sigkill_mid_epoch_then_resume_matches_uninterrupted_run(
    resume_data: Path, goemotions_folder: Path, tmp_path: Path, launched: list, extra: tuple[str, ...]
) -> None:
    # with --ema-decay the weight average is part of the checkpoint, and with --goemotions-auxiliary-weight
    # the training-only head: both resume exactly too
    from emotion_bilstm import EmotionBiLSTM

    if "--goemotions-auxiliary-weight" in extra:
        extra = (*extra, "--add-data", str(goemotions_folder))

    reference = start(launched, resume_data, tmp_path / "reference", *extra)
    killed_output = tmp_path / "killed"
    checkpoints = tmp_path / "killed.checkpoints"
    victim = start(launched, resume_data, killed_output, *extra)
    deadline = time.monotonic() + 240
    state = None
    while time.monotonic() < deadline and victim.poll() is None:
        state = read_state(checkpoints)
        if state and state["epoch"] >= 1:
            break
        time.sleep(0.05)
    assert state and state["epoch"] >= 1, "the first checkpoint never appeared"
    # half an epoch later: inside epoch 2, well after the first checkpoint was written
    time.sleep(max(0.2, state["history"][0]["seconds"] / 2))
    assert victim.poll() is None, "the run finished before it could be killed"
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL
    killed_at = read_state(checkpoints)
    assert killed_at is not None and 1 <= killed_at["epoch"] < EPOCHS

    # what the kill left is a complete model folder (the best so far), never a half-written one
    EmotionBiLSTM.from_pretrained(killed_output).predict(["i feel terrified"])
    assert not list(checkpoints.glob(".state.tmp*")) or (checkpoints / "state").is_dir()

    resumed = start(launched, resume_data, killed_output, *extra, "--resume")
    finish(resumed)
    finish(reference)

    got = json.loads((killed_output / "metrics.json").read_text())
    want = json.loads((tmp_path / "reference" / "metrics.json").read_text())
    assert got["epochs_run"] == want["epochs_run"] == EPOCHS
    # exactly equal on CPU: see the module docstring for why
    assert got["validation"] == want["validation"]
    assert got["best_epoch"] == want["best_epoch"]
    strip = [{k: v for k, v in record.items() if k != "seconds"} for record in got["history"]]
    assert strip == [{k: v for k, v in record.items() if k != "seconds"} for record in want["history"]]
    # the weights themselves, bit for bit: scores and rounded metrics could hide a small difference
    from safetensors.torch import load_file

    got_weights = load_file(str(killed_output / "model.safetensors"))
    want_weights = load_file(str(tmp_path / "reference" / "model.safetensors"))
    assert got_weights.keys() == want_weights.keys()
    assert all(torch.equal(got_weights[name], want_weights[name]) for name in want_weights)
    texts = ["i feel so anxious about the work", "what a glad and cheerful week", "so furious at my friend"]
    assert EmotionBiLSTM.from_pretrained(killed_output).predict(texts) == EmotionBiLSTM.from_pretrained(
        tmp_path / "reference"
    ).predict(texts)


def test_resume_without_a_checkpoint_is_a_one_line_error(tiny_dataset: Path, tmp_path: Path) -> None:
    from clitools import assert_one_line_error, run_cli

    result = run_cli("train", "--data", str(tiny_dataset), "--output-dir", str(tmp_path / "out"), "--resume", "--cpu")
    assert_one_line_error(result, "no checkpoint to resume from", "out.checkpoints", progress_lines_ok=True)
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_resume_with_other_settings_is_a_one_line_error(tiny_dataset: Path, tmp_path: Path) -> None:
    from clitools import assert_one_line_error, run_cli

    args = ["train", "--data", str(tiny_dataset), "--output-dir", str(tmp_path / "out")]
    # TrainConfig's default learning rate, so that the --lr 0.01 below is another setting
    small = tiny_train_args(epochs=1, embedding_dim=8, hidden_size=8, learning_rate=0.003)
    assert run_cli(*args, *small).returncode == 0
    metrics = (tmp_path / "out" / "metrics.json").read_bytes()
    result = run_cli(*args, *small, "--lr", "0.01", "--resume")
    assert_one_line_error(result, "--resume needs the settings", "learning_rate 0.003 -> 0.01")
    assert (tmp_path / "out" / "metrics.json").read_bytes() == metrics  # the finished model is untouched
    assert run_cli(*args, *small, "--resume").returncode == 0  # the same settings resume (nothing left to run)
