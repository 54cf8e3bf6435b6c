"""`emo-cli data`: the sub-app of commands about datasets; `data check` reports what is wrong with one.

The sub-app is made and its commands registered here; the app adds it under the name `data`.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape

from ._options import DatasetConfigOption, LabelsOption, label_list
from ._shared import err, out, quiet_datasets

data_app = typer.Typer(
    help="Inspect datasets before training on them.\n\n[bold]emo-cli data check --data ../shared/data/emotion[/bold]",
    rich_markup_mode="rich",
    no_args_is_help=True,
)


@data_app.command("check")
def data_check(
    data: Annotated[str, typer.Option("--data", "-d", help="A folder of split files, one file, or a Hub dataset id.")],
    dataset_config: DatasetConfigOption = "split",
    labels: LabelsOption = None,
    multi_label: Annotated[
        bool, typer.Option("--multi-label", help="Labels written a|b are several labels per text (see train).")
    ] = False,
    max_tokens: Annotated[
        int, typer.Option(min=1, help="Texts with more words than this after normalisation count as very long.")
    ] = 128,
    as_json: Annotated[bool, typer.Option("--json", help="The whole report as JSON on stdout.")] = False,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Exit 1 on leakage between splits, duplicates with conflicting labels, or rows training refuses.",
        ),
    ] = False,
) -> None:
    """Read a dataset as training does and report what is wrong with it.

    Rows per split and class; empty and very long texts; exact and normalised duplicates within a
    split and whether their labels conflict; texts shared between splits (leakage); labels outside
    the set (--labels, else the train split's labels). "Normalised" is what the model reads
    (lower-cased, punctuation and URLs dropped).

    [bold]emo-cli data check --data ../shared/data/emotion[/bold]\n
    [bold]emo-cli data check --data train.csv --json --strict[/bold]
    """
    from ..data.data_check import check_dataset
    from .render import dataset_report

    quiet_datasets()
    report = check_dataset(
        data,
        dataset_config,
        max_tokens=max_tokens,
        log=lambda m: err.print(escape(m)),
        labels=label_list(labels),
        multi_label=multi_label,
    )
    if as_json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        dataset_report(report, out)
    if strict and report["problems"]:
        raise typer.Exit(1)
