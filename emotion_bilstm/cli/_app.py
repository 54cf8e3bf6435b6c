"""The `emo-cli` typer app: its help, its commands in the order `--help` lists them, and `main`.

The commands are defined by group in their own modules and registered here, in one list, so the
order of `emo-cli --help` is decided in one place. Registering imports only argument declarations:
each command imports the library (torch, datasets, accelerate) in its body, so `--help` is instant.
"""

from __future__ import annotations

import typer

from . import classify, data, publish, train
from .boundary import OneLineErrors

app = typer.Typer(
    cls=OneLineErrors,
    name="emo-cli",
    help=(
        "Emotion classification for English short texts (sadness, joy, love, anger, fear, surprise) "
        "with a small bidirectional LSTM, or train it on your own labels.\n\n"
        "Classify with the model shipped in the package: [bold]emo-cli classify tweets.txt[/bold]\n\n"
        "Train your own (the labels come from the data): [bold]emo-cli train --data DIR --output-dir runs/emo"
        "[/bold], then pass [bold]--model runs/emo[/bold] to any command."
    ),
    rich_markup_mode="rich",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)
COMMANDS = (
    classify.classify,
    classify.predict,
    train.evaluate,
    train.train,
    publish.push,
    classify.explain,
    train.calibrate,
)
for command in COMMANDS:
    app.command()(command)
app.add_typer(data.data_app, name="data")


def main() -> None:
    """The `emo-cli` program: pyproject's entry point, `python -m emotion_bilstm` and the checkout's cli.py."""
    app()
