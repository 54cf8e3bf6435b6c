"""The CLI through typer's CliRunner (fast, in-process) and as a real subprocess (stdin, exit codes)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from clitools import assert_one_line_error, cli_env, run_cli
from conftest import tiny_train_args
from typer.testing import CliRunner

from emotion_bilstm.cli import app
from emotion_bilstm.labels import LABELS

LINES = ["i feel so terrified tonight", "", "what a glad and cheerful week", "   ", "so furious at my friend"]
INPUT = "\n".join(LINES) + "\n"
SMALL_TRAINING = tiny_train_args()


def test_help_teaches_with_examples() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("train", "evaluate", "classify", "predict"):
        assert command in result.stdout
    classify_help = CliRunner().invoke(app, ["classify", "--help"])
    assert "emo-cli classify tweets.txt" in classify_help.stdout


def test_classify_jsonl_keeps_line_alignment(trained_model_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_text(INPUT)
    result = CliRunner().invoke(
        app, ["classify", str(tmp_path / "in.txt"), "-m", str(trained_model_dir), "-f", "jsonl"]
    )
    assert result.exit_code == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["text"] for row in rows] == LINES
    assert [row["label"] for row in rows] == ["fear", None, "joy", None, "anger"]
    assert rows[1] == {"text": "", "label": None, "score": None, "scores": {}, "reason": "empty"}
    labelled = [row for row in rows if row["label"] is not None]
    assert all(set(row) == {"text", "label", "score", "scores"} for row in labelled)


def test_classify_csv_and_table_and_top_k(trained_model_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_text(INPUT)
    args = ["classify", str(tmp_path / "in.txt"), "-m", str(trained_model_dir)]
    as_csv = CliRunner().invoke(app, [*args, "-f", "csv"])
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [row["line"] for row in rows] == ["1", "2", "3", "4", "5"]
    assert [row["label"] for row in rows] == ["fear", "", "joy", "", "anger"]
    assert set(LABELS) <= set(rows[0])
    table = CliRunner().invoke(app, [*args, "-f", "table"])
    assert table.exit_code == 0 and "fear" in table.stdout and "anger" in table.stdout
    top1 = CliRunner().invoke(app, [*args, "-f", "jsonl", "--top-k", "1"])
    assert all(len(json.loads(line)["scores"]) <= 1 for line in top1.stdout.splitlines())


def test_classify_output_file_is_written_and_reported(trained_model_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_text(INPUT)
    output = tmp_path / "preds.jsonl"
    result = CliRunner().invoke(
        app, ["classify", str(tmp_path / "in.txt"), "-m", str(trained_model_dir), "-f", "jsonl", "-o", str(output)]
    )
    assert result.exit_code == 0
    assert result.stdout == ""
    assert len(output.read_text().splitlines()) == len(LINES)
    assert "wrote 5 line(s)" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt", "preds.jsonl"]


def test_predict_json(trained_model_dir: Path) -> None:
    result = CliRunner().invoke(
        app, ["predict", "i am thrilled and delighted", "so furious", "-m", str(trained_model_dir), "--json"]
    )
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["label"] for row in rows] == ["joy", "anger"]
    assert all(len(row["scores"]) == 3 for row in rows)  # --top-k 3 by default


def test_evaluate_json_has_the_promised_keys(trained_model_dir: Path, tiny_dataset: Path) -> None:
    result = CliRunner().invoke(
        app, ["evaluate", "-m", str(trained_model_dir), "--data", str(tiny_dataset / "validation.txt"), "--json"]
    )
    assert result.exit_code == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert {"accuracy", "macro_f1", "weighted_f1", "per_class", "confusion_matrix", "n"} <= set(metrics)
    assert metrics["n"] == 120 and metrics["accuracy"] > 0.8
    table = CliRunner().invoke(app, ["evaluate", "-m", str(trained_model_dir), "--data", str(tiny_dataset)])
    assert table.exit_code == 0 and "macro-F1" in table.stdout and "confusion" in table.stdout


def long_folder(tmp_path: Path) -> Path:
    """A folder whose path is over 200 characters: a long checkout or temp path must not break log lines."""
    folder = tmp_path / ("deeply-nested-" * 5) / ("folder-" * 10) / ("with-a-long-name-" * 5)
    folder.mkdir(parents=True)
    assert len(str(folder)) > 200
    return folder


@pytest.mark.slow
def test_train_through_the_cli(tiny_dataset: Path, tmp_path: Path) -> None:
    output = long_folder(tmp_path) / "model"
    result = CliRunner().invoke(
        app,
        ["train", "--data", str(tiny_dataset), "--output-dir", str(output), *SMALL_TRAINING],
    )
    assert result.exit_code == 0, result.stderr
    # one line, however long the path: off a terminal rich must not wrap it at 80 columns
    assert any(line.startswith(f"saved {output}: validation accuracy") for line in result.stderr.splitlines())
    assert result.stdout == ""
    assert json.loads((output / "metrics.json").read_text())["epochs_run"] == 2


@pytest.mark.slow
def test_train_threads_sets_torchs_thread_count(tiny_dataset: Path, tmp_path: Path, monkeypatch) -> None:
    import torch

    calls: list[int] = []
    monkeypatch.setattr(torch, "set_num_threads", calls.append)  # the real call would last beyond this test
    args = ["train", "--data", str(tiny_dataset), "--output-dir", str(tmp_path / "m"), *SMALL_TRAINING]
    result = CliRunner().invoke(app, [*args, "--threads", "1"])
    assert result.exit_code == 0, result.stderr
    assert calls == [1]
    refused = CliRunner().invoke(app, [*args, "--threads", "0"])
    assert refused.exit_code == 2 and "--threads" in refused.stderr


# ----- as a subprocess: the real entry point, stdin, exit codes ----------------------------------


def test_subprocess_classify_from_stdin(trained_model_dir: Path) -> None:
    result = run_cli("classify", "-", "--model", str(trained_model_dir), "--format", "jsonl", input=INPUT.encode())
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert len(rows) == len(LINES)
    assert [row["label"] is None for row in rows] == [False, True, False, True, False]
    assert result.stderr.decode().strip() == ""  # nothing to report: no notes, no progress off a terminal


def test_subprocess_default_format_off_a_terminal_is_jsonl(trained_model_dir: Path) -> None:
    result = run_cli("classify", "-", "--model", str(trained_model_dir), input=b"i feel so terrified\n")
    assert json.loads(result.stdout)["label"] == "fear"


@pytest.mark.slow
def test_subprocess_error_exit_codes(trained_model_dir: Path, tmp_path: Path) -> None:
    assert_one_line_error(run_cli("classify", str(tmp_path / "none.txt"), "-m", str(trained_model_dir)), "none.txt")
    assert_one_line_error(run_cli("predict", "hi", "-m", str(tmp_path / "no-model")), "no-model")
    assert_one_line_error(
        run_cli("evaluate", "--data", str(tmp_path / "none"), "-m", str(trained_model_dir)), "no such file or folder"
    )
    usage = run_cli("classify", "x.txt", "--top-k", "9")  # click's usage errors are exit 2 too
    assert usage.returncode == 2 and b"Traceback" not in usage.stderr


def test_classify_gives_no_label_to_lines_without_words(trained_model_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_text("!!! ...\n@bob https://t.co/x\ni feel so terrified tonight\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["classify", str(tmp_path / "in.txt"), "-m", str(trained_model_dir), "-f", "jsonl"]
    )
    assert result.exit_code == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["label"] for row in rows] == [None, None, "fear"]
    assert rows[0]["reason"] == rows[1]["reason"] == "no words the model reads"
    assert "2 line(s) hold no word the model reads" in result.stderr


# ----- fixed choices: refused by the parser, before any work -------------------------------------

BAD_CHOICES = [
    ("train", "--pooling", "avg"),
    ("train", "--tokenizer", "bpe"),
    ("train", "--mixed-precision", "fp8"),
    ("classify", "--format", "xml"),
    ("evaluate", "--split", "dev"),
]


def test_a_bad_choice_exits_2_before_reading_data(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-data")
    for command, option, value in BAD_CHOICES:
        args = {
            "train": ["train", "--data", missing, "--output-dir", str(tmp_path / "out")],
            "classify": ["classify", missing],
            "evaluate": ["evaluate", "--data", missing],
        }[command]
        result = run_cli(*args, option, value)
        line = assert_one_line_error(result, option, repr(value))
        # the parser refused it: the missing data was never looked at, and nothing was written
        assert "no-such-data" not in line and "training on" not in result.stderr.decode()
        assert not (tmp_path / "out").exists()


def test_every_library_choice_is_accepted_by_the_parser(tmp_path: Path) -> None:
    """The CLI's choices are the library's: every value the library takes gets past the parser."""
    from emotion_bilstm.config import POOLINGS
    from emotion_bilstm.tokenizer import TOKENIZER_KINDS
    from emotion_bilstm.training.vectors import PRETRAINED_VECTORS
    from emotion_bilstm.writers import FORMATS

    missing = str(tmp_path / "no-such-data")
    train = ["train", "--data", missing, "--output-dir", str(tmp_path / "out"), "--cpu"]
    cases = [[*train, "--pooling", value] for value in POOLINGS]
    cases += [[*train, "--tokenizer", value] for value in TOKENIZER_KINDS]
    cases += [[*train, "--pretrained-vectors", value] for value in PRETRAINED_VECTORS]
    cases += [["classify", missing, "--format", value] for value in FORMATS]
    cases += [[*train, "--mixed-precision", value] for value in ("auto", "no", "bf16", "fp16")]
    for args in cases:
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2 and "Invalid value" not in result.stderr, (args, result.stderr)
        # past the parser, the library refused the missing data (or half precision on a CPU)
        assert "no-such-data" in result.stderr or "needs a GPU" in result.stderr, (args, result.stderr)


def test_train_config_refuses_a_bad_choice_before_any_work(tmp_path: Path) -> None:
    from emotion_bilstm.enums import Pooling
    from emotion_bilstm.errors import EmotionBiLSTMError
    from emotion_bilstm.training import TrainConfig

    with pytest.raises(EmotionBiLSTMError, match="pooling 'avg' is not one of max, mean, last"):
        TrainConfig(data=str(tmp_path), output_dir=str(tmp_path / "m"), pooling="avg")
    # an Enum member is stored as its plain string: metrics.json and --resume compare JSON values
    assert type(TrainConfig(data="d", output_dir="o", pooling=Pooling.MEAN).pooling) is str


# ----- logs off a terminal: no wrapping, no progress bars --------------------------------------------

BAR_CHARACTERS = "━╸╺─█▌"


def run_logged(log: Path, *args: str) -> tuple[int, list[str]]:
    """Run the CLI with stderr written to a file, as `2> log` would, and no COLUMNS to widen rich."""
    env = cli_env()
    env.pop("COLUMNS")
    with log.open("wb") as sink:
        code = subprocess.run(
            [sys.executable, "-m", "emotion_bilstm", *args],
            stdout=subprocess.DEVNULL,
            stderr=sink,
            env=env,
            timeout=300,
        ).returncode
    return code, log.read_text(encoding="utf-8").splitlines()


@pytest.mark.slow
def test_logs_off_a_terminal_have_whole_lines_and_no_progress_bars(
    tiny_dataset: Path, trained_model_dir: Path, tmp_path: Path
) -> None:
    folder = long_folder(tmp_path)
    output = folder / "model"
    # --progress is the default for train and asked for explicitly for classify: off a terminal both stay quiet
    args = ["train", "--data", str(tiny_dataset), "--output-dir", str(output), *tiny_train_args(progress=True)]
    code, train_log = run_logged(folder / "train.log", *args)
    assert code == 0, train_log
    texts = folder / "in.txt"
    texts.write_text(INPUT * 200)
    predictions = folder / "predictions.jsonl"
    code, classify_log = run_logged(
        folder / "classify.log",
        "classify",
        str(texts),
        "-m",
        str(trained_model_dir),
        "-o",
        str(predictions),
        "--progress",
    )
    assert code == 0, classify_log
    for line in train_log + classify_log:
        assert not set(line) & set(BAR_CHARACTERS), line
    # each message whole on one line: the long path never split from what follows it
    assert any(line.startswith(f"saved {output}: validation accuracy") and "best epoch" in line for line in train_log)
    assert [line for line in train_log if line.startswith("epoch ")] == [
        line for line in train_log if "epoch" in line and "loss" in line
    ]
    assert len([line for line in train_log if line.startswith("epoch ")]) == 2  # a plain line per epoch
    [classified] = classify_log
    assert classified.startswith(f"wrote {len(LINES) * 200} line(s) to {predictions} with the ")
    assert classified.endswith(" engine")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("option", "precision", "engine"),
    [
        ("numpy", "bfloat16", "numpy (float32, no torch)"),  # the default; the precision variable is torch's
        ("torch", "float32", "fast (float32"),
        ("torch", "bfloat16", "fast-bf16 ("),
    ],
)
def test_classify_says_which_engine_ran(
    option: str, precision: str, engine: str, trained_model_dir: Path, tmp_path: Path
) -> None:
    texts = tmp_path / "in.txt"
    texts.write_text(INPUT)
    env = cli_env(EMOTION_BILSTM_PRECISION=precision)
    output = tmp_path / "out.jsonl"
    engine_option = [] if option == "numpy" else ["--engine", option]
    result = run_cli("classify", str(texts), "-m", str(trained_model_dir), "-o", str(output), *engine_option, env=env)
    assert result.returncode == 0, result.stderr.decode()
    assert f"with the {engine}" in result.stderr.decode()
