"""The multi-process path, really run: two CPU processes talking gloo over loopback.

`accelerate launch --cpu --num_processes 2` starts ONE process (accelerate's `--cpu` launcher is the
single-process one unless MPI is set up), so a test with it would pass without ever being
distributed. Two CPU processes come from the torchrun-based launcher, `--multi_gpu`, which on a
machine without CUDA yields accelerate's MULTI_CPU mode (gloo); the test checks that both really ran.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from clitools import REPO, cli_env, free_port
from conftest import synthetic_examples, tiny_train_args, write_semicolon_file

VALIDATION_SIZE = 133  # not a multiple of 2 processes x batch: the last batch is padded with repeats
ACCELERATE = Path(sys.executable).with_name("accelerate")


@pytest.mark.slow
@pytest.mark.skipif(not ACCELERATE.exists(), reason=f"accelerate's launcher not found at {ACCELERATE}")
def test_two_process_training_gathers_every_example_once(tmp_path: Path) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this test exercises the CPU (gloo) path; a GPU machine would run NCCL instead")
    from emotion_bilstm import EmotionBiLSTM

    data = tmp_path / "data"
    data.mkdir()
    write_semicolon_file(data / "train.txt", synthetic_examples(600, seed=1))
    write_semicolon_file(data / "validation.txt", synthetic_examples(VALIDATION_SIZE, seed=2))
    output = tmp_path / "model"
    command = [
        str(ACCELERATE),
        "launch",
        "--multi_gpu",  # the torchrun launcher; on a CPU-only machine training picks gloo
        "--num_processes",
        "2",
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
        "--main_process_port",
        str(free_port()),
        "-m",
        "emotion_bilstm",
        "train",
        "--data",
        str(data),
        "--output-dir",
        str(output),
        *tiny_train_args(epochs=4, batch_size=16, learning_rate=0.02),
    ]
    env = cli_env(MASTER_ADDR="127.0.0.1", GLOO_SOCKET_IFNAME="lo", OMP_NUM_THREADS="1")
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, timeout=300)
    log = result.stderr.decode("utf-8", "replace") + result.stdout.decode("utf-8", "replace")
    assert result.returncode == 0, log
    assert "training on 2 process(es)" in log, log
    assert log.count("saved ") == 1, "only the main process reports the save"

    metrics = json.loads((output / "metrics.json").read_text())
    assert metrics["num_processes"] == 2
    # gather_for_metrics drops the repeats that pad the last shard: every example counted once
    assert metrics["validation"]["n"] == VALIDATION_SIZE
    assert sum(map(sum, metrics["validation"]["confusion_matrix"])) == VALIDATION_SIZE
    assert metrics["validation"]["accuracy"] > 0.5  # chance is 1/6

    # only the main process wrote: one model folder, no per-rank leftovers or staging folders
    names = {p.name for p in output.iterdir()}
    assert {"config.json", "metrics.json", "model.safetensors", "tokenizer.json"} <= names
    assert not [name for name in names if name.startswith(".")]
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    checkpoint_state = tmp_path / "model.checkpoints" / "state"
    # each rank's RNG state lands in the same checkpoint, so a resumed 2-process run restores both
    assert {p.name for p in checkpoint_state.glob("random_states_*.pkl")} == {
        "random_states_0.pkl",
        "random_states_1.pkl",
    }
    assert not list((tmp_path / "model.checkpoints").glob(".state.tmp*"))

    model = EmotionBiLSTM.from_pretrained(output)
    predictions = model.predict(["i feel so terrified and anxious", "i am thrilled and delighted"])
    assert [p["label"] for p in predictions] == ["fear", "joy"]
    shutil.rmtree(tmp_path / "model.checkpoints")
