"""Nothing lost: where train, calibrate and classify may write (emotion_bilstm/atomic.py), tried the way a
careless command or a hostile folder would. Every refusal is one `error:` line with exit 2, before any
work, and the user's files are byte-identical afterwards.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from clitools import REPO, assert_one_line_error, cli_env, run_cli
from conftest import tiny_train_args, write_tiny_dataset

from emotion_bilstm.atomic import check_model_output, clean_stale_temporaries, install_folder, output_path
from emotion_bilstm.errors import OutputError

TINY = tiny_train_args(epochs=1, embedding_dim=8, hidden_size=8)
DEAD_PID = "4194303"  # above every Linux pid_max default: no process has it


def snapshot(folder: Path) -> dict[str, object]:
    """Every entry below `folder`: a file's bytes, a link's target, a folder as such."""
    found: dict[str, object] = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        if path.is_symlink():
            found[key] = ("link", os.readlink(path))
        elif path.is_dir():
            found[key] = "folder"
        elif path.is_file():
            found[key] = path.read_bytes()
        else:
            found[key] = "special"
    return found


def users_folder(path: Path) -> Path:
    """A folder of a user's own: files, a subfolder, a link."""
    path.mkdir(parents=True)
    (path / "thesis.tex").write_text("years of work\n")
    (path / "photos").mkdir()
    (path / "photos" / "cat.jpg").write_bytes(b"\xff\xd8 a cat")
    (path / "shortcut").symlink_to(path / "thesis.tex")
    return path


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return write_tiny_dataset(tmp_path / "data")


