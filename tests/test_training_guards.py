"""Training stops on a NaN or infinite loss (or weights), and refuses non-finite settings up front.

`emo-cli train --lr inf` used to train on NaN for every epoch and save a model that the loader then
refused. Now a non-finite float setting is refused before any data is read, and a loss that turns
non-finite mid-training stops the run with one `error:` line, leaving no unusable model behind.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from clitools import assert_one_line_error, run_cli
from conftest import tiny_config, tiny_train_args, train_tiny

from emotion_bilstm import training
from emotion_bilstm.errors import EmotionBiLSTMError
from emotion_bilstm.model import EmotionBiLSTM
from emotion_bilstm.training import loop
from emotion_bilstm.training.settings import TrainConfig, field_types, without_none

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


@pytest.mark.slow
def test_a_loss_going_nan_stops_training_with_one_error_line_and_no_model(tiny_dataset: Path, tmp_path: Path) -> None:
    output = tmp_path / "model"
    args = ["train", "--data", str(tiny_dataset), "--output-dir", str(output)]
    result = run_cli(*args, *tiny_train_args(learning_rate=1e30))  # finite, and NaN within a few steps
    line = assert_one_line_error(
        result, "the loss became NaN at epoch 1 step ", "try a lower --lr", progress_lines_ok=True
    )
    assert "keeps" not in line
    assert not output.exists() and not output.with_name("model.checkpoints").exists()


class PoisonedLoss(torch.nn.Module):
    """The real loss until `poisoned` is set, then `real * nan`, or with `via_gradient` a finite loss whose
    gradient is NaN (d sqrt(x)/dx at 0 is infinite, times 0): the weights turn NaN, the loss does not."""

    def __init__(self, real: torch.nn.Module, via_gradient: bool = False) -> None:
        super().__init__()
        self.real, self.via_gradient, self.poisoned = real, via_gradient, False

    def forward(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        loss = self.real(logits, labels)
        if not self.poisoned:
            return loss
        return loss + (logits.sum() * 0).sqrt() if self.via_gradient else loss * math.nan


def poison_after(monkeypatch: pytest.MonkeyPatch, epochs: int, via_gradient: bool = False) -> list[bytes]:
    """Poison the loss once `epochs` epochs were evaluated; returns the saved model's bytes after each epoch."""
    losses: list[PoisonedLoss] = []
    saved: list[bytes] = []
    real_build_loss, real_evaluate = loop.build_loss, loop.evaluate_and_keep_best

    def build_loss(*args, **kwargs) -> PoisonedLoss:
        losses.append(PoisonedLoss(real_build_loss(*args, **kwargs), via_gradient))
        losses[-1].poisoned = epochs == 0
        return losses[-1]

    def evaluate_and_keep_best(run, epoch, *args, **kwargs):
        metrics = real_evaluate(run, epoch, *args, **kwargs)
        saved.append((Path(run.config.output_dir) / "model.safetensors").read_bytes())
        losses[-1].poisoned = epoch >= epochs
        return metrics

    monkeypatch.setattr(loop, "build_loss", build_loss)
    monkeypatch.setattr(loop, "evaluate_and_keep_best", evaluate_and_keep_best)
    return saved


@pytest.mark.slow
def test_a_later_nan_keeps_the_earlier_epochs_model_and_checkpoint(
    tiny_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = poison_after(monkeypatch, epochs=1)
    output = tmp_path / "model"
    config = tiny_config(tiny_dataset, output, epochs=3)
    with pytest.raises(EmotionBiLSTMError, match=r"the loss became NaN at epoch 2 step 1;.*lower --lr") as raised:
        training.train(config, show_progress=False)
    assert f"{output} keeps epoch 1's model" in str(raised.value)
    assert len(saved) == 1 and (output / "model.safetensors").read_bytes() == saved[0]  # untouched since epoch 1
    model = EmotionBiLSTM.from_pretrained(output)
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert model.predict(["i feel so terrified"])[0]["label"] is not None
    state = json.loads((config.checkpoint_path() / training.STATE_NAME).read_text())
    assert state["epoch"] == 1 and len(state["history"]) == 1


@pytest.mark.slow
def test_weights_gone_nan_on_an_epochs_last_step_are_never_saved(
    tiny_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One step an epoch (batch larger than the data): the loss stays finite, the step makes the weights NaN."""
    poison_after(monkeypatch, epochs=0, via_gradient=True)
    output = tmp_path / "model"
    with pytest.raises(EmotionBiLSTMError, match=r"^training stopped: the weights became NaN at epoch 1 step 1;"):
        train_tiny(tiny_dataset, output, batch_size=1024)
    assert not output.exists() and not output.with_name("model.checkpoints").exists()
