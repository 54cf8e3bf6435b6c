"""Multi-label (issue 14): several labels per text, as GoEmotions; plus --top-k / --threshold on classify and predict.

The data are made here, in go_emotions' layout (`{"text", "labels": [ids], "id"}`), and the Hub
loader is run on a local Parquet file with go_emotions' features.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest
import torch
from conftest import synthetic_examples, train_tiny, train_tiny_through_cli, write_semicolon_file
from typer.testing import CliRunner

from emotion_bilstm.calibration import scaled_thresholds
from emotion_bilstm.cli import app
from emotion_bilstm.data import load_splits
from emotion_bilstm.errors import DataError

CUES = {
    "admiration": ["impressive", "admire", "respect"],
    "anger": ["furious", "rage", "livid"],
    "gratitude": ["thanks", "grateful", "thankful"],
    "joy": ["happy", "glad", "cheerful"],
    "neutral": ["tuesday", "schedule", "document"],
}
NAMES = list(CUES)
FILLER = ["the", "a", "this", "is", "was", "my", "your", "post", "comment", "really", "so", "about"]
# go_emotions' "simplified" label names, in the order of its `labels` feature
GO_EMOTIONS = [
    "admiration",
    "amusement",
    "anger",
    "annoyance",
    "approval",
    "caring",
    "confusion",
    "curiosity",
    "desire",
    "disappointment",
    "disapproval",
    "disgust",
    "embarrassment",
    "excitement",
    "fear",
    "gratitude",
    "grief",
    "joy",
    "love",
    "nervousness",
    "optimism",
    "pride",
    "realization",
    "relief",
    "remorse",
    "sadness",
    "surprise",
    "neutral",
]


def comments(n: int, seed: int) -> list[dict]:
    """Reddit-like comments with one or two labels each, one cue word per label."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        chosen = rng.sample(NAMES, rng.choice([1, 1, 2]))
        words = rng.sample(FILLER, rng.randint(3, 6))
        for name in chosen:
            words.insert(rng.randint(0, len(words)), rng.choice(CUES[name]))
        rows.append({"text": " ".join(words), "labels": sorted(NAMES.index(c) for c in chosen), "id": f"c{seed}x{i}"})
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


@pytest.fixture(scope="module")
def comment_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("comments")
    write_jsonl(folder / "train.jsonl", comments(300, seed=1))
    write_jsonl(folder / "validation.jsonl", comments(80, seed=2))
    return folder


