"""Loading labelled data: every file format, names and ids as labels, folders, carving, and errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import synthetic_examples, write_semicolon_file

from emotion_bilstm.data import load_file, load_splits
from emotion_bilstm.errors import DataError
from emotion_bilstm.labels import LABELS

ROWS = [("i feel so gloomy today", "sadness"), ("what a glad week", "joy"), ("so furious at work", "anger")]
IDS = [0, 1, 3]


def write_rows(path: Path, rows: list[tuple[str, object]]) -> Path:
    """`rows` in the format `path`'s extension says, with a header where the format has one."""
    suffix = path.suffix
    if suffix == ".txt":
        path.write_text("".join(f"{text};{label}\n" for text, label in rows))
    elif suffix in (".csv", ".tsv"):
        import csv

        with path.open("w", newline="") as sink:
            writer = csv.writer(sink, delimiter="\t" if suffix == ".tsv" else ",")
            writer.writerow(["text", "label"])
            writer.writerows(rows)
    elif suffix == ".jsonl":
        path.write_text("".join(json.dumps({"text": t, "label": label}) + "\n" for t, label in rows))
    elif suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table({"text": [t for t, _ in rows], "label": [label for _, label in rows]}), path)
    return path


@pytest.mark.parametrize("suffix", [".txt", ".csv", ".tsv", ".jsonl", ".parquet"])
@pytest.mark.parametrize("as_ids", [False, True], ids=["names", "ids"])
def test_each_format_loads_names_and_ids(suffix: str, as_ids: bool, tmp_path: Path) -> None:
    rows = [(text, label_id if as_ids else name) for (text, name), label_id in zip(ROWS, IDS, strict=True)]
    dataset = load_file(write_rows(tmp_path / f"data{suffix}", rows))
    assert dataset["text"] == [text for text, _ in ROWS]
    assert dataset["label"] == IDS
    assert dataset.features["label"].names == list(LABELS)


