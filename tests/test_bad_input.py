"""The bad-input table of issue 6: every case a one-line error naming the problem and the file, exit code 2,
no traceback, and no output left behind (or the previous output untouched) - or, where the input is
valid after all (empty file, invalid UTF-8, CRLF, no final newline, a huge line), the right output.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from clitools import REPO, assert_one_line_error, cli_env, run_cli
from conftest import synthetic_examples, tiny_train_args, write_semicolon_file
from typer.testing import CliRunner

from emotion_bilstm.cli import app

PREVIOUS = "previous output\n"
CLASSIFY_ARGS = ("--format", "jsonl", "--batch-size", "64")


def classify(model: Path, *args: str, input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return run_cli("classify", *args, "--model", str(model), "--format", "jsonl", input=input)


def jsonl(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]


def no_debris(folder: Path) -> list[str]:
    """Temporary files that a failed run left in `folder`."""
    return [p.name for p in folder.iterdir() if ".tmp" in p.name]


# ----- classify ----------------------------------------------------------------------------------


def test_classify_missing_file(trained_model_dir: Path, tmp_path: Path) -> None:
    result = classify(trained_model_dir, str(tmp_path / "nope.txt"))
    assert_one_line_error(result, "nope.txt", "no such file")


def test_classify_a_directory(trained_model_dir: Path, tmp_path: Path) -> None:
    result = classify(trained_model_dir, str(tmp_path))
    assert_one_line_error(result, str(tmp_path), "folder")


@pytest.mark.slow
def test_classify_empty_file_is_valid_and_gives_zero_lines(trained_model_dir: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    result = classify(trained_model_dir, str(empty))
    assert result.returncode == 0, result.stderr
    assert result.stdout == b""
    output = tmp_path / "out.jsonl"
    result = classify(trained_model_dir, str(empty), "--output", str(output))
    assert result.returncode == 0, result.stderr
    assert output.read_bytes() == b""


def test_classify_binary_file_leaves_previous_output_untouched(trained_model_dir: Path, tmp_path: Path) -> None:
    binary = tmp_path / "model.bin"
    # text first, so the NUL bytes are only met after some output was already produced
    binary.write_bytes(b"i feel fine\n" * 20000 + bytes(range(256)) * 40)
    output = tmp_path / "out.jsonl"
    output.write_text(PREVIOUS)
    result = classify(trained_model_dir, str(binary), "--output", str(output))
    assert_one_line_error(result, "model.bin", "binary")
    assert output.read_text() == PREVIOUS
    assert no_debris(tmp_path) == []


def test_classify_invalid_utf8_is_replaced_and_counted(trained_model_dir: Path, tmp_path: Path) -> None:
    text = tmp_path / "latin1.txt"
    text.write_bytes(b"i feel so happy\n" + "café olé\n".encode("latin-1") + b"\xff\xfe\n")
    result = classify(trained_model_dir, str(text))
    assert result.returncode == 0, result.stderr
    rows = jsonl(result.stdout)
    assert len(rows) == 3
    assert "\ufffd" in rows[1]["text"] and "\ufffd" in rows[2]["text"]
    assert rows[0]["label"] is not None
    assert all(row["label"] or row["reason"] == "no words the model reads" for row in rows)  # "\ufffd\ufffd": no words
    assert "2 line(s) had invalid UTF-8" in result.stderr.decode()


@pytest.mark.slow
def test_classify_crlf_lines_match_lf_lines(trained_model_dir: Path, tmp_path: Path) -> None:
    texts = ["i feel so terrified", "", "what a glad day", "furious at work"]
    (tmp_path / "lf.txt").write_bytes("\n".join(texts).encode() + b"\n")
    (tmp_path / "crlf.txt").write_bytes("\r\n".join(texts).encode() + b"\r\n")
    lf = jsonl(classify(trained_model_dir, str(tmp_path / "lf.txt")).stdout)
    crlf = jsonl(classify(trained_model_dir, str(tmp_path / "crlf.txt")).stdout)
    assert crlf == lf
    assert [row["text"] for row in crlf] == texts  # no stray \r
    assert crlf[1]["label"] is None


def test_classify_file_without_final_newline(trained_model_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "last.txt").write_bytes(b"i feel so terrified\nso furious at my friend")
    rows = jsonl(classify(trained_model_dir, str(tmp_path / "last.txt")).stdout)
    assert [row["text"] for row in rows] == ["i feel so terrified", "so furious at my friend"]
    assert rows[1]["label"] == "anger"


MEMORY_PROBE = textwrap.dedent(
    """
    import json, resource, sys
    from emotion_bilstm.stream import classify_file
    from emotion_bilstm.model import EmotionBiLSTM
    model = EmotionBiLSTM.from_pretrained(sys.argv[1])
    classify_file(model, sys.argv[2], sys.argv[4])  # warm up: every lazy import and buffer is in place
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    stats = classify_file(model, sys.argv[3], sys.argv[4])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"baseline_kib": baseline, "peak_kib": peak, "lines": stats.lines, "truncated": stats.truncated}))
    """
)


@pytest.mark.slow
def test_classify_a_50_mb_line_is_truncated_in_constant_memory(trained_model_dir: Path, tmp_path: Path) -> None:
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as sink:
        sink.write(b"i feel so terrified ")
        for _ in range(50):
            sink.write(b"and anxious " * (1024 * 1024 // 12))
        sink.write(b"\nso furious at my friend\n")
    assert huge.stat().st_size > 50_000_000
    small = tmp_path / "small.txt"
    small.write_text("i feel so terrified\n" * 100)
    probe = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(trained_model_dir), str(small), str(huge), str(tmp_path / "o.jsonl")],
        capture_output=True,
        env=cli_env(),
        cwd=REPO,
        timeout=300,
    )
    assert probe.returncode == 0, probe.stderr.decode()
    figures = json.loads(probe.stdout)
    assert figures["lines"] == 2 and figures["truncated"] == 1
    # ru_maxrss is in KiB on Linux: the 50 MB line must not be held (let alone copied) in memory
    assert figures["peak_kib"] - figures["baseline_kib"] < 50 * 1024, figures
    rows = jsonl((tmp_path / "o.jsonl").read_bytes())
    assert [row["label"] for row in rows] == ["fear", "anger"]
    assert len(rows[0]["text"]) <= 64 * 1024

    result = classify(trained_model_dir, str(huge))  # and the CLI says so
    assert result.returncode == 0
    assert "1 over-long line(s) cut" in result.stderr.decode()


# Ctrl-C, and the signals a service manager or a closed terminal send: each unwinds the same way
STOPS = [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "SIGTERM"), (signal.SIGHUP, 129, "SIGHUP")]


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code", "said"), STOPS, ids=["SIGINT", "SIGTERM", "SIGHUP"])
def test_a_stop_signal_leaves_no_partial_output(
    signum: int, code: int, said: str, trained_model_dir: Path, tmp_path: Path
) -> None:
    big = tmp_path / "big.txt"
    big.write_text("i feel so terrified about the work this week\n" * 400_000)
    output = tmp_path / "out.jsonl"
    output.write_text(PREVIOUS)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emotion_bilstm",
            "classify",
            str(big),
            "-m",
            str(trained_model_dir),
            *CLASSIFY_ARGS,
            "-o",
            str(output),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(),
        cwd=REPO,
        # A test run started in the background (`cmd &` in a script) inherits SIGINT ignored, and so would
        # the CLI (Python leaves an ignored SIGINT ignored, as a shell asks): give it the default back.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 120
        temporary: list[Path] = []
        while time.monotonic() < deadline and process.poll() is None and not temporary:
            temporary = [p for p in tmp_path.iterdir() if p.name.startswith(".out.jsonl.tmp")]
            time.sleep(0.02)
        assert temporary, "the temporary output never appeared"
        deadline = time.monotonic() + 60  # wait until some results are really written
        while time.monotonic() < deadline and temporary[0].exists() and temporary[0].stat().st_size == 0:
            time.sleep(0.02)
        assert process.poll() is None, "classify finished before it could be interrupted"
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    lines = [line for line in stderr.decode().splitlines() if line.strip()]
    assert process.returncode == code, stderr.decode()
    assert "Traceback" not in stderr.decode()
    assert len(lines) == 1 and said in lines[0] and "nothing half-written" in lines[0]
    assert output.read_text() == PREVIOUS
    assert no_debris(tmp_path) == []


def test_output_in_a_missing_folder(trained_model_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_text("i feel fine\n")
    result = classify(trained_model_dir, str(tmp_path / "in.txt"), "--output", str(tmp_path / "no" / "out.jsonl"))
    assert_one_line_error(result, "out.jsonl", "does not exist")
    assert not (tmp_path / "no").exists()


def test_output_in_an_unwritable_folder(trained_model_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_text("i feel fine\n")
    if os.geteuid() == 0:  # root writes through permission bits; /proc refuses new files even to root
        target = Path("/proc/out.jsonl")
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        target = locked / "out.jsonl"
    result = classify(trained_model_dir, str(tmp_path / "in.txt"), "--output", str(target))
    assert_one_line_error(result, str(target), "cannot write")
    assert not target.exists()


# ----- model folders -----------------------------------------------------------------------------


def copy_model(source: Path, folder: Path) -> Path:
    shutil.copytree(source, folder)
    return folder


def edit_config(folder: Path, **changes: object) -> None:
    config = json.loads((folder / "config.json").read_text())
    for key, value in changes.items():
        if value is None:
            config.pop(key)
        else:
            config[key] = value
    (folder / "config.json").write_text(json.dumps(config))


def break_missing_weights(folder: Path) -> None:
    (folder / "model.safetensors").unlink()


def break_truncated_weights(folder: Path) -> None:
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])


def break_corrupt_header(folder: Path) -> None:
    weights = folder / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[8:40] = b"#" * 32
    weights.write_bytes(bytes(data))


def break_corrupt_payload(folder: Path) -> None:
    weights = folder / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-64:] = b"\xff" * 64  # float32 0xffffffff is NaN: no checksum catches it, the finiteness check does
    weights.write_bytes(bytes(data))


def break_config_not_json(folder: Path) -> None:
    (folder / "config.json").write_text("{'vocab_size': 10,")


def break_config_not_object(folder: Path) -> None:
    (folder / "config.json").write_text("[1, 2, 3]")


def break_config_lacks_field(folder: Path) -> None:
    edit_config(folder, hidden_size=None)


def break_config_absurd_vocab(folder: Path) -> None:
    edit_config(folder, vocab_size=10**12)


def break_config_absurd_total(folder: Path) -> None:
    edit_config(folder, vocab_size=1_000_000, embedding_dim=2048)


def break_config_bad_labels(folder: Path) -> None:
    edit_config(folder, id2label={"a": "joy"})


def break_missing_tokenizer(folder: Path) -> None:
    (folder / "tokenizer.json").unlink()


def break_unreadable_tokenizer(folder: Path) -> None:
    (folder / "tokenizer.json").write_text('{"version": "1.0"}')


def break_mismatched_tokenizer(folder: Path) -> None:
    from tokenizers import Tokenizer

    from emotion_bilstm.tokenizer import train_tokenizer

    smaller: Tokenizer = train_tokenizer(["only a few words here"])
    smaller.save(str(folder / "tokenizer.json"))


def break_shape_mismatch(folder: Path) -> None:
    config = json.loads((folder / "config.json").read_text())
    edit_config(folder, hidden_size=config["hidden_size"] + 1)


def break_pickle_instead(folder: Path) -> None:
    (folder / "model.safetensors").unlink()
    import pickle

    (folder / "pytorch_model.bin").write_bytes(pickle.dumps({"weights": [1, 2, 3]}))


MODEL_CASES = {
    "missing model.safetensors": (break_missing_weights, "model.safetensors is missing"),
    "truncated safetensors": (break_truncated_weights, "corrupt or truncated"),
    "corrupt safetensors header": (break_corrupt_header, "model.safetensors"),
    "NaN in safetensors payload": (break_corrupt_payload, "NaN or infinite"),
    "config.json not JSON": (break_config_not_json, "config.json is not valid JSON"),
    "config.json not an object": (break_config_not_object, "config.json must hold a JSON object"),
    "config.json lacks a field": (break_config_lacks_field, "config.json lacks hidden_size"),
    "config.json vocab 10^12": (break_config_absurd_vocab, "vocab_size=1000000000000"),
    "config.json absurd total size": (break_config_absurd_total, "parameters"),
    "config.json bad id2label": (break_config_bad_labels, "id2label"),
    "missing tokenizer.json": (break_missing_tokenizer, "tokenizer.json is missing"),
    "unreadable tokenizer.json": (break_unreadable_tokenizer, "tokenizer.json"),
    "mismatched tokenizer.json": (break_mismatched_tokenizer, "do not belong together"),
    "weights do not match config": (break_shape_mismatch, "shape"),
    "pickle instead of safetensors": (break_pickle_instead, "pickle"),
}


@pytest.mark.parametrize("engine", ["numpy", "torch"])  # the light loader refuses what from_pretrained refuses
@pytest.mark.parametrize("case", list(MODEL_CASES))
def test_broken_model_folder_is_refused_in_one_line(
    case: str, engine: str, trained_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pickle

    import torch

    from emotion_bilstm.model import EmotionBiLSTM

    breaker, expected = MODEL_CASES[case]
    folder = copy_model(trained_model_dir, tmp_path / "broken")
    breaker(folder)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a user's model folder must never be unpickled")

    monkeypatch.setattr(torch, "load", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    if "absurd" in case or "10^12" in case:  # refused before anything is allocated
        monkeypatch.setattr(EmotionBiLSTM, "__init__", refuse)
    (tmp_path / "in.txt").write_text("i feel fine\n")
    args = ["classify", str(tmp_path / "in.txt"), "--model", str(folder), "-f", "jsonl", "--engine", engine]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, (result.output, result.exception)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert "broken" in lines[0] and expected in lines[0], lines[0]
    assert result.stdout == ""


def test_broken_model_folder_as_a_subprocess(trained_model_dir: Path, tmp_path: Path) -> None:
    folder = copy_model(trained_model_dir, tmp_path / "broken")
    break_config_absurd_vocab(folder)
    result = run_cli("predict", "i feel fine", "--model", str(folder))
    assert_one_line_error(result, "broken", "vocab_size")


def test_missing_model_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["predict", "hello", "--model", str(tmp_path / "nothing")])
    assert result.exit_code == 2
    assert "nothing" in result.stderr and "no such model folder" in result.stderr


# ----- training data -----------------------------------------------------------------------------


def folder_with(tmp_path: Path, train_name: str, train_text: str, validation: bool = True) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / train_name).write_text(train_text)
    if validation:
        write_semicolon_file(folder / "validation.txt", synthetic_examples(30, seed=3))
    return folder


GOOD = "".join(f"{text};{label}\n" for text, label in synthetic_examples(30, seed=4))
DATA_CASES = {
    "unknown label name": ("train.txt", GOOD + "i feel odd;bored\n", "train.txt:31", "unknown label 'bored'"),
    "label id out of range": ("train.txt", GOOD + "i feel odd;9\n", "train.txt:31", "out of range"),
    "missing ';'": ("train.txt", GOOD + "no separator here\n", "train.txt:31", "no ';'"),
    "missing text column": ("train.csv", "sentence_x,label\nhello,joy\n", "train.csv", "no text column"),
    "missing label column": ("train.csv", "text,feeling\nhello,joy\n", "train.csv", "no label column"),
    "empty text": ("train.csv", "text,label\nhello,joy\n   ,joy\n", "train.csv:row 3", "empty text"),
    "empty file": ("train.txt", "", "train.txt", "empty"),
    "one class only": ("train.txt", "i feel glad;joy\ni am cheerful;joy\n", "data", "only one class"),
    "empty split": ("train.txt", "\n\n\n", "train.txt", "no labelled texts"),
}


@pytest.mark.parametrize("case", list(DATA_CASES))
def test_bad_training_data_is_refused_in_one_line(case: str, tmp_path: Path) -> None:
    name, text, where, problem = DATA_CASES[case]
    data = folder_with(tmp_path, name, text)
    output = tmp_path / "model"
    result = CliRunner().invoke(app, ["train", "--data", str(data), "--output-dir", str(output), "--cpu"])
    assert result.exit_code == 2, (result.output, result.exception)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert where in errors[0] and problem in errors[0], errors[0]
    assert "Traceback" not in result.output
    assert not output.exists() and not (tmp_path / "model.checkpoints").exists()


def test_bad_training_data_as_a_subprocess(tmp_path: Path) -> None:
    data = folder_with(tmp_path, "train.txt", GOOD + "i feel odd;bored\n")
    result = run_cli("train", "--data", str(data), "--output-dir", str(tmp_path / "model"), "--cpu")
    assert_one_line_error(result, "train.txt:31", "bored", progress_lines_ok=True)
    assert not (tmp_path / "model").exists()


def test_empty_validation_split_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    write_semicolon_file(folder / "train.txt", synthetic_examples(30, seed=4))
    (folder / "validation.txt").write_text("\n \n")
    result = CliRunner().invoke(app, ["train", "--data", str(folder), "--output-dir", str(tmp_path / "m"), "--cpu"])
    assert result.exit_code == 2
    assert "validation.txt" in result.stderr and "no labelled texts" in result.stderr


# ----- toy training files without a validation split ---------------------------------------------

TINY_TRAINING = tiny_train_args(epochs=1, embedding_dim=8, hidden_size=8)


def test_one_labelled_line_is_one_clear_error(tmp_path: Path) -> None:
    data = tmp_path / "one.txt"
    data.write_text("i feel glad;joy\n")
    output = tmp_path / "model"
    result = CliRunner().invoke(app, ["train", "--data", str(data), "--output-dir", str(output), *TINY_TRAINING])
    assert result.exit_code == 2, (result.output, result.exception)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    # one line is one class: refused as such before any carving is tried
    assert len(errors) == 1 and "one.txt" in errors[0] and "only one class" in errors[0], result.stderr
    assert "Traceback" not in result.output
    assert not output.exists()


@pytest.mark.slow
def test_a_label_seen_once_trains_on_a_random_carve(tmp_path: Path) -> None:
    data = tmp_path / "seven.txt"
    lines = ["i feel glad;joy", "i am so sad;sadness", "i feel happy;joy", "i feel down;sadness"]
    data.write_text("\n".join([*lines, "i am cheerful;joy", "i am blue;sadness", "i am furious;anger"]) + "\n")
    output = tmp_path / "model"
    result = CliRunner().invoke(app, ["train", "--data", str(data), "--output-dir", str(output), *TINY_TRAINING])
    assert result.exit_code == 0, (result.stderr, result.exception)
    assert "not stratified: anger occurs only once" in result.stderr
    assert (output / "model.safetensors").is_file()


# ----- a full disk (or read-only folder, quota): one line naming the path, exit 2, nothing half-written -----

ENOSPC_TEXT = os.strerror(errno.ENOSPC)  # "No space left on device"


def one_error_line(stderr: str) -> str:
    """The single `error:` line of a failed run (commands that log progress may have printed lines before)."""
    assert "Traceback" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, stderr
    assert stderr.rstrip().endswith(errors[0]), stderr  # nothing after the error
    return errors[0]


class FillingFile:
    """A real file that accepts `room` characters, then fails as a full disk does."""

    def __init__(self, handle, room: int) -> None:
        self.handle, self.room = handle, room

    def write(self, text: str) -> int:
        if len(text) > self.room:
            self.handle.write(text[: self.room])  # a partial write really lands in the temporary file
            self.handle.flush()
            raise OSError(errno.ENOSPC, ENOSPC_TEXT)
        self.room -= len(text)
        return self.handle.write(text)

    def __getattr__(self, name: str):
        return getattr(self.handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.handle.close()


def test_classify_output_on_a_full_disk(trained_model_dir: Path, tmp_path: Path, monkeypatch) -> None:
    from emotion_bilstm import stream

    (tmp_path / "in.txt").write_text("i feel fine\n" * 3000)
    output = tmp_path / "out.jsonl"
    output.write_text(PREVIOUS)
    filling = lambda *a, **k: FillingFile(open(*a, **k), room=5000)  # noqa: E731, SIM115 (FillingFile closes it)
    monkeypatch.setattr(stream, "open", filling, raising=False)
    result = CliRunner().invoke(
        app, ["classify", str(tmp_path / "in.txt"), "-m", str(trained_model_dir), "-o", str(output), *CLASSIFY_ARGS]
    )
    assert result.exit_code == 2, (result.stderr, result.exception)
    line = one_error_line(result.stderr)
    assert str(output) in line and ENOSPC_TEXT in line, line
    assert output.read_text() == PREVIOUS  # the previous output is untouched
    assert no_debris(tmp_path) == []  # and the half-written temporary file is gone


def rust_enospc(*args, **kwargs):
    """What safetensors raises on a full disk: a SafetensorError (no OSError) holding Rust's io error."""
    from safetensors import SafetensorError

    raise SafetensorError(
        'Error while serializing: IoError(Os { code: 28, kind: StorageFull, message: "No space left on device" })'
    )