@pytest.fixture(scope="module")
def multi_model(comment_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 5-label multi-label model trained through the CLI; ids get their names from --labels."""
    output = tmp_path_factory.mktemp("multi") / "comments"
    labels = ("--labels", ",".join(NAMES))
    result = train_tiny_through_cli(comment_data, output, *labels, epochs=12, batch_size=16, learning_rate=0.02)
    assert "5 labels (multi-label)" in result.stderr and "micro-F1" in result.stderr
    return output


@pytest.mark.slow
def test_multi_label_end_to_end(multi_model: Path, comment_data: Path, tmp_path: Path) -> None:
    from emotion_bilstm.model import EmotionBiLSTM

    config = json.loads((multi_model / "config.json").read_text())
    assert config["problem_type"] == "multi_label_classification"
    assert config["id2label"] == {str(i): name for i, name in enumerate(NAMES)}
    metrics = json.loads((multi_model / "metrics.json").read_text())
    tuned = metrics["validation"]["thresholds"]  # tuned on the uncalibrated scores; config's moved with T
    assert len(tuned) == 5 and all(0.05 <= t <= 0.95 for t in tuned)
    assert config["thresholds"] == pytest.approx(scaled_thresholds(tuned, config["temperature"]), abs=1e-11)

    model = EmotionBiLSTM.from_pretrained(multi_model)
    assert model.multi_label and model.thresholds == config["thresholds"]
    both, neither = model.predict(["thanks so much this is impressive", "the schedule for tuesday"])
    assert set(both["scores"]) == set(NAMES) and list(both["scores"].values()) == sorted(both["scores"].values())[::-1]
    assert set(both["labels"]) == {"gratitude", "admiration"} and neither["labels"] == ["neutral"]
    thanks = ["thanks so much this is impressive"]
    probs = model.predict_proba(thanks)
    assert probs.shape == (1, 5) and float(probs.sum()) > 1.2  # independent sigmoids, not a softmax
    # the fast CPU engines apply the same sigmoid; each is named, as `auto` picks by the CPU (test_fast_inference)
    reference = model.predict_proba(thanks, engine="reference")
    assert (model.predict_proba(thanks, engine="fast") - reference).abs().max() < 1e-5
    assert (model.predict_proba(thanks, engine="fast-bf16") - reference).abs().max() < 5e-3
    [why] = model.explain("thanks so much this is impressive")
    explained = {entry["label"]: entry for entry in why["labels"]}
    assert set(explained) == {"gratitude", "admiration"} and why["label"] == why["labels"][0]["label"]
    assert explained["gratitude"]["top_words"][0]["word"] == "thanks"
    assert explained["admiration"]["top_words"][0]["word"] == "impressive"

    lines = tmp_path / "in.txt"
    lines.write_text("so furious and livid about this post\n\nthanks, really grateful and glad\n")
    runner = CliRunner()
    as_jsonl = runner.invoke(app, ["classify", str(lines), "-m", str(multi_model), "-f", "jsonl"])
    assert as_jsonl.exit_code == 0, as_jsonl.output
    rows = [json.loads(line) for line in as_jsonl.stdout.splitlines()]
    assert rows[0]["labels"] == ["anger"] and rows[1] == {"text": "", "labels": None, "scores": {}, "reason": "empty"}
    assert "gratitude" in rows[2]["labels"] and all(len(row["scores"]) in (0, 5) for row in rows)
    as_csv = runner.invoke(app, ["classify", str(lines), "-m", str(multi_model), "-f", "csv", "--top-k", "1"])
    table = list(csv.reader(as_csv.stdout.splitlines()))
    assert table[0] == ["line", "text", "labels", *NAMES, "top"]
    assert table[1][2] == "anger" and table[1][-1] == "anger" and table[2][2] == ""
    assert len(table[3][2].split("|")) == 1  # --top-k 1 keeps one label
    strict = runner.invoke(app, ["classify", str(lines), "-m", str(multi_model), "--threshold", "1.0"])
    assert all(json.loads(line)["labels"] in ([], None) for line in strict.stdout.splitlines())

    evaluated = runner.invoke(app, ["evaluate", "-m", str(multi_model), "--data", str(comment_data), "--json"])
    assert evaluated.exit_code == 0, evaluated.output
    figures = json.loads(evaluated.stdout)
    assert figures["multi_label"] and list(figures["per_class"]) == NAMES and "confusion_matrix" not in figures
    assert figures["n"] == 80 and figures["micro_f1"] >= 0.8 and figures["macro_f1"] >= 0.7, figures
    assert 0 <= figures["exact_match"] <= figures["micro_f1"] + 0.2
    shown = runner.invoke(app, ["evaluate", "-m", str(multi_model), "--data", str(comment_data)])
    assert "micro-F1" in shown.stdout and "exact match" in shown.stdout and "confusion" not in shown.stdout

    card = (multi_model / "README.md").read_text()
    assert "| id | label | support in the validation split | threshold |" in card
    threshold = round(config["thresholds"][0], 4)
    assert f"| 0 | admiration | {figures['per_class']['admiration']['support']} | {threshold} |" in card
    assert "micro-F1" in card and "exact match" in card and "{{" not in card
    from huggingface_hub import ModelCard

    results = {r.metric_name: r for r in ModelCard.load(multi_model / "README.md").data.eval_results}
    assert set(results) == {"Micro F1", "Macro F1"}
    assert results["Macro F1"].metric_value == round(metrics["validation"]["macro_f1"], 4)
    pushed = runner.invoke(app, ["push", str(multi_model), "--repo-id", "someone/comments", "--dry-run"])
    assert pushed.exit_code == 0, pushed.output


def test_pipe_separated_labels_need_multi_label(tmp_path: Path) -> None:
    rows = [(row["text"], "|".join(NAMES[i] for i in row["labels"])) for row in comments(60, seed=3)]
    data = write_semicolon_file(tmp_path / "train.txt", rows)
    with pytest.raises(DataError, match=r"train.txt:\d+: label '\w+\|\w+' holds '\|': .*--multi-label"):
        load_splits(data)
    splits = load_splits(data, multi_label=True)
    assert splits["train"].features["label"].feature.names == ["joy", "anger", "neutral", "admiration", "gratitude"]
    assert any(len(ids) == 2 for ids in splits["train"]["label"])
    report = CliRunner().invoke(app, ["data", "check", "--data", str(data), "--multi-label", "--json"])
    assert report.exit_code == 0, report.output
    counts = json.loads(report.stdout)["splits"]
    assert sum(counts["train"]["classes"].values()) + sum(counts["validation"]["classes"].values()) == sum(
        len(label.split("|")) for _, label in rows
    )


def test_an_empty_label_list_in_single_label_data_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    write_semicolon_file(folder / "train.txt", synthetic_examples(60, seed=1))
    write_jsonl(folder / "validation.jsonl", [{"text": "i feel glad", "label": "joy"}, {"text": "hm", "label": []}])
    output = tmp_path / "model"
    result = CliRunner().invoke(app, ["train", "--data", str(folder), "--output-dir", str(output)])
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "validation.jsonl:2: empty label list" in errors[0], result.stderr
    assert not output.exists()


def test_multi_label_refuses_single_label_only_settings(comment_data: Path, tmp_path: Path) -> None:
    args = ["train", "--data", str(comment_data), "--output-dir", str(tmp_path / "m"), "--labels", ",".join(NAMES)]
    result = CliRunner().invoke(app, [*args, "--class-weights"])
    assert result.exit_code == 2 and "single-label training" in result.stderr
    model_dir = tmp_path / "m"
    assert not model_dir.exists()


@pytest.mark.slow
def test_go_emotions_hub_loader_on_a_local_parquet_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import datasets
    from datasets import ClassLabel, Dataset, Features, Sequence, Value

    features = Features(
        {"text": Value("string"), "labels": Sequence(ClassLabel(names=GO_EMOTIONS)), "id": Value("string")}
    )
    files = {}
    for split, n, seed in (("train", 200, 1), ("validation", 40, 2), ("test", 40, 3)):
        rows = comments(n, seed)
        # the 5 cue labels stand for go_emotions ids: admiration 0, anger 2, gratitude 15, joy 17, neutral 27
        ids = [[GO_EMOTIONS.index(NAMES[i]) for i in row["labels"]] for row in rows]
        table = {"text": [r["text"] for r in rows], "labels": ids, "id": [r["id"] for r in rows]}
        files[split] = str(tmp_path / f"{split}.parquet")
        Dataset.from_dict(table, features=features).to_parquet(files[split])
    real_load_dataset = datasets.load_dataset
    asked = []

    def from_fixture(path: str, name: str | None = None, **kwargs: object):
        asked.append((path, name))
        return real_load_dataset("parquet", data_files=files)

    monkeypatch.setattr(datasets, "load_dataset", from_fixture)
    splits = load_splits("google-research-datasets/go_emotions", "simplified")
    assert asked == [("google-research-datasets/go_emotions", "simplified")]
    assert set(splits) == {"train", "validation", "test"}
    names = splits["train"].features["label"].feature.names
    assert names == GO_EMOTIONS  # the Hub's ClassLabel order is kept: ids stay go_emotions' ids
    first = Dataset.from_parquet(files["train"])[0]
    assert splits["train"][0]["label"] == first["labels"] and splits["train"][0]["text"] == first["text"]

    summary_dir = tmp_path / "model"
    summary = train_tiny("google-research-datasets/go_emotions", summary_dir, epochs=1, dataset_config="simplified")
    assert summary["labels"] == GO_EMOTIONS and summary["validation"]["multi_label"]
    assert summary["test"]["thresholds"] == summary["validation"]["thresholds"]  # test never tunes its own
    config = json.loads((summary_dir / "config.json").read_text())
    assert config["num_labels"] == 28 and len(config["thresholds"]) == 28
    card = (summary_dir / "README.md").read_text()
    assert "type: google-research-datasets/go_emotions" in card and "split: test" in card


def test_top_k_and_threshold_on_a_single_label_model(trained_model_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["predict", "i am thrilled and delighted", "-m", str(trained_model_dir), "--json"]
    plain = json.loads(runner.invoke(app, [*args, "--top-k", "6"]).stdout)
    both = json.loads(runner.invoke(app, [*args, "--top-k", "2", "--threshold", "0.2"]).stdout)
    assert plain["label"] == "joy" and len(plain["top"]) == 6
    assert [entry["label"] for entry in plain["top"]] == list(plain["scores"])
    expected = [entry for entry in plain["top"] if entry["score"] >= 0.2][:2]
    assert both["top"] == expected and both["label"] == "joy"
    (tmp_path / "in.txt").write_text("i am thrilled and delighted\n\nso furious\n")
    classify = ["classify", str(tmp_path / "in.txt"), "-m", str(trained_model_dir)]
    lines = runner.invoke(app, [*classify, "--threshold", "0.0"])
    rows = [json.loads(line) for line in lines.stdout.splitlines()]
    assert {"label", "score", "scores", "top"} <= set(rows[0]) and len(rows[0]["top"]) == 6
    assert rows[1]["top"] == [] and rows[1]["label"] is None
    unchanged = runner.invoke(app, classify)
    assert all("top" not in json.loads(line) for line in unchanged.stdout.splitlines())


def labels_of(model, texts: list[str]) -> list:
    return [row["labels"] for row in model.predict(texts)]


def raw_copy(folder: Path):
    """The model of `folder` as training left it before calibration: T = 1 and the tuned thresholds."""
    from emotion_bilstm.model import EmotionBiLSTM

    model = EmotionBiLSTM.from_pretrained(folder)
    model.temperature = 1.0
    model.thresholds = json.loads((folder / "metrics.json").read_text())["validation"]["thresholds"]
    return model


@pytest.mark.slow
def test_training_calibrates_a_multi_label_model_and_no_label_moves(multi_model: Path, comment_data: Path) -> None:
    from emotion_bilstm.model import EmotionBiLSTM

    figures = json.loads((multi_model / "metrics.json").read_text())["calibration"]
    assert figures["multi_label"] and figures["split"] == "validation" and figures["n"] == 80 and figures["bins"] == 15
    assert figures["temperature"] > 0 and figures["decisions_changed"] == 0
    assert figures["nll_after"] <= figures["nll_before"]
    assert 0 <= figures["ece_after"] <= 1 and 0 <= figures["ece_before"] <= 1
    calibrated = EmotionBiLSTM.from_pretrained(multi_model)
    assert calibrated.temperature == figures["temperature"] != 1.0
    texts = [row["text"] for row in comments(200, seed=9)] + ["thanks so much this is impressive", "tuesday"]
    assert labels_of(calibrated, texts) == labels_of(raw_copy(multi_model), texts)
    card = (multi_model / "README.md").read_text()
    assert "## Calibration" in card and "before the sigmoid" in card and "Sigmoid temperature" in card
    assert f"temperature of {figures['temperature']:.3f}" in card and "{{" not in card


@pytest.mark.slow
def test_multi_label_calibration_keeps_labels_and_restarts_from_raw_logits(multi_model: Path) -> None:
    from emotion_bilstm.calibration import calibrate

    model = raw_copy(multi_model)
    held_out = comments(150, seed=4)
    texts, labels = [row["text"] for row in held_out], [row["labels"] for row in held_out]
    probe = [row["text"] for row in comments(200, seed=9)]
    before_labels, before_scores = labels_of(model, probe), model.predict_proba(probe)
    report = calibrate(model, texts, labels, split="fixture")
    assert model.temperature == report["temperature"] != 1.0 and report["decisions_changed"] == 0
    assert model.thresholds == pytest.approx(scaled_thresholds(report["thresholds_before"], model.temperature))
    assert labels_of(model, probe) == before_labels
    assert not torch.allclose(model.predict_proba(probe), before_scores)  # the scores did move
    assert report["nll_after"] <= report["nll_before"]
    # recalibrating starts from the raw logits and thresholds: the same T and thresholds again
    thresholds = model.thresholds
    again = calibrate(model, texts, labels)
    assert again["temperature"] == pytest.approx(report["temperature"])
    assert again["thresholds_before"] == pytest.approx(report["thresholds_before"], abs=1e-9)
    assert model.thresholds == pytest.approx(thresholds, abs=1e-9)
    assert labels_of(model, probe) == before_labels


@pytest.mark.slow
def test_cli_calibrate_a_multi_label_folder(multi_model: Path, tmp_path: Path) -> None:
    import shutil

    from emotion_bilstm.model import EmotionBiLSTM

    folder = tmp_path / "comments"
    shutil.copytree(multi_model, folder)
    probe = [row["text"] for row in comments(200, seed=9)]
    before = labels_of(EmotionBiLSTM.from_pretrained(folder), probe)
    # `a|b` labels in a text;label file are lists for a multi-label model
    rows = [(row["text"], "|".join(NAMES[i] for i in row["labels"])) for row in comments(150, seed=5)]
    data = write_semicolon_file(tmp_path / "held_out.txt", rows)
    result = CliRunner().invoke(app, ["calibrate", "--model", str(folder), "--data", str(data), "--json"])
    assert result.exit_code == 0, (result.output, result.exception)
    figures = json.loads(result.stdout)
    assert figures["split"] == "held_out.txt" and figures["n"] == 150 and figures["multi_label"]
    assert figures["temperature"] > 0 and figures["nll_after"] <= figures["nll_before"]
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["calibration"] == figures and "validation" in metrics
    model = EmotionBiLSTM.from_pretrained(folder)
    assert model.temperature == figures["temperature"]
    assert labels_of(model, probe) == before
    shown = CliRunner().invoke(app, ["calibrate", "--model", str(folder), "--data", str(data)])
    assert shown.exit_code == 0 and "labels unchanged" in shown.stderr, shown.output
