"""emo-cli: classify, train, evaluate and publish emotion models from the command line.

This module only parses arguments and prints; the library does the work. Heavy imports (torch,
datasets, accelerate) happen inside the commands that need them, so `emo-cli --help` is instant.
"""

from __future__ import annotations

import dataclasses
import errno
import inspect
import json
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Annotated, Any, Optional, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from .choices import OutputFormat, Split
from .console import broken_pipes_raise, stderr_console
from .errors import EmotionBiLSTMError, describe_os_error, first_line
from .settings import PANELS, RUN, Setting, TrainConfig, field_types, settings, without_none


def _click_exception(name: str) -> type[Exception]:
    """click's exception class `name`, reached through typer's public `BadParameter`: newer typers
    vendor click, so `import click` would not give the classes typer raises."""
    return next(cls for cls in typer.BadParameter.__mro__ if cls.__name__ == name)


ClickException = _click_exception("ClickException")
DEBUG_VARIABLE = "EMOTION_BILSTM_DEBUG"  # set: an unforeseen error prints its traceback too
ISSUES_URL = "https://github.com/emotion-bilstm/emotion-bilstm/issues"


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where the process is, so that it unwinds like Ctrl-C: every
    `finally` runs and removes its temporary files, and no half-written output is left."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextmanager
def ending_signals_as_interrupts() -> Iterator[None]:
    def interrupt(signum: int, frame: Any) -> None:
        raise Interrupted(signum)

    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield
        return
    previous = {signum: signal.signal(signum, interrupt) for signum in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def say_error(message: str) -> None:
    from .console import visible  # a path or text in the message may hold ESC: shown, not sent

    with suppress(OSError, ValueError):  # stderr closed or gone: the exit code still tells
        err.print(f"[red]error:[/red] {escape(visible(message))}", soft_wrap=True)


def exit_code_for(exc: BaseException) -> int:
    """Report an exception that ended a command in one line on stderr; its exit code.

    2: the user's to fix (a bad file, a full disk, a wrong option). 130 (or 128 + the signal): they
    stopped it. 0: the reader of stdout left early (`| head`), which is no failure. 1: a bug of ours.
    """
    if isinstance(exc, Interrupted):
        say_error(f"stopped by {exc}; nothing half-written was left behind")
        return 128 + exc.signum
    if isinstance(exc, KeyboardInterrupt):
        say_error("interrupted; nothing half-written was left behind")
        return 130
    if isinstance(exc, EmotionBiLSTMError):
        say_error(str(exc))
        return 2
    if isinstance(exc, OSError) and exc.errno == errno.EPIPE:
        silence_stdout()
        return 0
    if isinstance(exc, OSError):  # unreadable input, full disk, read-only folder: the path and the cause
        say_error(describe_os_error(exc))
        return 2
    if isinstance(exc, Exception):
        if os.environ.get(DEBUG_VARIABLE):
            traceback.print_exception(exc)
        from . import __version__

        say_error(
            f"unexpected {type(exc).__name__}: {first_line(exc)} (a bug in emotion-bilstm {__version__}; please "
            f"report it with the command you ran at {ISSUES_URL}; {DEBUG_VARIABLE}=1 shows the traceback)"
        )
        return 1
    raise exc  # SystemExit and the like: not an error to report


def silence_stdout() -> None:
    """The reader of stdout is gone: send what is still buffered nowhere, so that Python's own flush
    at exit does not print a traceback about the broken pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (a test's captured stdout)
        pass


def flushed(code: int) -> int:
    """`code`, after flushing stdout; 0 in place of success if the reader left (`| head -1`)."""
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except BrokenPipeError:
        silence_stdout()
    except (OSError, ValueError):
        pass
    return code


class OneLineErrors(TyperGroup):
    """The CLI's one error boundary: whatever ends a command ends as one `error:` line on stderr and
    an exit code (see `exit_code_for`), never a traceback. Usage errors (a bad choice, a missing
    option) too, instead of typer's usage block and framed panel (which off a terminal wraps at 80
    columns). SIGTERM and SIGHUP unwind like Ctrl-C, cleaning their temporary files.
    """

    def invoke(self, ctx: Any) -> Any:
        # A command's failures are caught here, inside typer's main, which would turn Ctrl-C into a
        # silent exit 130 and anything else into a traceback. Subcommands parse their options in
        # here too: usage errors and --help pass through to `main`.
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, ClickException):
            raise
        except BaseException as exc:
            code = exit_code_for(exc)
        raise typer.Exit(code)

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        broken_pipes_raise()
        with ending_signals_as_interrupts():
            try:
                code = super().main(*args, standalone_mode=False, **kwargs)
            except ClickException as exc:
                if type(exc).__name__ != "NoArgsIsHelpError":  # the help was printed: say nothing more
                    ctx = getattr(exc, "ctx", None)
                    hint = f" (see {ctx.command_path} --help)" if ctx is not None else ""
                    say_error(exc.format_message().replace("Value error, ", "") + hint)  # newer typers word it so
                code = exc.exit_code
            except typer.Abort:  # end of input at a prompt
                say_error("aborted")
                code = 1
            except SystemExit as exc:
                # typer's main exits 1 itself when stdout's reader left during the top-level --help
                broken = type(sys.stdout).__name__ == "PacifyFlushWrapper"
                code = 0 if broken and exc.code == 1 else exc.code
            except BaseException as exc:
                code = exit_code_for(exc)
        sys.exit(flushed(code if isinstance(code, int) else 0))


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
out = Console()
err = stderr_console()

F = TypeVar("F", bound=Callable[..., Any])

ModelOption = Annotated[
    Optional[str],
    typer.Option(
        "--model", "-m", help="Model folder or Hub repo id (owner/name). Default: the model shipped in the package."
    ),
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


def load_model(model: str | None) -> Any:
    from .model import EmotionBiLSTM, load_default

    return load_default() if model is None else EmotionBiLSTM.from_pretrained(model)


def label_list(text: str | None) -> list[str] | None:
    """`--labels a,b,c` as a list (None when not given); a malformed list is a user's error."""
    from .labels import parse_label_list

    if text is None:
        return None
    try:
        return parse_label_list(text)
    except ValueError as exc:
        raise EmotionBiLSTMError(str(exc)) from None