def oserror_enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, ENOSPC_TEXT)


@pytest.mark.slow
@pytest.mark.parametrize("error", [rust_enospc, oserror_enospc], ids=["SafetensorError", "OSError"])
def test_train_saving_to_a_full_disk(error, tmp_path: Path, monkeypatch) -> None:
    import safetensors.torch

    data = folder_with(tmp_path, "train.txt", GOOD)
    output = tmp_path / "model"
    monkeypatch.setattr(safetensors.torch, "save_file", error)
    result = CliRunner().invoke(app, ["train", "--data", str(data), "--output-dir", str(output), *TINY_TRAINING])
    assert result.exit_code == 2, (result.stderr, result.exception)
    line = one_error_line(result.stderr)
    assert str(output) in line and "No space left on device" in line, line
    assert not output.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging folder left


@pytest.mark.slow
def test_train_checkpoint_on_a_full_disk(tmp_path: Path, monkeypatch) -> None:
    from accelerate import Accelerator

    data = folder_with(tmp_path, "train.txt", GOOD)
    output = tmp_path / "model"
    real_save_state = Accelerator.save_state

    def fill_disk(self, folder: str, *args, **kwargs):
        real_save_state(self, folder, *args, **kwargs)  # writes part of the state ...
        raise OSError(errno.ENOSPC, ENOSPC_TEXT)  # ... then the disk is full

    monkeypatch.setattr(Accelerator, "save_state", fill_disk)
    result = CliRunner().invoke(app, ["train", "--data", str(data), "--output-dir", str(output), *TINY_TRAINING])
    assert result.exit_code == 2, (result.stderr, result.exception)
    line = one_error_line(result.stderr)
    checkpoints = tmp_path / "model.checkpoints"
    assert str(checkpoints) in line and ENOSPC_TEXT in line, line
    assert not (checkpoints / ".state.tmp").exists() and not (checkpoints / "state").exists()


