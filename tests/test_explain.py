"""Explanations by occlusion: the scores are what they claim, map onto typed words, and are faithful."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import shared_data_or_skip, synthetic_examples
from typer.testing import CliRunner


@pytest.fixture(scope="module")
def model(trained_model_dir: Path):
    from emotion_bilstm import EmotionBiLSTM

    return EmotionBiLSTM.from_pretrained(trained_model_dir)


def test_token_scores_are_the_drop_in_probability_without_that_word(model) -> None:
    text = "i feel terrified about the work today"
    [result] = model.explain(text)
    full = model.predict_proba([text])[0]
    label_id = int(full.argmax())
    assert result["label"] == model.id2label[label_id]
    assert result["score"] == pytest.approx(float(full[label_id]), abs=1e-5)
    words = text.split()
    assert [t["token"] for t in result["tokens"]] == words  # word-level tokenizer, already normalised text
    for index, token in enumerate(result["tokens"]):
        without = " ".join(w for i, w in enumerate(words) if i != index)
        expected = float(full[label_id] - model.predict_proba([without])[0][label_id])
        assert token["score"] == pytest.approx(expected, abs=1e-5)


def test_cue_word_gets_the_top_score(model) -> None:
    [result] = model.explain(["i am so terrified about my friend at home"])
    assert result["label"] == "fear"
    assert result["top_words"][0]["word"] == "terrified"
    assert all(a["score"] >= b["score"] for a, b in zip(result["top_words"], result["top_words"][1:], strict=False))


def test_scores_land_on_the_words_the_user_typed(model) -> None:
    text = "I'm  TERRIFIED!!! @bob http://x.co/abc today"
    [result] = model.explain(text)
    words = {w["word"]: w for w in result["words"]}
    assert list(words) == ["I'm", "TERRIFIED!!!", "@bob", "http://x.co/abc", "today"]
    for word in result["words"]:
        assert text[word["start"] : word["end"]] == word["word"]
    assert words["@bob"]["score"] is None and words["http://x.co/abc"]["score"] is None  # the model never sees them
    assert words["TERRIFIED!!!"]["score"] is not None
    terrified = next(t for t in result["tokens"] if t["token"] == "terrified")
    assert result["words"][terrified["word"]]["word"] == "TERRIFIED!!!"
    # a word's score is the sum of its tokens' scores
    for index, word in enumerate(result["words"]):
        if word["score"] is not None:
            total = sum(t["score"] for t in result["tokens"] if t["word"] == index)
            assert word["score"] == pytest.approx(total, abs=1e-5)


def test_text_without_readable_words_has_no_scores(model) -> None:
    [result] = model.explain(["!!! ..."])
    assert result["tokens"] == [] and result["top_words"] == []
    assert [w["score"] for w in result["words"]] == [None, None]
    assert result["label"] is None and model.predict(["!!! ..."])[0]["label"] is None
    assert result["reason"] == "no words the model reads"


def test_removing_top_words_hurts_more_than_random_words_on_fixture_data(model) -> None:
    from emotion_bilstm.explain import deletion_check

    texts = [text for text, _ in synthetic_examples(200, seed=7)]
    figures = deletion_check(model, texts, k=2, seed=0)
    assert figures["n"] == 200
    assert figures["top_drop"] > figures["random_drop"] + 0.05


@pytest.mark.shared_data
def test_removing_top_words_hurts_more_than_random_words_on_validation() -> None:
    data = shared_data_or_skip()
    from emotion_bilstm.explain import deletion_check
    from emotion_bilstm.folder_reads import default_model_dir
    from emotion_bilstm.model import load_default

    if not (default_model_dir() / "model.safetensors").exists():
        pytest.skip(f"no default model at {default_model_dir()} (made by `make release-model`)")
    model = load_default()
    lines = (data / "validation.txt").read_text(encoding="utf-8").splitlines()
    texts = [line.rpartition(";")[0] for line in lines[:300]]  # a slice keeps the test short
    figures = deletion_check(model, texts, k=2, seed=0)
    assert figures["n"] >= 290
    assert figures["top_drop"] > 2 * figures["random_drop"]
    assert figures["top_wins"] > 0.8


def test_cli_explain_json_and_terminal(trained_model_dir: Path) -> None:
    from emotion_bilstm.cli import app

    runner = CliRunner()
    texts = ["i feel furious about the work", "i am thrilled today"]
    result = runner.invoke(app, ["explain", "--model", str(trained_model_dir), "--json", *texts])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["text"] for r in rows] == texts
    assert [r["label"] for r in rows] == ["anger", "joy"]
    assert {"token", "start", "end", "word", "score"} <= set(rows[0]["tokens"][0])
    result = runner.invoke(app, ["explain", "--model", str(trained_model_dir), "i am thrilled today"])
    assert result.exit_code == 0, result.output
    assert "joy" in result.stdout and "thrilled" in result.stdout and "contribution" in result.stdout


def test_cli_explain_missing_model_is_one_line_error(tmp_path: Path) -> None:
    from emotion_bilstm.cli import app

    result = CliRunner().invoke(app, ["explain", "--model", str(tmp_path / "nope"), "hello"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