def quiet_datasets() -> None:
    """datasets' own progress bars would interleave with ours."""
    from datasets.utils.logging import disable_progress_bar

    disable_progress_bar()


@app.command()
def classify(
    input: Annotated[str, typer.Argument(help="Text file, one text a line; '-' reads standard input.")],
    model: ModelOption = None,
    format: Annotated[
        Optional[OutputFormat],
        typer.Option("--format", "-f", help="Default: table on a terminal, jsonl otherwise."),
    ] = None,
    output: Annotated[
        Optional[Path],
        typer.Option("--output", "-o", help="Write here (atomically: a temporary file renamed at the end)."),
    ] = None,
    top_k: Annotated[
        Optional[int],
        typer.Option("--top-k", min=1, help="Keep only the k best scores per line and list them as `top`."),
    ] = None,
    threshold: Annotated[
        Optional[float],
        typer.Option(
            "--threshold",
            min=0.0,
            max=1.0,
            help="List as `top` only labels scoring at least this (with --top-k: both apply). "
            "A multi-label model's `labels` then use it instead of its tuned per-label thresholds.",
        ),
    ] = None,
    min_score: Annotated[
        Optional[float],
        typer.Option(
            "--min-score", min=0.0, max=1.0, help="Mark predictions scoring below this as uncertain (label kept)."
        ),
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Texts per forward pass.")] = 512,
    progress: Annotated[
        Optional[bool],
        typer.Option("--progress/--no-progress", help="Progress bar on stderr. Default: on a terminal, for big files."),
    ] = None,
) -> None:
    """Classify a file line by line: one emotion (and scores) a line out, in input order.

    Blank lines give an empty label so that output line N answers input line N. Memory stays constant
    for any file size. Invalid UTF-8 is replaced and counted on stderr.

    [bold]emo-cli classify tweets.txt[/bold]\n
    [bold]emo-cli classify tweets.txt --format jsonl --output preds.jsonl[/bold]\n
    [bold]cat tweets.txt | emo-cli classify - --format csv[/bold]
    """
    from .inference import classify_file

    fmt = format.value if format else ("table" if output is None and sys.stdout.isatty() else "jsonl")
    if progress is None:
        size = Path(input).stat().st_size if input != "-" and Path(input).is_file() else 0
        progress = err.is_terminal and size > 1_000_000
    loaded = load_model(model)
    stats = classify_file(
        loaded, input, output, fmt, top_k, min_score, batch_size, show_progress=progress, threshold=threshold
    )
    for note in stats.notes(min_score):
        err.print(f"[yellow]note:[/yellow] {escape(note)}")
    if output is not None:
        from .fast_lstm import describe_engine

        engine = describe_engine(loaded)
        err.print(f"wrote {stats.lines} line(s) to {escape(str(output))} with the {escape(engine)} engine")


@app.command()
def predict(
    texts: Annotated[list[str], typer.Argument(help="One or more texts (quote each).")],
    model: ModelOption = None,
    top_k: Annotated[Optional[int], typer.Option("--top-k", min=1, help="How many scores to show per text.")] = 3,
    threshold: Annotated[
        Optional[float],
        typer.Option("--threshold", min=0.0, max=1.0, help="Only labels scoring at least this (see classify)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object a line instead of a table.")] = False,
) -> None:
    """Classify a few texts typed on the command line.

    [bold]emo-cli predict "The airline lost my luggage AGAIN." "best day ever!!"[/bold]
    """
    from .inference import argument_text
    from .render import predictions_table

    texts = [argument_text(text) for text in texts]  # bytes that are not UTF-8 become U+FFFD, as classify does
    results = load_model(model).predict(texts, top_k=top_k, threshold=threshold)
    if as_json:
        for text, result in zip(texts, results, strict=False):
            print(json.dumps({"text": text, **result}, ensure_ascii=False))
        return
    predictions_table(texts, results, out)


@app.command()
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
) -> None:
    """Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix on labelled data.

    [bold]emo-cli evaluate --model runs/emo --data ../shared/data/emotion/validation.txt[/bold]
    """
    from .data import load_evaluation_split
    from .metrics import evaluate_model, model_labels
    from .render import metrics_report

    quiet_datasets()
    loaded = load_model(model)
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