def test_write_text_atomic_on_a_full_disk_keeps_the_old_file(tmp_path: Path, monkeypatch) -> None:
    from emotion_bilstm.atomic import write_text_atomic
    from emotion_bilstm.errors import OutputError

    target = tmp_path / "train_state.json"
    target.write_text(PREVIOUS)
    real_write_text = Path.write_text

    def half_write(self: Path, text: str, *args, **kwargs) -> int:
        real_write_text(self, text[:3])
        raise OSError(errno.ENOSPC, ENOSPC_TEXT)

    monkeypatch.setattr(Path, "write_text", half_write)
    with pytest.raises(OutputError, match=f"{target}: cannot write \\({ENOSPC_TEXT}\\)"):
        write_text_atomic(target, "{}")
    assert target.read_text() == PREVIOUS
    assert no_debris(tmp_path) == []


@pytest.mark.parametrize(
    "error",
    [
        PermissionError(errno.EACCES, os.strerror(errno.EACCES), "/models/emo/config.json"),
        OSError(errno.EROFS, os.strerror(errno.EROFS), "/models/emo/config.json"),
        OSError(errno.EDQUOT, os.strerror(errno.EDQUOT), "/models/emo/config.json"),
    ],
    ids=["permission", "read-only", "quota"],
)
def test_any_os_error_is_one_line_with_path_and_cause(error: OSError, monkeypatch) -> None:
    from emotion_bilstm.cli import _shared

    def fail(model, engine="torch"):
        raise error

    monkeypatch.setattr(_shared, "load_model", fail)
    result = CliRunner().invoke(app, ["predict", "hello"])
    assert result.exit_code == 2, (result.stderr, result.exception)
    assert one_error_line(result.stderr) == f"error: /models/emo/config.json: {error.strerror}"


