"""`data check`: finds every planted problem with exact counts, exits as documented; `train --dedupe`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import shared_data_or_skip, train_tiny
from conftest import write_semicolon_file as write
from typer.testing import CliRunner

CLEAN_TRAIN = [
    ("i feel miserable tonight", "sadness"),
    ("i am delighted with the news", "joy"),
    ("i feel tender towards him", "love"),
    ("i am furious at the delay", "anger"),
    ("i feel terrified of the exam", "fear"),
    ("i am amazed by the view", "surprise"),
]
CLEAN_VALIDATION = [("i feel gloomy today", "sadness"), ("i am thrilled about it", "joy")]


@pytest.fixture
def clean_data(tmp_path: Path) -> Path:
    folder = tmp_path / "clean"
    folder.mkdir()
    write(folder / "train.txt", CLEAN_TRAIN)
    write(folder / "validation.txt", CLEAN_VALIDATION)
    return folder


@pytest.fixture
def dirty_data(tmp_path: Path) -> Path:
    """Every problem the check looks for, each planted a known number of times."""
    folder = tmp_path / "dirty"
    folder.mkdir()
    long_text = " ".join(["word"] * 200)
    train = [
        *CLEAN_TRAIN,
        ("i feel miserable tonight", "sadness"),  # exact duplicate, same label
        ("i am delighted with the news", "love"),  # exact duplicate, conflicting label
        ("I'm SO happy!!!", "joy"),  # normalised duplicates of each other ("im so happy"), conflicting
        ("im so happy", "love"),
        ("i feel gloomy today", "sadness"),  # also in validation (leakage, same label)
        ("I am thrilled about it!", "surprise"),  # in validation after normalisation, other label
        ("!!! ...", "joy"),  # nothing left after normalisation
        (long_text, "fear"),  # 200 words
    ]
    write(folder / "train.txt", train)
    write(folder / "validation.txt", CLEAN_VALIDATION)
    return folder


def test_clean_data_has_no_problems(clean_data: Path) -> None:
    from emotion_bilstm.data.data_check import check_dataset

    report = check_dataset(clean_data)
    assert report["problems"] == []
    assert report["training_reads_it"] is True
    assert report["splits"]["train"]["rows"] == 6
    assert report["splits"]["train"]["classes"] == dict.fromkeys(
        ("sadness", "joy", "love", "anger", "fear", "surprise"), 1
    )
    assert report["leakage"][0]["splits"] == ["train", "validation"]
    assert report["leakage"][0]["normalised_texts"] == 0


def test_dirty_data_findings_are_exact(dirty_data: Path) -> None:
    from emotion_bilstm.data.data_check import check_dataset

    report = check_dataset(dirty_data, max_tokens=128)
    train = report["splits"]["train"]
    assert train["rows"] == 14
    assert train["classes"]["joy"] == 3 and train["classes"]["love"] == 3
    assert train["empty_after_normalisation"] == 1
    assert train["very_long"] == 1 and train["longest_tokens"] == 200
    assert train["exact_duplicates"] == {
        "groups": 2,
        "extra_rows": 2,
        "conflicting_groups": 1,
        "conflicting_examples": [{"text": "i am delighted with the news", "labels": ["joy", "love"]}],
    }
    normalised = train["normalised_duplicates"]
    assert (normalised["groups"], normalised["extra_rows"], normalised["conflicting_groups"]) == (3, 3, 2)
    [leak] = report["leakage"]
    assert (leak["exact_texts"], leak["normalised_texts"], leak["conflicting_labels"]) == (1, 2, 1)
    assert len(report["problems"]) == 2
    assert report["problems"][0].startswith("train: 2 duplicated text(s) with conflicting labels (1 exact)")


def test_labels_outside_the_set_are_findings_not_a_crash(clean_data: Path) -> None:
    from emotion_bilstm.data.data_check import check_dataset

    with (clean_data / "train.txt").open("a", encoding="utf-8") as handle:
        handle.write("i am so bored;boredom\ni am calm;7\n;joy\n")
    report = check_dataset(clean_data)
    invalid = report["invalid_rows"]
    assert invalid["count"] == 3
    assert invalid["unknown_labels"] == {"boredom": 1, "7": 1}
    assert invalid["by_problem"] == {"unknown label": 2, "empty text": 1}
    assert invalid["examples"][0]["where"].endswith("train.txt:7")
    assert report["training_reads_it"] is False and "train.txt:7" in report["training_error"]
    assert report["splits"]["train"]["rows"] == 6  # the valid rows are still examined
    assert any("invalid row" in line for line in report["problems"])


def test_cli_json_strict_and_exit_codes(clean_data: Path, dirty_data: Path, tmp_path: Path) -> None:
    from emotion_bilstm.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["data", "check", "--data", str(dirty_data), "--json"])
    assert result.exit_code == 0, result.output  # findings alone do not fail without --strict
    assert json.loads(result.stdout)["leakage"][0]["normalised_texts"] == 2
    assert runner.invoke(app, ["data", "check", "--data", str(dirty_data), "--strict"]).exit_code == 1
    assert runner.invoke(app, ["data", "check", "--data", str(clean_data), "--strict"]).exit_code == 0
    missing = runner.invoke(app, ["data", "check", "--data", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "nope" in missing.output and "Traceback" not in missing.output
    table = runner.invoke(app, ["data", "check", "--data", str(dirty_data)])
    assert "leakage" in table.stdout and "problems:" in table.stdout


@pytest.mark.slow
def test_train_dedupe_drops_texts_shared_with_validation(dirty_data: Path, tmp_path: Path) -> None:
    messages: list[str] = []
    output = tmp_path / "model"
    summary = train_tiny(dirty_data, output, log=messages.append, epochs=1, embedding_dim=8, hidden_size=8, dedupe=True)
    assert any("--dedupe: dropped 2 training row(s)" in m for m in messages), messages
    assert summary["train_config"]["dedupe"] is True


def test_drop_shared_texts_keeps_everything_else(dirty_data: Path) -> None:
    from emotion_bilstm.data import load_splits
    from emotion_bilstm.data.hygiene import drop_shared_texts

    splits = load_splits(dirty_data)
    train, removed = drop_shared_texts(splits)
    assert removed == 2 and len(train) == 12
    assert "i feel gloomy today" not in train["text"] and "I am thrilled about it!" not in train["text"]


@pytest.mark.slow
@pytest.mark.shared_data
def test_shared_data_findings() -> None:
    data = shared_data_or_skip()
    from emotion_bilstm.data.data_check import check_dataset

    report = check_dataset(data)
    train, validation = report["splits"]["train"], report["splits"]["validation"]
    assert (train["rows"], validation["rows"]) == (16000, 2000)
    assert train["exact_duplicates"]["extra_rows"] == 31 and train["exact_duplicates"]["conflicting_groups"] == 30
    assert validation["exact_duplicates"]["conflicting_groups"] == 2
    [leak] = report["leakage"]
    assert (leak["exact_texts"], leak["normalised_texts"], leak["conflicting_labels"]) == (5, 5, 5)
    assert report["invalid_rows"]["count"] == 0 and report["training_reads_it"] is True