def train(data: Path, output: str, *extra: str, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    args = [sys.executable, "-m", "emotion_bilstm", "train", "--data", str(data), "--output-dir", output, *TINY, *extra]
    return subprocess.run(args, capture_output=True, timeout=300, env=cli_env(), cwd=cwd or REPO)


# ----- train --output-dir ------------------------------------------------------------------------


def test_train_refuses_a_folder_of_the_users_files(data: Path, tmp_path: Path) -> None:
    mine = users_folder(tmp_path / "mine")
    before = snapshot(mine)
    result = train(data, str(mine))
    assert_one_line_error(result, str(mine), "not a model folder")
    assert snapshot(mine) == before


@pytest.mark.slow
@pytest.mark.parametrize("where", [".", "..", "/"])
def test_train_refuses_dot_dotdot_and_root(where: str, data: Path, tmp_path: Path) -> None:
    work = users_folder(tmp_path / "work" / "here")
    before = snapshot(tmp_path / "work")
    result = train(data, where, cwd=work)
    assert_one_line_error(result, where)
    assert snapshot(tmp_path / "work") == before


def test_train_refuses_an_existing_file(data: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("keep me\n")
    result = train(data, str(notes))
    assert_one_line_error(result, str(notes), "not a folder")
    assert notes.read_text() == "keep me\n"


def test_train_refuses_a_link_as_output(data: Path, tmp_path: Path) -> None:
    mine = users_folder(tmp_path / "mine")
    link = tmp_path / "link"
    link.symlink_to(mine)
    before = snapshot(mine)
    result = train(data, str(link))
    assert_one_line_error(result, str(link), "symbolic link")
    assert snapshot(mine) == before and link.is_symlink()


def test_train_refuses_a_checkpoint_folder_of_the_users_files(data: Path, tmp_path: Path) -> None:
    mine = users_folder(tmp_path / "mine")
    before = snapshot(mine)
    result = train(data, str(tmp_path / "model"), "--checkpoint-dir", str(mine))
    assert_one_line_error(result, str(mine), "did not write")
    assert snapshot(mine) == before
    assert not (tmp_path / "model").exists()


@pytest.mark.slow
def test_a_model_folder_is_replaced_only_with_overwrite_and_keeps_the_users_files(data: Path, tmp_path: Path) -> None:
    output = tmp_path / "model"
    first = train(data, str(output))
    assert first.returncode == 0, first.stderr.decode()
    (output / "my-notes.txt").write_text("what I tried\n")
    (output / "plots").mkdir()
    (output / "plots" / "loss.png").write_bytes(b"png")
    weights = (output / "model.safetensors").read_bytes()

    refused = train(data, str(output), "--seed", "7")
    assert_one_line_error(refused, str(output), "--overwrite")
    assert (output / "model.safetensors").read_bytes() == weights

    again = train(data, str(output), "--seed", "7", "--overwrite")
    assert again.returncode == 0, again.stderr.decode()
    assert (output / "model.safetensors").read_bytes() != weights  # another seed: other weights
    assert (output / "my-notes.txt").read_text() == "what I tried\n"
    assert (output / "plots" / "loss.png").read_bytes() == b"png"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


# ----- the policy's functions, directly ------------------------------------------------------------


def test_check_model_output_accepts_new_and_empty_folders(tmp_path: Path) -> None:
    check_model_output(tmp_path / "new")
    (tmp_path / "empty").mkdir()
    check_model_output(tmp_path / "empty")


def test_install_folder_keeps_every_foreign_entry_and_replaces_only_the_tools_files(tmp_path: Path) -> None:
    target = users_folder(tmp_path / "model")
    (target / "config.json").write_text("{}")
    (target / "metrics.json").write_text("old figures")  # the tool's, absent from the new version: removed
    staging = tmp_path / ".model.tmp-1"
    staging.mkdir()
    (staging / "config.json").write_text('{"new": 1}')
    (staging / "model.safetensors").write_bytes(b"weights")
    foreign = {k: v for k, v in snapshot(target).items() if k not in ("config.json", "metrics.json")}
    install_folder(staging, target)
    after = snapshot(target)
    assert {k: after[k] for k in foreign} == foreign
    assert after["config.json"] == b'{"new": 1}' and after["model.safetensors"] == b"weights"
    assert "metrics.json" not in after and not staging.exists()


def test_install_folder_refuses_to_replace_a_link_named_like_a_model_file(tmp_path: Path) -> None:
    target = tmp_path / "model"
    target.mkdir()
    secret = tmp_path / "token"
    secret.write_text("hf_secret")
    (target / "config.json").symlink_to(secret)
    staging = tmp_path / ".model.tmp-1"
    staging.mkdir()
    (staging / "config.json").write_text("{}")
    with pytest.raises(OutputError, match=r"config\.json"):
        install_folder(staging, target)
    assert (target / "config.json").is_symlink() and secret.read_text() == "hf_secret"


def test_stale_temporaries_of_a_dead_writer_are_cleaned_and_a_cut_swap_is_undone(tmp_path: Path) -> None:
    target = tmp_path / "model"
    (tmp_path / f".model.tmp-{DEAD_PID}").mkdir()  # staging of a killed run
    (tmp_path / f".model.old-{DEAD_PID}").mkdir()  # the previous folder, moved aside when it was killed
    (tmp_path / f".model.old-{DEAD_PID}" / "config.json").write_text("{}")
    (tmp_path / f".model.tmp-{os.getpid()}").mkdir()  # a live writer's: left alone
    (tmp_path / ".model.tmp-notes").write_text("not ours: no pid")
    clean_stale_temporaries(target)
    assert (target / "config.json").read_text() == "{}"  # put back, not deleted
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [f".model.tmp-{os.getpid()}", ".model.tmp-notes", "model"]


def test_output_path_writes_through_fifos_and_links_and_refuses_folders(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert output_path(fifo) == (fifo, False)
    assert output_path(Path("/dev/null")) == (Path("/dev/null"), False)
    real = tmp_path / "real.jsonl"
    real.write_text("old")
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    assert output_path(link) == (real.resolve(), True)
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    with pytest.raises(OutputError, match="link to nothing"):
        output_path(tmp_path / "dangling")
    with pytest.raises(OutputError, match="folder"):
        output_path(tmp_path)


# ----- classify --output ---------------------------------------------------------------------------


def test_classify_writes_through_a_fifo_and_leaves_it_a_fifo(trained_model_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_text("i feel glad\ni feel gloomy\n")
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    result = run_cli("classify", str(tmp_path / "in.txt"), "-m", str(trained_model_dir), "-f", "jsonl", "-o", str(fifo))
    received, _ = reader.communicate(timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    assert len(received.splitlines()) == 2
    assert fifo.is_fifo()


def test_classify_writes_through_a_link_and_keeps_the_link(trained_model_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_text("i feel glad\n")
    real = tmp_path / "real.jsonl"
    real.write_text("old\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    result = run_cli("classify", str(tmp_path / "in.txt"), "-m", str(trained_model_dir), "-f", "jsonl", "-o", str(link))
    assert result.returncode == 0, result.stderr.decode()
    assert link.is_symlink() and '"label"' in real.read_text()


def test_classify_cleans_a_dead_writers_temporary_file(trained_model_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_text("i feel glad\n")
    stale = tmp_path / f".out.jsonl.tmp-{DEAD_PID}"
    stale.write_text("half of a killed run's output")
    result = run_cli(
        "classify", str(tmp_path / "in.txt"), "-m", str(trained_model_dir), "-o", str(tmp_path / "out.jsonl")
    )
    assert result.returncode == 0, result.stderr.decode()
    assert not stale.exists()


# SIGTERM and SIGHUP during classify: tests/test_bad_input.py's stop-signal test, beside Ctrl-C.


# ----- calibrate in place ------------------------------------------------------------------------------


@pytest.mark.slow
def test_calibrate_keeps_the_folders_other_entries_and_never_copies_a_link(
    trained_model_dir: Path, tiny_dataset: Path, tmp_path: Path
) -> None:
    model = tmp_path / "model"
    shutil.copytree(trained_model_dir, model)
    (model / "notes").mkdir()
    (model / "notes" / "run.md").write_text("settings I tried\n")
    secret = tmp_path / "token"
    secret.write_text("hf_secret_token_value")
    (model / "token-link").symlink_to(secret)
    result = run_cli("calibrate", "--model", str(model), "--data", str(tiny_dataset / "validation.txt"))
    assert result.returncode == 0, result.stderr.decode()
    assert (model / "notes" / "run.md").read_text() == "settings I tried\n"
    assert (model / "token-link").is_symlink() and os.readlink(model / "token-link") == str(secret)
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())


@pytest.mark.slow
def test_sigterm_mid_training_leaves_no_temporary_files_and_resumes(data: Path, tmp_path: Path) -> None:
    output = tmp_path / "model"
    args = [sys.executable, "-m", "emotion_bilstm", "train", "--data", str(data), "--output-dir", str(output)]
    args += [*TINY, "--epochs", "200", "--patience", "200"]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env(), cwd=REPO)
    checkpoint = tmp_path / "model.checkpoints" / "train_state.json"
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and not checkpoint.exists():
            assert process.poll() is None, process.communicate()[1].decode()
            time.sleep(0.05)
        time.sleep(0.5)  # into a later epoch, maybe mid-save
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 128 + signal.SIGTERM, stderr.decode()
    assert "Traceback" not in stderr.decode()
    debris = [p for p in tmp_path.rglob(".*") if ".tmp" in p.name or ".old" in p.name]
    assert debris == []
    from emotion_bilstm import EmotionBiLSTM

    EmotionBiLSTM.from_pretrained(output)  # the last finished epoch's model, whole