@app.command()
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
    from .training import train as run_training

    config = train_config(options)
    quiet_datasets()
    if threads is not None:
        import torch

        torch.set_num_threads(threads)
    summary = run_training(config, log=lambda m: err.print(escape(m)), show_progress=progress)
    print_trained(summary, config.output_dir)


def train_config(options: dict[str, Any]) -> TrainConfig:
    """The TrainConfig of `train`'s options: the two whose command-line form is not the field's own, converted."""
    return TrainConfig(
        **{**options, "labels": label_list(options["labels"]), "add_data": list(options["add_data"] or [])}
    )


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


@app.command()
def push(
    model_dir: Annotated[Path, typer.Argument(help="A saved model folder (from train or save_pretrained).")],
    repo_id: Annotated[str, typer.Option("--repo-id", help="Hub repository OWNER/NAME; created if it does not exist.")],
    private: Annotated[bool, typer.Option("--private", help="Create the repository as private.")] = False,
    revision: Annotated[
        Optional[str], typer.Option("--revision", help="Branch to commit to; created if needed. Default: main.")
    ] = None,
    commit_message: Annotated[Optional[str], typer.Option("--commit-message", help="The commit's message.")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and list the files and card metadata; upload nothing.")
    ] = False,
) -> None:
    """Publish a model folder to the Hugging Face Hub in one commit.

    The folder must load as a model and hold its model card (README.md). Only the release's files are
    uploaded (model.safetensors, config.json, tokenizer.json, README.md, metrics.json, the card's
    images): never a pickle, a link or a subfolder; --dry-run lists what is left out. The token comes
    from HF_TOKEN or `hf auth login` and is never printed.

    [bold]emo-cli push runs/emo --repo-id me/emotion-bilstm --dry-run[/bold]\n
    [bold]emo-cli push runs/emo --repo-id me/emotion-bilstm --revision v1 --commit-message "Retrained"[/bold]
    """
    from .hub import plan_push
    from .hub import push as push_plan
    from .render import upload_plan

    plan = plan_push(model_dir, repo_id)
    if dry_run:
        upload_plan(plan, out)
        err.print("[yellow]dry run:[/yellow] nothing was uploaded")
        return
    err.print(f"uploading {len(plan.files)} files ({plan.total_bytes:,} bytes) to {escape(repo_id)} ...")
    url = push_plan(plan, private=private, revision=revision, commit_message=commit_message)
    err.print(f"[green]pushed[/green] {escape(url)}")


@app.command()
def explain(
    texts: Annotated[list[str], typer.Argument(help="One or more texts (quote each).")],
    model: ModelOption = None,
    top_k: Annotated[int, typer.Option("--top-k", min=1, help="How many top words to list per text.")] = 5,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object a line: label, score, tokens, words and their scores.")
    ] = False,
) -> None:
    """Why this label? Each word's contribution: how much the label's probability falls without it.

    Green words support the predicted label, red ones argue against it, dim ones the model does not
    read (URLs, @mentions, punctuation). Scores come from leaving out one of the model's tokens at a
    time (occlusion) and are summed back onto the words you typed.

    [bold]emo-cli explain "my cat died and i cant stop crying" "best surprise party ever"[/bold]\n
    [bold]emo-cli explain --json "im so scared of tomorrow"[/bold]
    """
    from .inference import argument_text
    from .render import explanation

    texts = [argument_text(text) for text in texts]  # bytes that are not UTF-8 become U+FFFD, as classify does
    results = load_model(model).explain(texts, top_k=top_k)
    for result in results:
        if as_json:
            print(json.dumps(result, ensure_ascii=False))
        else:
            explanation(result, out, top_k)


@app.command()
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
    from .calibration import recalibrate_folder, summary_figures

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


data_app = typer.Typer(
    help="Inspect datasets before training on them.\n\n[bold]emo-cli data check --data ../shared/data/emotion[/bold]",
    rich_markup_mode="rich",
    no_args_is_help=True,
)
app.add_typer(data_app, name="data")


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
    from .doctor import check_dataset
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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
