"""The typed model config (config.py): what config.json holds, round trips, and the documented examples run."""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import pytest

from emotion_bilstm import config as config_module
from emotion_bilstm.config import MULTI_LABEL, ModelConfig
from emotion_bilstm.errors import ModelLoadError


def test_config_json_round_trips_for_both_heads() -> None:
    single = ModelConfig(vocab_size=50, id2label={0: "calm", 1: "upset"}, num_labels=2, temperature=0.9)
    multi = ModelConfig(vocab_size=50, num_labels=3, problem_type=MULTI_LABEL, thresholds=[0.2, 0.5, 0.7])
    for config in (single, multi):
        written = json.loads(json.dumps(config.to_json()))  # what a folder holds, string ids and all
        assert ModelConfig.from_json("m", written) == config
    assert "thresholds" not in single.to_json() and single.thresholds is None
    assert multi.to_json()["thresholds"] == [0.2, 0.5, 0.7] and multi.labels == ["LABEL_0", "LABEL_1", "LABEL_2"]
    assert single.to_json()["label2id"] == {"calm": 0, "upset": 1}


def test_the_saved_config_json_is_the_typed_configs(trained_model_dir: Path) -> None:
    from emotion_bilstm import EmotionBiLSTM

    model = EmotionBiLSTM.from_pretrained(trained_model_dir)
    on_disk = json.loads((trained_model_dir / "config.json").read_text())
    assert on_disk == model.config.to_json()
    assert isinstance(model.config, ModelConfig) and model.config.num_labels == len(model.config.labels)
    assert model.config["num_labels"] == model.config.num_labels  # config.json's dict, as before it was typed


def test_a_missing_optional_field_takes_its_default_and_a_bad_one_is_named() -> None:
    six = len(config_module.ID2LABEL)  # no id2label: the six default labels
    config = ModelConfig.from_json("m", {"vocab_size": 10, "embedding_dim": 4, "hidden_size": 4, "num_labels": six})
    assert config.pooling == ModelConfig.pooling and config.temperature == 1.0
    with pytest.raises(ModelLoadError, match=r"m: config\.json hidden_size=-1 is not an integer"):
        ModelConfig.from_json("m", {"vocab_size": 10, "embedding_dim": 4, "hidden_size": -1, "num_labels": six})


def test_documented_examples_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from emotion_bilstm import model as model_module

    monkeypatch.chdir(tmp_path)  # the model's example saves a copy under runs/
    for module in (config_module, model_module):
        failures, tried = doctest.testmod(module, raise_on_error=False, verbose=False)
        assert tried and failures == 0, module.__name__
    assert (tmp_path / "runs" / "copy" / "config.json").is_file()
