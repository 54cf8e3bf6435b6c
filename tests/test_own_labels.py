"""Your own labels (issue 14): the label set comes from the data, `--labels` fixes it, and the model's
id2label drives every command downstream. The data are made here: support tickets with three labels."""

from __future__ import annotations

import csv
import json
import random
import shutil
from pathlib import Path

import pytest
from conftest import synthetic_examples, train_tiny, train_tiny_through_cli, write_semicolon_file
from typer.testing import CliRunner

from emotion_bilstm.cli import app
from emotion_bilstm.data import load_splits
from emotion_bilstm.errors import DataError
from emotion_bilstm.labels import LABELS

TICKET_CUES = {
    "angry": ["furious", "unacceptable", "outrageous", "ridiculous", "disgraceful"],
    "worried": ["concerned", "unsure", "nervous", "hesitant", "uneasy"],
    "happy": ["wonderful", "thanks", "brilliant", "excellent", "delighted"],
}
TICKET_FILLER = ["my", "order", "the", "parcel", "support", "team", "refund", "is", "still", "about", "your", "app"]
# Neither the canonical emotions nor alphabetical row order: the ids must be sorted names.
TICKET_LABELS = ["angry", "happy", "worried"]


def tickets(n_per_label: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    rows = []
    for label, cues in TICKET_CUES.items():
        for _ in range(n_per_label):
            words = rng.sample(TICKET_FILLER, rng.randint(3, 6))
            words.insert(rng.randint(0, len(words)), rng.choice(cues))
            rows.append((" ".join(words), label))
    rng.shuffle(rows)
    return rows


def write_csv(path: Path, rows: list[tuple[str, object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as sink:
        writer = csv.writer(sink)
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def ticket_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tickets")
    write_csv(folder / "train.csv", tickets(40, seed=1))
    write_csv(folder / "validation.csv", tickets(8, seed=2))
    return folder


@pytest.fixture(scope="module")
def ticket_model(ticket_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3-label model trained through the CLI, as a user would."""
    output = tmp_path_factory.mktemp("ticket-model") / "tickets"
    result = train_tiny_through_cli(ticket_data, output, epochs=15, patience=15, batch_size=16, learning_rate=0.02)
    assert "3 labels: angry, happy, worried" in result.stderr
    return output


def one_error_line(result) -> str:
    assert result.exit_code == 2, (result.output, result.exception)
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


@pytest.mark.slow
def test_three_labels_from_a_csv_drive_every_command(ticket_model: Path, ticket_data: Path, tmp_path: Path) -> None:
    from emotion_bilstm.model import EmotionBiLSTM

    config = json.loads((ticket_model / "config.json").read_text())
    assert config["num_labels"] == 3
    assert config["id2label"] == {"0": "angry", "1": "happy", "2": "worried"}
    assert config["label2id"] == {"angry": 0, "happy": 1, "worried": 2}

    model = EmotionBiLSTM.from_pretrained(ticket_model)
    [result] = model.predict("this is outrageous and unacceptable, where is my refund")
    assert set(result["scores"]) == set(TICKET_LABELS)
    assert result["label"] == "angry"

    lines = tmp_path / "in.txt"
    lines.write_text("thanks, the support team was brilliant\n\nnervous and unsure about my parcel\n")
    runner = CliRunner()
    classified = runner.invoke(app, ["classify", str(lines), "--model", str(ticket_model), "-f", "csv"])
    assert classified.exit_code == 0, classified.output
    rows = list(csv.reader(classified.stdout.splitlines()))
    assert rows[0] == ["line", "text", "label", "score", *TICKET_LABELS]
    assert [row[2] for row in rows[1:]] == ["happy", "", "worried"]
    assert abs(sum(float(v) for v in rows[1][4:]) - 1) < 1e-4

    evaluated = runner.invoke(app, ["evaluate", "--model", str(ticket_model), "--data", str(ticket_data), "--json"])
    assert evaluated.exit_code == 0, evaluated.output
    metrics = json.loads(evaluated.stdout)
    assert metrics["labels"] == TICKET_LABELS and list(metrics["per_class"]) == TICKET_LABELS
    assert len(metrics["confusion_matrix"]) == 3 and all(len(row) == 3 for row in metrics["confusion_matrix"])
    assert metrics["n"] == 24 and metrics["accuracy"] >= 0.8, metrics["accuracy"]
    one_file = str(ticket_data / "validation.csv")
    table = runner.invoke(app, ["evaluate", "--model", str(ticket_model), "--data", one_file])
    assert table.exit_code == 0 and "worried" in table.stdout and "sadness" not in table.stdout

    card = (ticket_model / "README.md").read_text()
    for index, name in enumerate(TICKET_LABELS):
        assert f"| {index} | {name} | 8 |" in card  # id, label, validation support
    assert "one of 3 labels" in card and "all 3 labels" in card
    assert "dair-ai" not in card and "Saravia" not in card and "six" not in card
    assert "{{" not in card and "{%" not in card

    pushed = runner.invoke(app, ["push", str(ticket_model), "--repo-id", "someone/tickets", "--dry-run"])
    assert pushed.exit_code == 0, pushed.output
    assert "config.json" in pushed.stdout and "nothing was uploaded" in pushed.stderr
    assert "dataset_type: tickets" in " ".join(pushed.stdout.split()) or "type: tickets" in pushed.stdout


def test_data_check_counts_the_datas_own_labels(ticket_data: Path) -> None:
    result = CliRunner().invoke(app, ["data", "check", "--data", str(ticket_data), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["labels"] == TICKET_LABELS
    assert report["splits"]["train"]["classes"] == {"angry": 40, "happy": 40, "worried": 40}
    table = CliRunner().invoke(app, ["data", "check", "--data", str(ticket_data)])
    assert "worried" in table.stdout and "sadness" not in table.stdout


def test_labels_option_fixes_the_order_and_refuses_other_rows(ticket_data: Path, tmp_path: Path) -> None:
    splits = load_splits(ticket_data, labels=["worried", "happy", "angry"])
    assert splits["train"].features["label"].names == ["worried", "happy", "angry"]
    assert splits["validation"].features["label"].names == ["worried", "happy", "angry"]
    first = splits["train"][0]
    assert ["worried", "happy", "angry"][first["label"]] == dict(tickets(40, seed=1))[first["text"]]

    output = tmp_path / "model"
    args = ["train", "--data", str(ticket_data), "--output-dir", str(output), "--cpu", "--labels", "angry,happy"]
    line = one_error_line(CliRunner().invoke(app, args))
    assert "train.csv:row " in line and "unknown label 'worried'" in line and "angry, happy" in line
    assert not output.exists()
    for bad, needle in (("angry,,happy", "empty name"), ("angry,angry", "more than once"), ("0,1", "number")):
        args = ["train", "--data", str(ticket_data), "--output-dir", str(output), "--labels", bad]
        assert needle in one_error_line(CliRunner().invoke(app, args))
        assert not output.exists()


def test_integer_labels_are_ids_into_the_labels_option(tmp_path: Path) -> None:
    rows = [(text, TICKET_LABELS.index(label)) for text, label in tickets(5, seed=3)]
    data = write_csv(tmp_path / "ids.csv", rows)
    splits = load_splits(data, labels=TICKET_LABELS, validation_fraction=0.4)
    names = splits["train"].features["label"].names
    assert names == TICKET_LABELS
    texts = dict(tickets(5, seed=3))
    assert all(names[row["label"]] == texts[row["text"]] for row in [*splits["train"], *splits["validation"]])
    # without names, bare integers are ids into the default six; 0..2 are sadness, joy, love
    assert load_splits(data, validation_fraction=0.4)["train"].features["label"].names == list(LABELS)
    write_csv(tmp_path / "big.csv", [*rows, ("a ticket", 7), ("another ticket", 7)])
    with pytest.raises(DataError, match=r"big.csv:row 17: label id 7 out of range 0-5 .*--labels"):
        load_splits(tmp_path / "big.csv")


def test_a_validation_label_never_seen_in_train_is_refused(ticket_data: Path, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    shutil.copytree(ticket_data, folder)
    with (folder / "validation.csv").open("a", newline="") as sink:
        csv.writer(sink).writerows([("cannot log in again", "confused"), ("which button do i press", "confused")])
    output = tmp_path / "model"
    line = one_error_line(CliRunner().invoke(app, ["train", "--data", str(folder), "--output-dir", str(output)]))
    assert "validation.csv:row 26" in line and "'confused' never occurs in the train split" in line
    assert not output.exists()
    # the same with --labels naming it: it is in the set, but training could still never learn it
    args = ["train", "--data", str(folder), "--output-dir", str(output), "--labels", "angry,happy,worried,confused"]
    line = one_error_line(CliRunner().invoke(app, args))
    assert "validation.csv:row 26" in line and "'confused' never occurs in the train split" in line
    assert not output.exists()


def test_a_new_label_on_one_row_only_is_refused_as_a_likely_typo(ticket_data: Path, tmp_path: Path) -> None:
    rows = [*tickets(40, seed=1), ("please help", "worired")]
    data = write_csv(tmp_path / "train.csv", rows)
    with pytest.raises(DataError, match=r"train.csv:row 122: unknown label 'worired': no other training row"):
        load_splits(data)
    # two rows make it a label
    write_csv(tmp_path / "train.csv", [*rows, ("help me please", "worired")])
    assert "worired" in load_splits(data)["train"].features["label"].names


@pytest.mark.slow
def test_neutral_joins_the_six_as_id_6(tmp_path: Path) -> None:
    rows = synthetic_examples(120, seed=1) + [(f"the meeting is at {h} today", "neutral") for h in range(1, 21)]
    random.Random(0).shuffle(rows)
    folder = tmp_path / "seven"
    folder.mkdir()
    write_semicolon_file(folder / "train.txt", rows)
    write_semicolon_file(folder / "validation.txt", rows[:40])
    names = load_splits(folder)["train"].features["label"].names
    assert names == [*LABELS, "neutral"]
    # the order comes from the rule, not from the rows
    write_semicolon_file(folder / "train.txt", list(reversed(rows)))
    assert load_splits(folder)["train"].features["label"].names == [*LABELS, "neutral"]
    # a file holding only some of the six still gets dair-ai's ids
    only_two = [(text, label) for text, label in rows if label in ("joy", "anger")]
    write_semicolon_file(folder / "train.txt", only_two)
    write_semicolon_file(folder / "validation.txt", only_two[:6])
    splits = load_splits(folder)
    assert splits["train"].features["label"].names == list(LABELS)
    assert set(splits["train"]["label"]) == {1, 3}

    from emotion_bilstm.model import EmotionBiLSTM

    write_semicolon_file(folder / "train.txt", rows)
    write_semicolon_file(folder / "validation.txt", rows[:40])
    summary = train_tiny(folder, tmp_path / "m", epochs=1)
    assert summary["labels"] == [*LABELS, "neutral"]
    model = EmotionBiLSTM.from_pretrained(tmp_path / "m")
    assert model.id2label[6] == "neutral" and model.config["num_labels"] == 7
    assert model.predict_proba(["the meeting is at noon"]).shape == (1, 7)
    card = (tmp_path / "m" / "README.md").read_text()
    assert "| 6 | neutral |" in card and 'there is no "neutral" label' not in card


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"id2label": {"0": "angry", "1": "happy", "2": "worried"}}, "id2label names 3 labels but num_labels is 6"),
        (
            {"id2label": {"0": "angry", "1": "happy", "2": "worried"}, "label2id": None, "num_labels": 3},
            "has 6 output rows (classifier.weight) but config.json's id2label names 3 labels",
        ),
        ({"id2label": {"0": "a", "1": "a", "2": "b", "3": "c", "4": "d", "5": "e"}, "label2id": None}, "twice"),
        ({"label2id": {"joy": 0}}, "label2id is not the inverse of id2label"),
        ({"num_labels": 1}, "num_labels=1"),
    ],
)
def test_labels_that_disagree_with_the_weights_are_refused(
    change: dict, needle: str, trained_model_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "broken"
    shutil.copytree(trained_model_dir, folder)
    config = json.loads((folder / "config.json").read_text())
    config.update(change)
    (folder / "config.json").write_text(json.dumps({k: v for k, v in config.items() if v is not None}))
    (tmp_path / "in.txt").write_text("i feel fine\n")
    line = one_error_line(CliRunner().invoke(app, ["classify", str(tmp_path / "in.txt"), "--model", str(folder)]))
    assert "broken" in line and needle in line, line


@pytest.mark.slow
def test_evaluate_refuses_labels_the_model_does_not_know(ticket_model: Path, tmp_path: Path) -> None:
    data = write_csv(tmp_path / "other.csv", [("i feel gloomy", "sadness"), ("so glad", "angry")])
    args = ["evaluate", "--model", str(ticket_model), "--data", str(data)]
    line = one_error_line(CliRunner().invoke(app, args))
    assert "other.csv:row 2: unknown label 'sadness'" in line and "angry, happy, worried" in line
