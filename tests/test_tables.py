"""`classify` of tables (tables.py): Parquet, CSV and JSONL in and out, every input column kept."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from clitools import assert_one_line_error, run_cli
from conftest import train_tiny_through_cli

from emotion_bilstm import light, tables

TEXTS = ["i feel so happy and loved today", "this is terrible, i am furious", "so scared of the dark", "meh"]


def classify(*args: str | Path) -> None:
    result = run_cli("classify", *map(str, args))
    assert result.returncode == 0, result.stderr.decode()


def direct(model_dir: Path, texts: list[str]) -> list[dict]:
    return light.pipeline(model_dir).predict(texts)


def test_parquet_in_and_out_keeps_every_column_in_order(trained_model_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": [10, 11, 12, 13], "text": TEXTS, "extra": [0.5, None, 1.5, 2.0]}), source)
    classify(source, "--model", trained_model_dir, "--output", tmp_path / "out.parquet")
    out = pq.read_table(tmp_path / "out.parquet")
    assert out.column_names == ["id", "text", "extra", "label", "score"]
    assert out.column("id").to_pylist() == [10, 11, 12, 13] and out.column("extra").to_pylist() == [0.5, None, 1.5, 2.0]
    expected = direct(trained_model_dir, TEXTS)
    assert out.column("label").to_pylist() == [r["label"] for r in expected]
    assert out.column("score").to_pylist() == pytest.approx([r["score"] for r in expected], abs=1e-6)
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


def test_csv_and_jsonl_in(trained_model_dir: Path, tmp_path: Path) -> None:
    with open(tmp_path / "in.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text"])
        writer.writerows([[i, text] for i, text in enumerate(TEXTS)])
    (tmp_path / "in.jsonl").write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(TEXTS)))
    expected = [r["label"] for r in direct(trained_model_dir, TEXTS)]

    classify(tmp_path / "in.csv", "--text-column", "text", "--model", trained_model_dir, "-o", tmp_path / "o.csv")
    with open(tmp_path / "o.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["id", "text", "label", "score"]
    assert [r["id"] for r in rows] == ["0", "1", "2", "3"] and [r["label"] or None for r in rows] == expected

    classify(tmp_path / "in.jsonl", "--text-column", "text", "--model", trained_model_dir, "-o", tmp_path / "o.pq")
    out = pq.read_table(tmp_path / "o.pq")  # .pq: Parquet from the suffix
    assert out.column("id").to_pylist() == [0, 1, 2, 3] and out.column("label").to_pylist() == expected

    result = run_cli("classify", str(tmp_path / "in.jsonl"), "--text-column", "text", "--model", str(trained_model_dir))
    lines = [json.loads(line) for line in result.stdout.decode().splitlines()]  # jsonl on stdout by default
    assert [list(line) for line in lines] == [["id", "text", "label", "score"]] * 4


def test_a_label_input_column_prefixes_every_prediction_column(trained_model_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "emotion.parquet"  # dair-ai/emotion's columns: text and label
    pq.write_table(pa.table({"text": TEXTS, "label": [1, 3, 4, 0]}), source)
    result = run_cli("classify", str(source), "--model", str(trained_model_dir), "-o", str(tmp_path / "o.jsonl"))
    assert result.returncode == 0 and b"pred_" in result.stderr
    rows = [json.loads(line) for line in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert list(rows[0]) == ["text", "label", "pred_label", "pred_score"]
    assert [r["label"] for r in rows] == [1, 3, 4, 0]


def test_null_and_empty_texts_get_null_predictions_and_keep_their_rows(trained_model_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.parquet"
    pq.write_table(pa.table({"text": [TEXTS[0], None, "", "   ", TEXTS[1]], "n": [1, 2, 3, 4, 5]}), source)
    classify(source, "--model", trained_model_dir, "-o", tmp_path / "out.parquet", "--all-scores")
    out = pq.read_table(tmp_path / "out.parquet").to_pylist()
    assert [r["n"] for r in out] == [1, 2, 3, 4, 5]
    assert [r["label"] is None for r in out] == [False, True, True, True, False]
    assert all(r["score"] is None and r["score_joy"] is None for r in out[1:4])


def test_all_scores_adds_one_column_per_label(trained_model_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.parquet"
    pq.write_table(pa.table({"text": TEXTS}), source)
    classify(source, "--model", trained_model_dir, "-o", tmp_path / "out.parquet", "--all-scores")
    out = pq.read_table(tmp_path / "out.parquet")
    labels = light.pipeline(trained_model_dir).labels
    assert out.column_names == ["text", "label", "score", *(f"score_{name}" for name in labels)]
    expected = direct(trained_model_dir, TEXTS)
    for name in labels:
        assert out.column(f"score_{name}").to_pylist() == pytest.approx([r["scores"].get(name) for r in expected])


def test_errors_are_one_line_and_leave_no_output(trained_model_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": [1], "body": ["hi"]}), source)
    out = tmp_path / "out.parquet"
    model = ("--model", str(trained_model_dir))
    assert_one_line_error(run_cli("classify", str(source), *model, "-o", str(out)), "'text'", "id, body")
    (tmp_path / "bad.parquet").write_bytes(b"not parquet at all")
    assert_one_line_error(run_cli("classify", str(tmp_path / "bad.parquet"), *model, "-o", str(out)), "Parquet")
    (tmp_path / "noheader.csv").write_text("1,i am happy\n2,i am sad\n")
    bad_csv = run_cli("classify", str(tmp_path / "noheader.csv"), "--text-column", "text", *model, "-o", str(out))
    assert_one_line_error(bad_csv, "'text'", "i am happy")
    assert_one_line_error(
        run_cli("classify", str(source), "--text-column", "body", *model, "-f", "parquet"), "--output"
    )
    hub = run_cli("classify", "nobody/nothing", "--split", "train", *model, "-o", str(out))  # offline in tests
    assert_one_line_error(hub, "nobody/nothing", "Hub")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.parquet", "in.parquet", "noheader.csv"]


def test_a_big_parquet_file_streams_in_many_batches(
    trained_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = 200_000
    source = tmp_path / "big.parquet"
    pq.write_table(
        pa.table({"id": range(rows), "text": [TEXTS[i % 4] for i in range(rows)]}), source, row_group_size=50_000
    )
    batches: list[int] = []
    write = tables.TableWriter.write
    monkeypatch.setattr(
        tables.TableWriter, "write", lambda self, table: (batches.append(table.num_rows), write(self, table))[1]
    )
    stats = tables.classify_table(light.pipeline(trained_model_dir), source, tmp_path / "out.parquet", "parquet")
    assert stats.rows == rows and len(batches) > 1 and max(batches) <= tables.BATCH_ROWS
    out = pq.ParquetFile(tmp_path / "out.parquet")
    assert out.metadata.num_rows == rows
    ids = out.read(columns=["id"]).column("id").to_pylist()
    assert ids == list(range(rows))


def test_a_plain_text_file_keeps_todays_output(trained_model_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "t.txt").write_text("\n".join(TEXTS) + "\n")
    result = run_cli("classify", str(tmp_path / "t.txt"), "--model", str(trained_model_dir), "--format", "jsonl")
    first = json.loads(result.stdout.decode().splitlines()[0])
    assert first["text"] == TEXTS[0] and "scores" in first  # the line format, not the table one


@pytest.fixture(scope="module")
def multi_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from test_multi_label import NAMES, comments, write_jsonl

    data = tmp_path_factory.mktemp("comments")
    write_jsonl(data / "train.jsonl", comments(120, seed=1))
    write_jsonl(data / "validation.jsonl", comments(40, seed=2))
    output = tmp_path_factory.mktemp("multi") / "comments"
    train_tiny_through_cli(data, output, "--labels", ",".join(NAMES), epochs=2, batch_size=16)
    return output


def test_a_multi_label_model_writes_a_labels_list(multi_model: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.parquet"
    pq.write_table(pa.table({"text": [TEXTS[0], None, TEXTS[1]]}), source)
    classify(source, "--model", multi_model, "-o", tmp_path / "out.parquet")
    out = pq.read_table(tmp_path / "out.parquet")
    assert out.column_names == ["text", "labels"]
    expected = direct(multi_model, [TEXTS[0], TEXTS[1]])
    assert out.column("labels").to_pylist() == [expected[0]["labels"], None, expected[1]["labels"]]
    classify(source, "--model", multi_model, "-o", tmp_path / "out.csv")
    with open(tmp_path / "out.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["labels"] for r in rows] == ["|".join(expected[0]["labels"]), "", "|".join(expected[1]["labels"])]


def test_an_empty_table_gives_its_columns_and_no_rows(trained_model_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": pa.array([], pa.int64()), "text": pa.array([], pa.string())}), source)
    classify(source, "--model", trained_model_dir, "-o", tmp_path / "out.parquet")
    out = pq.read_table(tmp_path / "out.parquet")
    assert out.num_rows == 0 and out.column_names == ["id", "text", "label", "score"]


def test_a_hub_dataset_split_streams_in(
    trained_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`owner/name --split`: datasets' streaming loader, here pointed at a local Parquet file (tests are offline)."""
    import datasets
    from typer.testing import CliRunner

    from emotion_bilstm.cli import app

    fixture = tmp_path / "test.parquet"
    pq.write_table(pa.table({"text": TEXTS, "label": [1, 3, 4, 0]}), fixture)
    real = datasets.load_dataset
    asked: list[tuple] = []

    def from_fixture(dataset_id: str, split: str, streaming: bool):
        asked.append((dataset_id, split, streaming))
        return real("parquet", data_files={split: str(fixture)}, split=split, streaming=True)

    monkeypatch.setattr(datasets, "load_dataset", from_fixture)
    out = tmp_path / "out.parquet"
    args = ["classify", "dair-ai/emotion", "--split", "test", "--model", str(trained_model_dir), "-o", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, (result.output, result.exception)
    assert asked == [("dair-ai/emotion", "test", True)]
    table = pq.read_table(out)
    assert table.column_names == ["text", "label", "pred_label", "pred_score"]
    assert table.column("pred_label").to_pylist() == [r["label"] for r in direct(trained_model_dir, TEXTS)]
