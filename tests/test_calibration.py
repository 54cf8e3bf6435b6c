"""Temperature scaling: finds the right T, measures ECE correctly, never changes a label, is written everywhere."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
import torch
from conftest import shared_data_or_skip, synthetic_examples, write_semicolon_file
from typer.testing import CliRunner

RUNS_EMO = Path(__file__).resolve().parent.parent / "runs" / "emo"


def test_fit_temperature_recovers_the_temperature_that_made_the_labels() -> None:
    from emotion_bilstm.calibration import fit_temperature

    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(20000, 6, generator=generator) * 4
    labels = torch.multinomial(torch.softmax(logits / 2.5, dim=1), 1, generator=generator).squeeze(1)
    assert fit_temperature(logits, labels) == pytest.approx(2.5, rel=0.06)
    # over-confident logits get T > 1, under-confident ones T < 1
    assert fit_temperature(logits / 5, labels) < 1


def test_ece_by_hand() -> None:
    from emotion_bilstm.calibration import expected_calibration_error, reliability_bins

    # ten rows at confidence 0.9 of which 6 are right: |0.6 - 0.9| = 0.3
    probs = torch.full((10, 6), 0.02)
    probs[:, 0] = 0.9
    labels = torch.tensor([0] * 6 + [1] * 4)
    assert expected_calibration_error(probs, labels) == pytest.approx(0.3)
    # add ten rows at confidence exactly 1.0, all right: they fall in the last bin; ECE halves
    sure = torch.zeros(10, 6)
    sure[:, 2] = 1.0
    both_probs, both_labels = torch.cat([probs, sure]), torch.cat([labels, torch.full((10,), 2)])
    assert expected_calibration_error(both_probs, both_labels) == pytest.approx(0.15)
    bins = reliability_bins(both_probs, both_labels)
    assert len(bins) == 15 and bins[-1]["count"] == 10 and bins[13]["count"] == 10
    assert sum(b["count"] for b in bins) == 20


def test_calibration_never_changes_a_label_or_the_accuracy(trained_model_dir: Path) -> None:
    from emotion_bilstm import EmotionBiLSTM
    from emotion_bilstm.calibration import calibrate

    model = EmotionBiLSTM.from_pretrained(trained_model_dir)
    model.temperature = 1.0
    examples = synthetic_examples(300, seed=11)
    texts = [text for text, _ in examples]
    labels = [("sadness", "joy", "love", "anger", "fear", "surprise").index(label) for _, label in examples]
    before = model.predict_proba(texts)
    report = calibrate(model, texts, labels, split="fixture")
    after = model.predict_proba(texts)
    assert model.temperature == report["temperature"] != 1.0
    assert torch.equal(before.argmax(dim=1), after.argmax(dim=1))
    assert not torch.allclose(before, after)  # the scores did move
    assert report["nll_after"] <= report["nll_before"]
    # recalibrating starts from the raw logits, so it finds the same temperature again
    assert calibrate(model, texts, labels)["temperature"] == pytest.approx(report["temperature"])


def test_training_calibrates_and_writes_everything(trained_model_dir: Path) -> None:
    from emotion_bilstm import EmotionBiLSTM

    metrics = json.loads((trained_model_dir / "metrics.json").read_text())
    figures = metrics["calibration"]
    assert set(figures) >= {"temperature", "ece_before", "ece_after", "nll_before", "nll_after", "bins", "n"}
    assert figures["bins"] == 15 and figures["n"] == 120
    assert figures["nll_after"] <= figures["nll_before"]
    config = json.loads((trained_model_dir / "config.json").read_text())
    assert config["temperature"] == figures["temperature"]
    assert EmotionBiLSTM.from_pretrained(trained_model_dir).temperature == figures["temperature"]
    pytest.importorskip("matplotlib")
    assert (trained_model_dir / "reliability.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the diagram is in the folder before the card is rendered, so the card's file table lists it
    assert "| `reliability.png` |" in (trained_model_dir / "README.md").read_text()


def test_cli_calibrate_rewrites_the_folder_and_keeps_other_files(trained_model_dir: Path, tmp_path: Path) -> None:
    from emotion_bilstm.cli import app

    folder = tmp_path / "emo"
    shutil.copytree(trained_model_dir, folder)
    (folder / "NOTES.txt").write_text("mine")
    config = json.loads((folder / "config.json").read_text())
    config["temperature"] = 7.0
    (folder / "config.json").write_text(json.dumps(config))
    data = write_semicolon_file(tmp_path / "held_out.txt", synthetic_examples(150, seed=5))
    result = CliRunner().invoke(app, ["calibrate", "--model", str(folder), "--data", str(data), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["split"] == "held_out.txt" and figures["n"] == 150
    assert json.loads((folder / "config.json").read_text())["temperature"] == figures["temperature"] != 7.0
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["calibration"] == figures
    assert "validation" in metrics  # the training figures survive recalibration
    assert (folder / "NOTES.txt").read_text() == "mine"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left behind


def test_cli_calibrate_refuses_a_missing_folder(tmp_path: Path) -> None:
    from emotion_bilstm.cli import app

    data = write_semicolon_file(tmp_path / "v.txt", synthetic_examples(12))
    result = CliRunner().invoke(app, ["calibrate", "--model", str(tmp_path / "nope"), "--data", str(data)])
    assert result.exit_code == 2
    assert "nope" in result.output and "Traceback" not in result.output


def test_without_matplotlib_only_the_image_is_skipped(monkeypatch, tmp_path: Path) -> None:
    from emotion_bilstm.calibration import calibration_report
    from emotion_bilstm.reliability_diagram import write_reliability_diagram

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` raise ImportError
    report = calibration_report(torch.randn(50, 6, generator=torch.Generator().manual_seed(1)), [0] * 50)
    notes: list[str] = []
    assert write_reliability_diagram(report, tmp_path / "reliability.png", notes.append) is False
    assert not (tmp_path / "reliability.png").exists()
    assert "matplotlib" in notes[0] and "plots" in notes[0]


def test_min_score_marks_uncertain_and_keeps_the_label(trained_model_dir: Path, tmp_path: Path) -> None:
    from emotion_bilstm.cli import app

    # cue texts score high; filler alone and two clashing cues score lower
    texts = [text for text, _ in synthetic_examples(20, seed=3)]
    texts += ["the work and my friend", "we went out this week", "furious and delighted", "terrified amazed glad"]
    source = tmp_path / "in.txt"
    source.write_text("\n".join([*texts, ""]) + "\n")
    plain = CliRunner().invoke(app, ["classify", str(source), "--model", str(trained_model_dir), "-f", "jsonl"])
    scores = sorted(json.loads(line)["score"] for line in plain.stdout.splitlines() if json.loads(line)["label"])
    threshold = round((scores[0] + scores[-1]) / 2, 6)  # at least the lowest falls below, the highest above
    assert scores[0] < threshold < scores[-1]
    result = CliRunner().invoke(
        app,
        ["classify", str(source), "--model", str(trained_model_dir), "-f", "jsonl", "--min-score", str(threshold)],
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["label"] for r in rows] == [json.loads(line)["label"] for line in plain.stdout.splitlines()]
    for row in rows[:-1]:
        assert row["uncertain"] == (row["score"] < threshold)
    assert rows[-1]["label"] is None and rows[-1]["uncertain"] is False  # a blank line is not uncertain
    assert sum(r["uncertain"] for r in rows) == sum(s < threshold for s in scores) > 0


@pytest.mark.shared_data
def test_calibration_lowers_ece_of_the_trained_model_on_validation(tmp_path: Path) -> None:
    data = shared_data_or_skip()
    if not (RUNS_EMO / "model.safetensors").exists():
        pytest.skip(f"no trained model at {RUNS_EMO} (train one with `make train`)")
    from emotion_bilstm.calibration import recalibrate_folder

    folder = tmp_path / "emo"
    shutil.copytree(RUNS_EMO, folder)
    report = recalibrate_folder(folder, data / "validation.txt", log=lambda message: None)
    assert report["n"] == 2000
    assert report["ece_after"] < report["ece_before"]
    assert report["ece_after_cross_fitted"] < report["ece_before"]
    assert report["nll_after"] < report["nll_before"]


def test_multi_label_temperature_ece_and_thresholds() -> None:
    from emotion_bilstm.calibration import (
        expected_calibration_error,
        fit_temperature,
        reliability_bins,
        scaled_thresholds,
        sigmoid_nll,
    )

    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(4000, 5, generator=generator) * 4
    targets = torch.bernoulli(torch.sigmoid(logits / 2.5), generator=generator)
    assert fit_temperature(logits, targets, nll=sigmoid_nll) == pytest.approx(2.5, rel=0.06)
    # pooled one-vs-rest: 2 rows x 2 labels at 0.9 of which 3 are true, 2 x 2 at 0.1 of which 1 is
    probs = torch.tensor([[0.9, 0.9], [0.9, 0.9], [0.1, 0.1], [0.1, 0.1]])
    truth = torch.tensor([[1, 1], [1, 0], [0, 0], [0, 1]])
    assert expected_calibration_error(probs, truth) == pytest.approx(0.5 * 0.15 + 0.5 * 0.15)
    assert sum(b["count"] for b in reliability_bins(probs, truth)) == 8
    # a threshold carried to sigmoid(logit(t) / T) decides exactly as before, and 1 / T undoes it
    thresholds = [0.05, 0.3, 0.5, 0.85, 0.95]
    moved = scaled_thresholds(thresholds, 2.5)
    assert torch.equal(
        torch.sigmoid(logits) >= torch.tensor(thresholds), torch.sigmoid(logits / 2.5) >= torch.tensor(moved)
    )
    assert scaled_thresholds(moved, 1 / 2.5) == pytest.approx(thresholds, abs=1e-12)


def test_label_recall_counts_texts_without_words_as_missed() -> None:
    # `predict` gives no label to a text with no word the model reads, so the shift must reach the asked
    # share of all the texts with the readable ones alone: half of 10 here is 5 of the 8 readable.
    from emotion_bilstm import load_default
    from emotion_bilstm.operating_point import label_offset_for_recall, shift_label_logit

    model = load_default()
    readable = [
        "the meeting moved to 3pm",
        "i bought bread and milk",
        "the bus comes at nine",
        "we painted the fence today",
        "my cat is on the sofa",
        "the report is due friday",
        "it is raining in town",
        "I will call you after lunch",
    ]
    texts = [*readable, "...", "@someone"]
    shift_label_logit(model, "neutral", label_offset_for_recall(model, texts, "neutral", 0.5))
    labels = [p["label"] for p in model.predict(texts)]
    assert labels[-2:] == [None, None] and labels.count("neutral") == 5, labels
    model = load_default()  # at least the share asked: 45% of 10 texts is 4.5, so 5 texts
    shift_label_logit(model, "neutral", label_offset_for_recall(model, texts, "neutral", 0.45))
    assert [p["label"] for p in model.predict(texts)].count("neutral") == 5
    with pytest.raises(ValueError, match="none of the 2"):
        label_offset_for_recall(model, ["...", "!!!"], "neutral", 0.5)


def test_offset_for_recall_draws_the_line_halfway_between_margins() -> None:
    # plain scores, as the benchmark's peers give them: the line falls between the k-th and (k+1)-th margin
    from emotion_bilstm.operating_point import offset_for_recall

    margins = [-2.0, 3.0, -1.0, 1.0]
    assert offset_for_recall(margins, 4, 0.5) == pytest.approx(0.0)  # 3 and 1 clear it, -1 and -2 do not
    assert sum(m + offset_for_recall(margins, 4, 0.75) > 0 for m in margins) == 3
    # texts that cannot get the label still count in the total: half of 4 is both readable ones, and a
    # line one below the last of them takes it
    assert offset_for_recall([3.0, 1.0], 4, 0.5) == pytest.approx(-0.5)
    assert offset_for_recall([3.0, 1.0], 4, 1.0) == pytest.approx(-0.5)


def test_accuracy_is_counted_on_the_logits_where_probabilities_tie() -> None:
    """An underconfident model's logits a hair apart round to one float32 probability at T=1 and not at a
    small fitted T; accuracy, which no T > 0 changes, must not depend on that (it once raised here)."""
    import torch

    from emotion_bilstm.calibration import calibration_report

    generator = torch.Generator().manual_seed(0)
    logits = torch.randint(0, 3, (200, 7), generator=generator).float() * 1e-8
    assert not torch.equal(torch.softmax(logits, dim=1).argmax(1), logits.argmax(1))  # the ties are there
    report = calibration_report(logits, logits.argmax(1).tolist())
    assert report["accuracy"] == 1.0 and report["temperature"] < 1
