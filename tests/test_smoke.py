from pathlib import Path


def test_trained_model_learns_the_fixture(trained_model_dir: Path) -> None:
    import json

    metrics = json.loads((trained_model_dir / "metrics.json").read_text())
    assert metrics["validation"]["accuracy"] > 0.8  # chance is 1/6


def test_save_load_roundtrip_predicts_identically(trained_model_dir: Path, tmp_path: Path) -> None:
    from emotion_bilstm import EmotionBiLSTM

    model = EmotionBiLSTM.from_pretrained(trained_model_dir)
    texts = ["I feel so terrified tonight", "i am thrilled!!", ""]
    before = model.predict(texts)
    model.save_pretrained(tmp_path / "copy")
    after = EmotionBiLSTM.from_pretrained(tmp_path / "copy").predict(texts)
    assert before == after
    assert [set(r) for r in before] == [{"label", "score", "scores"}] * 2 + [{"label", "score", "scores", "reason"}]