def test_classify_input_that_fails_mid_read_is_blamed_on_the_input(
    trained_model_dir: Path, tmp_path: Path, monkeypatch
) -> None:
    from emotion_bilstm import stream

    source = tmp_path / "in.txt"
    source.write_text("i feel fine\n" * 10)
    output = tmp_path / "out.jsonl"
    output.write_text(PREVIOUS)

    class FailingDisk:
        def __init__(self, handle) -> None:
            self.handle, self.lines = handle, 0

        def readline(self, limit: int) -> bytes:
            self.lines += 1
            if self.lines > 3:
                raise OSError(errno.EIO, os.strerror(errno.EIO))
            return self.handle.readline(limit)

        def __enter__(self):
            return self

        def __exit__(self, *exc_info) -> None:
            self.handle.close()

    real_open = open

    def open_failing(file, mode="r", *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        return FailingDisk(handle) if "b" in mode else handle

    monkeypatch.setattr(stream, "open", open_failing, raising=False)
    result = CliRunner().invoke(
        app, ["classify", str(source), "-m", str(trained_model_dir), "-o", str(output), *CLASSIFY_ARGS]
    )
    assert result.exit_code == 2, (result.stderr, result.exception)
    line = one_error_line(result.stderr)
    assert str(source) in line and os.strerror(errno.EIO) in line and "cannot be read" in line, line
    assert output.read_text() == PREVIOUS and no_debris(tmp_path) == []
