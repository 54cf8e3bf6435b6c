"""The commands that take labelled data: `train` a model, `evaluate` it, `calibrate` its scores.

They parse arguments and call the library (imported in their bodies: `--help` needs no torch,
datasets or accelerate). `train`'s options are derived from TrainConfig (see _options).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Optional

import typer
from rich.markup import escape

from ..enums import Engine, Split
from ..training.settings import RUN
from . import _shared
from ._options import DatasetConfigOption, EngineOption, ModelOption, train_config, with_train_settings
from ._shared import err, out, quiet_datasets


@with_train_settings
def train(
    threads: Annotated[
        Optional[int],
        typer.Option(
            min=1,
            rich_help_panel=RUN,
            help="CPU threads per process (default: torch's, one per core); on a busy machine 1 can be much faster.",
        ),
    ] = None,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", rich_help_panel=RUN, help="Show a progress bar on stderr.")
    ] = True,
    **options: Any,
) -> None:
    """Train a BiLSTM, early-stopping on validation macro-F1; saves the best model and metrics.json.

    The labels come from the training data (or --labels); the model keeps them in config.json.
    Runs unchanged on a CPU, a GPU, or several processes:\n
    [bold]emo-cli train --data ../shared/data/emotion --output-dir runs/emo[/bold]\n
    [bold]emo-cli train --data tickets/ --output-dir runs/tickets --labels angry,worried,happy[/bold]\n
    [bold]emo-cli train --data ../shared/data/emotion --add-data ../shared/data/goemotions -o runs/emo7[/bold]\n
    [bold]accelerate launch --num_processes 2 -m emotion_bilstm train --data DIR --output-dir runs/emo[/bold]
    (on CPUs: [bold]accelerate launch --multi_gpu --num_processes 2 -m emotion_bilstm train --cpu ...[/bold])
    """
    from ..training import train as run_training

    config = train_config(options)
    quiet_datasets()
    if threads is not None:
        import torch

        torch.set_num_threads(threads)
    summary = run_training(config, log=lambda m: err.print(escape(m)), show_progress=progress)
    print_trained(summary, config.output_dir)


def print_trained(summary: dict[str, Any], output_dir: str) -> None:
    """One line for the saved model's validation figures (the main process only: each process has the summary)."""
    from accelerate import PartialState

    if not PartialState().is_main_process:
        return
    val = summary["validation"]
    headline = (
        f"micro-F1 {val['micro_f1']:.4f}, exact match {val['exact_match']:.4f}"
        if val.get("multi_label")
        else f"accuracy {val['accuracy']:.4f}"
    )
    err.print(
        f"[green]saved[/green] {escape(output_dir)}: validation {headline}, "
        f"macro-F1 {val['macro_f1']:.4f} (best epoch {summary['best_epoch']}, {summary['train_seconds']:.0f}s)"
    )


def evaluate(
    data: Annotated[
        str,
        typer.Option(
            "--data", "-d", help="Labelled data: one file, a folder (its test split, else validation) or a Hub id."
        ),
    ],
    model: ModelOption = None,
    split: Annotated[
        Optional[Split], typer.Option(help="Which split of a folder or Hub dataset (default: test, else validation).")
    ] = None,
    dataset_config: DatasetConfigOption = "split",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout instead of tables.")] = False,
    engine: EngineOption = Engine.NUMPY,
) -> None:
    """Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix on labelled data.

    [bold]emo-cli evaluate --model runs/emo --data ../shared/data/emotion/validation.txt[/bold]
    """
    from ..data import load_evaluation_split
    from ..metrics import evaluate_model, model_labels
    from .render import metrics_report

    quiet_datasets()
    loaded = _shared.load_model(model, engine.value)
    # `a|b` labels in csv/tsv/txt are lists for a multi-label model
    dataset, title = load_evaluation_split(
        data,
        split.value if split else None,
        dataset_config,
        model_labels(loaded),
        loaded.multi_label,
        log=lambda m: err.print(escape(m)),
    )
    metrics = evaluate_model(loaded, dataset["text"], dataset["label"])
    if as_json:
        print(json.dumps(metrics, indent=2))
        return
    metrics_report(metrics, title, out)


def calibrate(
    model: Annotated[str, typer.Option("--model", "-m", help="The model folder to recalibrate (rewritten in place).")],
    data: Annotated[
        str,
        typer.Option(
            "--data", "-d", help="Labelled held-out data: a file, or a folder / Hub id (its validation split)."
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON on stdout.")] = False,
) -> None:
    """Fit the model's temperature on held-out data so that its scores mean what they say.

    Stores the temperature in config.json, the figures (ECE in 15 bins and NLL, before and after)
    in metrics.json under "calibration", and a reliability diagram as reliability.png (needs the
    `plots` extra). Labels and accuracy do not change: a multi-label model gets one temperature for
    all its labels (fitted on the binary cross-entropy), and its thresholds move with it. Never
    calibrate on the test split.

    [bold]emo-cli calibrate --model runs/emo --data ../shared/data/emotion/validation.txt[/bold]
    """
    from ..calibration import recalibrate_folder, summary_figures

    quiet_datasets()
    report = recalibrate_folder(model, data, log=lambda m: err.print(f"[yellow]note:[/yellow] {escape(m)}"))
    figures = summary_figures(report)
    if as_json:
        print(json.dumps(figures, indent=2))
        return
    if report.get("multi_label"):
        unchanged = f"thresholds moved with it, labels unchanged (exact match {report['exact_match']:.4f})"
    else:
        unchanged = f"accuracy unchanged ({report['accuracy']:.4f})"
    err.print(
        f"[green]calibrated[/green] {escape(model)} on {escape(str(figures['split']))} ({figures['n']} texts): "
        f"temperature {figures['temperature']:.3f}, ECE {figures['ece_before']:.4f} -> {figures['ece_after']:.4f} "
        f"(cross-fitted {figures['ece_after_cross_fitted']:.4f}), NLL {figures['nll_before']:.4f} -> "
        f"{figures['nll_after']:.4f}; {unchanged}"
    )