def test_text_with_semicolons_keeps_them(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("tea; biscuits; and rain;joy\n")
    assert load_file(path)["text"] == ["tea; biscuits; and rain"]


def test_folder_with_train_validation_test(tmp_path: Path) -> None:
    write_semicolon_file(tmp_path / "train.txt", synthetic_examples(60, seed=1))
    write_rows(tmp_path / "dev.csv", [(t, n) for t, n in synthetic_examples(12, seed=2)])
    write_rows(tmp_path / "test.jsonl", [(t, n) for t, n in synthetic_examples(18, seed=3)])
    splits = load_splits(tmp_path)
    assert {name: len(split) for name, split in splits.items()} == {"train": 60, "validation": 12, "test": 18}


def test_single_file_carves_validation_with_a_fixed_seed_and_says_so(tmp_path: Path) -> None:
    data = write_semicolon_file(tmp_path / "all.txt", synthetic_examples(200, seed=1))
    messages: list[str] = []
    first = load_splits(data, validation_fraction=0.1, seed=5, log=messages.append)
    second = load_splits(data, validation_fraction=0.1, seed=5)
    other_seed = load_splits(data, validation_fraction=0.1, seed=6)
    assert len(first["validation"]) == 20 and len(first["train"]) == 180
    assert first["validation"]["text"] == second["validation"]["text"]
    assert first["validation"]["text"] != other_seed["validation"]["text"]
    assert len(messages) == 1 and "no validation split" in messages[0] and "seed 5" in messages[0]
    # stratified: every class keeps its share
    assert sorted(set(first["validation"]["label"])) == list(range(6))


def test_folder_without_a_train_file(tmp_path: Path) -> None:
    write_semicolon_file(tmp_path / "validation.txt", synthetic_examples(10))
    with pytest.raises(DataError, match="no train file"):
        load_splits(tmp_path)


def test_two_files_for_one_split_are_refused(tmp_path: Path) -> None:
    write_semicolon_file(tmp_path / "train.txt", synthetic_examples(10))
    write_rows(tmp_path / "train.csv", synthetic_examples(10))
    with pytest.raises(DataError, match=r"train.csv.*train.txt|train.txt.*train.csv"):
        load_splits(tmp_path)


def test_unknown_path_and_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file or folder"):
        load_splits(tmp_path / "missing")
    (tmp_path / "data.xml").write_text("<x/>")
    with pytest.raises(DataError, match=r"data.xml: unknown format '.xml'"):
        load_file(tmp_path / "data.xml")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.txt", "fine;joy\nfine;joy\nnot fine;grumpy\n", r"bad.txt:3: unknown label 'grumpy'"),
        ("bad.txt", "fine;joy\nno separator\n", r"bad.txt:2: no ';'"),
        ("bad.txt", "fine;joy\nfine;6\n", r"bad.txt:2: label id 6 out of range"),
        ("bad.csv", "text,label\nfine,joy\nfine,\n", r"bad.csv:row 3: missing label"),
        ("bad.csv", "text,label\nfine,joy\nfine,grumpy\n", r"bad.csv:row 3: unknown label"),
        ("bad.tsv", "text\tlabel\nfine\t-1\n", r"bad.tsv:row 2: label id -1 out of range"),
        ("bad.jsonl", '{"text": "fine", "label": 1}\n{"text": "", "label": 1}\n', r"bad.jsonl:2: empty text"),
        ("bad.jsonl", '{"text": "fine", "label": 1}\n{"text": "x", "label": 7}\n', r"bad.jsonl:2: label id 7"),
        ("bad.jsonl", '{"text": "fine", "label": 1}\n{"text": "x", "lab', r"bad.jsonl: could not be read"),
        ("cols.csv", "words,label\nfine,joy\n", r"cols.csv: no text column .*found words, label"),
        ("cols.jsonl", '{"text": "fine"}\n', r"cols.jsonl: no label column"),
        ("empty.csv", "", r"empty.csv: file is empty"),
        ("blank.txt", "\n\n", r"blank.txt: no labelled texts"),
    ],
)
def test_errors_name_the_file_and_the_line(name: str, content: str, message: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(DataError, match=message) as error:
        load_file(path)
    assert "\n" not in str(error.value)


def test_blank_lines_in_a_text_file_are_skipped_but_line_numbers_kept(tmp_path: Path) -> None:
    path = tmp_path / "gaps.txt"
    path.write_text("fine;joy\n\nsad;sadness\n\nbad;nope\n")
    with pytest.raises(DataError, match=r"gaps.txt:5: unknown label 'nope'"):
        load_file(path)
    path.write_text("fine;joy\n\nsad;sadness\n")
    assert load_file(path)["label"] == [1, 0]


# ----- small files without a validation split: a random carve where stratifying cannot work -------

SEVEN_LINES = [
    ("i feel glad", "joy"),
    ("i am so sad", "sadness"),
    ("i feel happy", "joy"),
    ("i feel down", "sadness"),
    ("i am cheerful", "joy"),
    ("i am blue", "sadness"),
    ("i am furious", "anger"),  # the only anger: stratifying by label is impossible
]


def test_a_label_seen_once_falls_back_to_a_random_carve_and_says_why(tmp_path: Path) -> None:
    data = write_rows(tmp_path / "seven.txt", SEVEN_LINES)
    messages: list[str] = []
    splits = load_splits(data, validation_fraction=0.1, seed=42, log=messages.append)
    assert len(splits["validation"]) == 1 and len(splits["train"]) == 6
    assert sorted([*splits["train"]["text"], *splits["validation"]["text"]]) == sorted(t for t, _ in SEVEN_LINES)
    assert len(messages) == 1 and "not stratified" in messages[0] and "anger occurs only once" in messages[0]
    again = load_splits(data, validation_fraction=0.1, seed=42)
    assert list(again["validation"]["text"]) == list(splits["validation"]["text"])  # the fallback is seeded too


def test_too_few_held_out_rows_for_every_label_fall_back_too(tmp_path: Path) -> None:
    # every label twice, but one held-out row cannot hold six labels
    data = write_rows(tmp_path / "twelve.txt", synthetic_examples(12, seed=1))
    messages: list[str] = []
    splits = load_splits(data, validation_fraction=0.1, log=messages.append)
    assert len(splits["validation"]) == 2 and len(splits["train"]) == 10
    assert "not stratified" in messages[0] and "6 labels" in messages[0]


def test_a_stratified_carve_says_so(tmp_path: Path) -> None:
    messages: list[str] = []
    load_splits(write_rows(tmp_path / "all.txt", synthetic_examples(120, seed=1)), log=messages.append)
    assert "stratified by label" in messages[0] and "not stratified" not in messages[0]


@pytest.mark.parametrize("rows", [1, 2])
def test_too_few_rows_to_carve_is_one_clear_error(rows: int, tmp_path: Path) -> None:
    data = write_rows(tmp_path / "tiny.txt", SEVEN_LINES[:rows])
    with pytest.raises(DataError) as raised:
        load_splits(data, validation_fraction=0.5 if rows == 2 else 0.1)
    message = str(raised.value)
    assert "tiny.txt" in message
    # one row is one class; two rows at 0.5 leave one row of one class: not a classifier either way
    assert "only one class" in message, message


def test_nothing_left_to_train_after_carving_is_one_clear_error(tmp_path: Path) -> None:
    data = write_rows(tmp_path / "two.txt", [("i feel glad", "joy"), ("i feel furious", "anger")])
    with pytest.raises(DataError, match=r"two.txt: no validation split and only 2 labelled training row\(s\): too few"):
        load_splits(data, validation_fraction=0.9)
