"""The options commands share, and the machinery that derives `train`'s options from TrainConfig.

`train` gets an option per TrainConfig field (`with_train_settings`), made from the field's type and
its `Setting` (help, range, choices, panel): the options cannot drift from the fields, and
`train_config` turns what the command line gave back into a TrainConfig. Other commands take single
fields' options (`LabelsOption`, `DatasetConfigOption`) and `--model` (`ModelOption`).
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional, TypeVar

import typer
from rich.markup import escape

from ..enums import Engine
from ..errors import EmotionBiLSTMError
from ..training.settings import PANELS, Setting, TrainConfig, field_types, settings, without_none

F = TypeVar("F", bound=Callable[..., Any])


ModelOption = Annotated[
    Optional[str],
    typer.Option(
        "--model", "-m", help="Model folder or Hub repo id (owner/name). Default: the model shipped in the package."
    ),
]


EngineOption = Annotated[
    Engine,
    typer.Option(
        "--engine",
        help="numpy: NumPy, float32, no torch imported (starts fast). torch: PyTorch's engines (fast-bf16 on "
        "CPUs with bfloat16 units, else fast float32; EMOTION_BILSTM_PRECISION forces one). Same labels; "
        "probabilities within 1e-5 of torch's float32.",
    ),
]

# classify's table input (tables.py)
TextColumnOption = Annotated[
    Optional[str],
    typer.Option(
        "--text-column",
        help="Read a table (.parquet, .csv, .tsv with a header, .jsonl) and classify this column; every "
        "column is kept and `label`, `score` (multi-label: `labels`) are added, all named `pred_*` if any "
        "would collide with an input column. Null or empty texts get a null label. Default for .parquet: text.",
    ),
]
AllScoresOption = Annotated[
    bool, typer.Option("--all-scores", help="Table input: add a `score_<label>` column per label.")
]
TableResumeOption = Annotated[
    bool,
    typer.Option(
        "--resume",
        help="Table input: work in parts (.OUTPUT.parts/, joined into OUTPUT at the end), skipping those an "
        "interrupted run wrote. Give it from the first run: a plain one-process run writes no parts. Runs "
        "under `accelerate launch` always work in parts.",
    ),
]

SplitOption = Annotated[
    Optional[str],
    typer.Option("--split", help="Read FILE as a Hub dataset id (owner/name) and classify this split (train)."),
]


def setting_option(item: dataclasses.Field, meaning: Setting, panel: str | None = None) -> Any:
    """TrainConfig field `item` as a typer option type: its names, help, range and choices, and the
    type the command line reads (a Path, an Enum, one comma-separated string, a repeatable option)."""
    kind, optional = without_none(field_types()[item.name])
    default = None if item.default is dataclasses.MISSING else item.default
    if meaning.choice is not None:
        kind, default = meaning.choice, None if default is None else meaning.choice(default)
    elif meaning.path:
        kind = Path
    elif meaning.comma_list:
        kind = str
    elif item.default_factory is not dataclasses.MISSING:
        optional = True  # not given: None, which `train_config` turns into the factory's value
    flags = meaning.flags or (f"--{item.name.replace('_', '-')}",)
    if meaning.negation:
        flags = (f"{flags[0]}/{meaning.negation}",)
    option = typer.Option(
        *flags,
        help=escape(meaning.help),  # plain text: `[glove]` in it is not rich markup
        min=meaning.low,
        max=meaning.high,
        metavar=meaning.metavar,
        rich_help_panel=panel,
    )
    return Annotated[Optional[kind] if optional else kind, option], default


def setting_parameters() -> list[inspect.Parameter]:
    """An option per TrainConfig field, grouped by panel (in field order within one): `train`'s settings."""
    by_panel = sorted(settings(), key=lambda pair: PANELS.index(pair[1].panel))
    parameters = []
    for item, meaning in by_panel:
        annotation, default = setting_option(item, meaning, meaning.panel)
        required = item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING
        default = inspect.Parameter.empty if required else default
        parameters.append(
            inspect.Parameter(item.name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
        )
    return parameters


def with_train_settings(command: F) -> F:
    """`command` with an option per TrainConfig field before its own, all received in its `**options`.

    typer reads a command's parameters from its signature, so the derived options are set there:
    the options cannot drift from the fields, and `train_config(options)` makes the TrainConfig.
    """
    own = [
        parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY)
        for parameter in inspect.signature(command, eval_str=True).parameters.values()
        if parameter.kind is not inspect.Parameter.VAR_KEYWORD
    ]
    command.__signature__ = inspect.Signature([*setting_parameters(), *own])  # type: ignore[attr-defined]
    return command


def _field_option(name: str) -> Any:
    """The option of TrainConfig field `name` for commands other than train (no panel: they have few options)."""
    [(item, meaning)] = [(item, meaning) for item, meaning in settings() if item.name == name]
    return setting_option(item, meaning)[0]


LabelsOption = _field_option("labels")
DatasetConfigOption = _field_option("dataset_config")


def label_list(text: str | None) -> list[str] | None:
    """`--labels a,b,c` as a list (None when not given); a malformed list is a user's error."""
    from ..labels import parse_label_list

    if text is None:
        return None
    try:
        return parse_label_list(text)
    except ValueError as exc:
        raise EmotionBiLSTMError(str(exc)) from None


def train_config(options: dict[str, Any]) -> TrainConfig:
    """The TrainConfig of `train`'s options, those whose command-line form is not the field's own converted:
    `--labels a,b` to a list, and a repeatable option not given (None) to its empty list."""
    repeated = {name: list(options[name] or []) for name in ("add_data", "transfer")}
    return TrainConfig(**{**options, "labels": label_list(options["labels"]), **repeated})
