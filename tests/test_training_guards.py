"""Training refuses non-finite settings up front.

`emo-cli train --lr inf` used to train on NaN for every epoch and save a model that the loader then
refused. Now a non-finite float setting is refused before any data is read.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from clitools import assert_one_line_error, run_cli

from emotion_bilstm.errors import EmotionBiLSTMError
from emotion_bilstm.settings import TrainConfig, field_types, without_none

FLOAT_SETTINGS = [name for name, kind in field_types().items() if without_none(kind)[0] is float]


def test_every_float_setting_is_listed() -> None:
    assert {"learning_rate", "weight_decay", "dropout", "validation_fraction", "neutral_recall"} <= set(FLOAT_SETTINGS)


@pytest.mark.parametrize("name", FLOAT_SETTINGS)
def test_non_finite_float_settings_are_refused(name: str) -> None:
    for value in (math.nan, math.inf, -math.inf):
        with pytest.raises(EmotionBiLSTMError, match=f"^{name} {value!r} is not a finite number$"):
            TrainConfig(data="d", output_dir="o", **{name: value})


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ("inf", "learning_rate inf is not a finite number"),  # passes the option's range check: TrainConfig's
        ("-inf", "'--lr'"),  # the option's own range check (click's) refuses these
        ("nan", "'--lr'"),
    ],
)
def test_cli_refuses_a_non_finite_lr_before_reading_any_data(tmp_path: Path, value: str, needle: str) -> None:
    output = tmp_path / "model"
    result = run_cli("train", "--data", str(tmp_path / "no-such-data"), "--output-dir", str(output), "--lr", value)
    assert_one_line_error(result, needle)
    assert list(tmp_path.iterdir()) == []
