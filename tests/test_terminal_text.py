"""Issue 26: text is text on the terminal, edge texts get an answer, every read is bounded, and a CSV
quote that never closes is named.

Through the CLI as a user runs it (a subprocess, NO_COLOR as `cli_env` sets), plus the render
functions in-process on a terminal-like console, where rich would emit styles and hyperlinks.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from clitools import REPO, assert_one_line_error, cli_env, run_cli
from rich.console import Console

from emotion_bilstm.cli.render import dataset_report, explanation, metrics_report, predictions_table
from emotion_bilstm.console import visible
from emotion_bilstm.data import check_quotes, load_file
from emotion_bilstm.errors import DataError, InputError
from emotion_bilstm.predictions import NO_WORDS
from emotion_bilstm.stream import MAX_LINE_BYTES, ClassifyStats, argument_text, read_lines
from emotion_bilstm.writers import ResultWriter

# Sequences a terminal acts on: clear the screen, set the window title, a hyperlink (OSC 8), blink.
CLEAR, TITLE, LINK, BLINK = "\x1b[2J", "\x1b]2;pwned\x07", "\x1b]8;;https://evil.example\x1b\\", "\x1b[5m"
HOSTILE = [
    "[/red]",  # a closing tag with no opening one: rich raised MarkupError
    "[link=https://evil.example]click[/link] me",  # rich markup for a terminal hyperlink
    f"so {CLEAR}happy{TITLE} {LINK}here{BLINK}",
    "tab\there\nnew line\r\x01\x7f\x85\u202eevil",  # (no NUL: an argument cannot hold one)
]
EDGE_TEXTS = ["", "!!!", "\udcff\udcfe"]  # empty, nothing the model reads, bytes that are not UTF-8 (b"\xff\xfe")


def assert_clean(result: subprocess.CompletedProcess[bytes]) -> tuple[str, str]:
    """Exit 0, no traceback, and no ESC (nor BEL) byte anywhere: NO_COLOR output has none of its own."""
    stdout, stderr = result.stdout.decode("utf-8"), result.stderr.decode("utf-8")
    assert result.returncode == 0, stderr
    assert "Traceback" not in stderr, stderr
    for stream in (result.stdout, result.stderr):
        assert b"\x1b" not in stream and b"\x07" not in stream, stream
    return stdout, stderr


def model_copy(source: Path, folder: Path, rename: dict[str, str] | None = None, multi: bool = False) -> Path:
    """A copy of a model folder, its labels renamed (in config.json) and/or made a multi-label head."""
    target = folder / "model"
    shutil.copytree(source, target)
    config_path = target / "config.json"
    config = json.loads(config_path.read_text())
    if rename:
        config["id2label"] = {k: rename.get(v, v) for k, v in config["id2label"].items()}
        if "label2id" in config:
            config["label2id"] = {rename.get(k, k): v for k, v in config["label2id"].items()}
    if multi:
        config["problem_type"] = "multi_label_classification"
        config["thresholds"] = [0.3] * config["num_labels"]
    config_path.write_text(json.dumps(config, ensure_ascii=False))
    return target


# ----- the one helper ----------------------------------------------------------------------------


def test_visible_shows_every_control_character_and_keeps_printable_text() -> None:
    assert visible("héllo wörld 😀 [bold]x[/bold] \\ ok") == "héllo wörld 😀 [bold]x[/bold] \\ ok"
    assert visible("\x1b[31m") == "\\x1b[31m"
    assert visible("a\tb\nc\rd") == "a\\tb\\nc\\rd"
    assert visible("\x00\x07\x7f\x85\x9b") == "\\x00\\x07\\x7f\\x85\\x9b"
    assert visible("\u202eevil\u2066\u2028") == "\\u202eevil\\u2066\\u2028"
    assert visible("\udcff\udcfe") == "\\xff\\xfe"  # undecodable bytes, as surrogateescape keeps them
    assert visible(None) == "None"


def test_argument_text_reads_bytes_that_are_not_utf8_as_replacement_characters() -> None:
    assert argument_text("\udcff\udcfe") == "\ufffd\ufffd"
    assert argument_text("héllo") == "héllo"
    assert argument_text("a\ud800b") == "a?b"  # a surrogate that stands for no byte


# ----- 1. text is text, through the CLI ----------------------------------------------------------


def test_predict_table_draws_markup_and_escape_sequences_as_text(trained_model_dir: Path) -> None:
    stdout, _ = assert_clean(run_cli("predict", *HOSTILE, "--model", str(trained_model_dir)))
    assert "[/red]" in stdout
    assert "[link=https://evil.example]click[/link] me" in stdout
    assert "\\x1b[2Jhappy\\x1b]2;pwned\\x07" in stdout
    assert "tab\\there\\nnew line\\r\\x01\\x7f\\x85\\u202eevil" in stdout


def test_predict_json_keeps_the_text_as_it_is(trained_model_dir: Path) -> None:
    result = run_cli("predict", "--json", *HOSTILE, "--model", str(trained_model_dir))
    assert result.returncode == 0, result.stderr
    # one object a line; not splitlines(): U+0085 and U+2028 are line breaks to it, and JSON keeps them as they are
    rows = [json.loads(line) for line in result.stdout.decode("utf-8").split("\n") if line]
    assert [row["text"] for row in rows] == HOSTILE  # JSON escapes C0 control characters itself
    assert b"\x1b" not in result.stdout


@pytest.mark.slow
def test_classify_table_draws_markup_and_escape_sequences_as_text(trained_model_dir: Path) -> None:
    lines = [text.replace("\n", " ").replace("\r", " ") for text in HOSTILE]
    data = "\n".join(lines).encode("utf-8") + b"\n"
    args = ("classify", "-", "--format", "table", "--model", str(trained_model_dir))
    stdout, _ = assert_clean(run_cli(*args, input=data))
    assert "[/red]" in stdout and "[link=https://evil.example]click[/link] me" in stdout
    assert "\\x1b[2Jhappy" in stdout
    # csv and jsonl stay the data, byte for byte
    result = run_cli("classify", "-", "--format", "csv", "--model", str(trained_model_dir), input=data)
    assert result.returncode == 0 and CLEAR.encode() in result.stdout


def test_explain_table_draws_escape_sequences_as_text(trained_model_dir: Path) -> None:
    texts = [f"i feel {CLEAR}furious{TITLE} today", "[/red] [link=https://evil.example]x"]
    stdout, _ = assert_clean(run_cli("explain", *texts, "--model", str(trained_model_dir)))
    assert "\\x1b[2Jfurious\\x1b]2;pwned\\x07" in stdout and "[/red]" in stdout


@pytest.mark.slow
def test_a_label_name_with_an_escape_sequence_is_drawn_as_text(trained_model_dir: Path, tmp_path: Path) -> None:
    """config.json's id2label is the model author's text: shown escaped, or the model refused in one line."""
    config = json.loads((trained_model_dir / "config.json").read_text())
    rename = {name: f"\x1b[5m{name}\x1b]8;;https://evil.example\x1b\\" for name in config["id2label"].values()}
    model = model_copy(trained_model_dir, tmp_path, rename)
    result = run_cli("predict", "i feel furious and bitter", "--model", str(model))
    if result.returncode == 2:  # the loader refuses control characters in label names: that is fine too
        line = assert_one_line_error(result, str(model))
        assert "\x1b" not in line
        return
    stdout, _ = assert_clean(result)
    assert "\\x1b[5m" in stdout and "\\x1b]8;;https://evil.example\\x1b\\" in stdout
    assert_clean(run_cli("explain", "i feel furious and bitter", "--model", str(model)))
    data = b"i feel furious\n\n!!!\n"
    stdout, _ = assert_clean(run_cli("classify", "-", "--format", "table", "--model", str(model), input=data))
    assert "\\x1b[5m" in stdout and NO_WORDS in stdout


def test_an_error_line_shows_an_escape_sequence_in_a_path(trained_model_dir: Path, tmp_path: Path) -> None:
    missing = tmp_path / f"{CLEAR}[/red]name.txt"
    result = run_cli("classify", str(missing), "--model", str(trained_model_dir))
    assert b"\x1b" not in result.stderr
    assert_one_line_error(result, "\\x1b[2J[/red]name.txt", "no such file")


# ----- 2. edge texts get an answer ---------------------------------------------------------------


@pytest.mark.slow
def test_predict_edge_texts_table_and_json(trained_model_dir: Path) -> None:
    stdout, _ = assert_clean(run_cli("predict", *EDGE_TEXTS, "--model", str(trained_model_dir)))
    assert stdout.count(NO_WORDS) == 3
    assert "\ufffd\ufffd" in stdout

    result = run_cli("predict", "--json", *EDGE_TEXTS, "--model", str(trained_model_dir))
    stdout, _ = assert_clean(result)
    rows = [json.loads(line) for line in stdout.splitlines()]
    assert [row["text"] for row in rows] == ["", "!!!", "\ufffd\ufffd"]
    assert all(row["label"] is None and row["score"] is None and row["reason"] == NO_WORDS for row in rows)


@pytest.mark.slow
def test_explain_edge_texts_table_and_json(trained_model_dir: Path) -> None:
    stdout, _ = assert_clean(run_cli("explain", *EDGE_TEXTS, "--model", str(trained_model_dir)))
    assert stdout.count(f"no label: {NO_WORDS}") == 3

    stdout, _ = assert_clean(run_cli("explain", "--json", *EDGE_TEXTS, "--model", str(trained_model_dir)))
    rows = [json.loads(line) for line in stdout.splitlines()]
    assert [row["text"] for row in rows] == ["", "!!!", "\ufffd\ufffd"]
    assert all(row["label"] is None and row["reason"] == NO_WORDS and row["top_words"] == [] for row in rows)


@pytest.mark.slow
def test_edge_texts_on_a_multi_label_model(trained_model_dir: Path, tmp_path: Path) -> None:
    """A multi-label model answers `labels: null` for these; the tables show `-` and the reason."""
    model = str(model_copy(trained_model_dir, tmp_path, multi=True))
    texts = [*EDGE_TEXTS, "i feel furious and bitter"]
    stdout, _ = assert_clean(run_cli("predict", *texts, "--model", model))
    assert stdout.count(NO_WORDS) == 3 and "labels" in stdout

    stdout, _ = assert_clean(run_cli("predict", "--json", *texts, "--model", model))
    rows = [json.loads(line) for line in stdout.splitlines()]
    assert [row["labels"] for row in rows[:3]] == [None, None, None]
    assert isinstance(rows[3]["labels"], list)

    stdout, _ = assert_clean(run_cli("explain", *texts, "--model", model))
    assert stdout.count(f"no label: {NO_WORDS}") == 3

    data = b"\n!!!\ni feel furious and bitter\n"
    stdout, _ = assert_clean(run_cli("classify", "-", "--format", "table", "--model", model, input=data))
    assert "empty" in stdout and NO_WORDS in stdout


# ----- 3. every read is bounded ------------------------------------------------------------------


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_classify_dev_zero_stops_at_once(trained_model_dir: Path) -> None:
    # a regression reads /dev/zero for ever: the timeout fails the test rather than hanging it
    result = run_cli("classify", "/dev/zero", "--model", str(trained_model_dir), "--format", "jsonl", timeout=120)
    assert_one_line_error(result, "/dev/zero", "line 1", "NUL bytes", "binary file")


class EndlessLine:
    """A stream with one line that never ends: `head` bytes of text, then NULs (or text) for ever."""

    def __init__(self, head: int, tail: bytes) -> None:
        self.head, self.tail, self.reads = head, tail, 0

    def readline(self, size: int = -1) -> bytes:
        self.reads += 1
        assert self.reads < 1000, "read_lines kept reading"
        if self.head:
            self.head, chunk = 0, b"x" * size
            return chunk
        return self.tail * size


def test_skipping_an_over_long_line_stops_at_a_nul() -> None:
    stats = ClassifyStats()
    with pytest.raises(InputError, match="line 1 holds NUL bytes"):
        list(read_lines(EndlessLine(MAX_LINE_BYTES, b"\x00"), stats))  # type: ignore[arg-type]


def test_a_nul_in_the_first_chunk_stops_before_any_skipping() -> None:
    stream = EndlessLine(0, b"\x00")
    with pytest.raises(InputError, match="line 1 holds NUL bytes"):
        list(read_lines(stream, ClassifyStats()))  # type: ignore[arg-type]
    assert stream.reads == 1


def test_over_long_lines_are_still_cut_and_counted() -> None:
    stats = ClassifyStats()
    data = b"a" * (3 * MAX_LINE_BYTES) + b"\nshort\n"
    lines = list(read_lines(io.BytesIO(data), stats))
    assert [len(line) for line in lines] == [MAX_LINE_BYTES, 5] and stats.truncated == 1 and stats.lines == 2


def test_classify_with_standard_input_closed(trained_model_dir: Path) -> None:
    command = '"$0" -m emotion_bilstm classify - --model "$1" --format jsonl <&-'
    result = subprocess.run(
        ["sh", "-c", command, sys.executable, str(trained_model_dir)],
        capture_output=True,
        timeout=120,
        env=cli_env(),
        cwd=REPO,
    )
    assert_one_line_error(result, "standard input is closed")


# ----- 4. CSV quotes -----------------------------------------------------------------------------

SWALLOWING = 'text,label\nfine,joy\n"oops,sadness\nalso fine,joy\n"quoted" text,anger\nlast,fear\n'
NEVER_CLOSED = 'text,label\nfine,joy\nsad,sadness\n"oops,sadness\nalso fine,joy\n'


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("swallow.csv", SWALLOWING, "opened on line 3 runs on to line 5"),
        ("open.csv", NEVER_CLOSED, "opened on line 4 never closes"),
        ("open.tsv", 'text\tlabel\nfine\tjoy\n"oops\tsadness\nok\tjoy\n', "opened on line 3 never closes"),
        ("last.csv", 'text,label\nfine,joy\n"oops,sadness', "opened on line 3 never closes"),
    ],
)
def test_an_unterminated_quote_names_its_line(tmp_path: Path, name: str, content: str, problem: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    line = problem.split("line ")[1].split()[0]
    with pytest.raises(DataError, match=rf"{name}:{line}: unterminated quote: .*{problem}") as error:
        load_file(path)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("content", "texts"),
    [
        (
            'text,label\nfine,joy\n"a text\nover two lines",sadness\n"with ""quotes"", ok",joy\nsad,sadness\n',
            ["fine", "a text\nover two lines", 'with "quotes", ok', "sad"],
        ),
        ('text,label\nfine,joy\nhe said "hi,sadness\nsad,sadness\n', ["fine", 'he said "hi', "sad"]),  # literal
    ],
)
def test_valid_quotes_still_read(tmp_path: Path, content: str, texts: list[str]) -> None:
    path = tmp_path / "good.csv"
    path.write_text(content)
    check_quotes(path)
    assert load_file(path)["text"] == texts


@pytest.mark.slow
def test_unterminated_quote_through_the_cli(trained_model_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "bad.csv"
    data.write_text(SWALLOWING)
    result = run_cli("evaluate", "--data", str(data), "--model", str(trained_model_dir))
    assert_one_line_error(result, f"{data}:3: unterminated quote", "line 5")

    result = run_cli("data", "check", "--data", str(data), "--strict")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr.decode()
    assert f"{data}:3: unterminated quote" in " ".join(result.stdout.decode().split())


# ----- a terminal-like console -------------------------------------------------------------------


def terminal() -> tuple[Console, io.StringIO]:
    sink = io.StringIO()
    return Console(file=sink, force_terminal=True, color_system="truecolor", width=200), sink


def assert_nothing_hostile(output: str) -> None:
    """Styles are fine (rich draws them); the user's sequences and any hyperlink are not."""
    for sequence in (CLEAR, BLINK, "\x1b]", "\x07"):
        assert sequence not in output, repr(output[:2000])
    assert "\\x1b[2J" in output


def test_render_functions_on_a_terminal() -> None:
    hostile_label = f"an{BLINK}ger{LINK}"
    texts = [f"so {CLEAR}happy", "[/red]", "[link=https://evil.example]x", "", "\udcff"]
    results = [
        {"label": hostile_label, "score": 0.9, "scores": {hostile_label: 0.9, "joy": 0.1}},
        {"label": "joy", "score": 0.9, "scores": {"joy": 0.9}},
        {"label": "joy", "score": 0.9, "scores": {"joy": 0.9}},
        {"label": None, "score": None, "scores": {}, "reason": NO_WORDS},
        {"label": None, "score": None, "scores": {}, "reason": NO_WORDS},
    ]
    console, sink = terminal()
    predictions_table(texts, results, console)
    multi = [{"labels": None, "scores": {}, "reason": NO_WORDS}, {"labels": [hostile_label], "scores": {"a": 1.0}}]
    predictions_table(texts[3:], multi, console)
    output = sink.getvalue()
    assert_nothing_hostile(output)
    assert "[/red]" in output and "[link=https://evil.example]x" in output and "\\xff" in output

    console, sink = terminal()
    words = [{"word": f"{CLEAR}happy", "start": 3, "end": 12, "score": 0.5}]
    explanation({"text": texts[0], "label": hostile_label, "score": 0.9, "words": words}, console)
    explanation({"text": "", "labels": None, "reason": NO_WORDS, "words": []}, console)
    assert_nothing_hostile(sink.getvalue())
    assert f"no label: {NO_WORDS}" in sink.getvalue()

    console, sink = terminal()
    row = {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}
    metrics = {
        "n": 2,
        "accuracy": 1.0,
        "macro_f1": 1.0,
        "weighted_f1": 1.0,
        "per_class": {hostile_label: row, "joy": row},
        "labels": [hostile_label, "joy"],
        "confusion_matrix": [[1, 0], [0, 1]],
    }
    metrics_report(metrics, f"data{CLEAR}.csv [/red]", console)
    assert_nothing_hostile(sink.getvalue())


def test_dataset_report_on_a_terminal() -> None:
    dup = {"extra_rows": 1, "groups": 1, "conflicting_groups": 1}
    split = {
        "rows": 2,
        "classes": {"anger\x1b[5m": 2},
        "empty_after_normalisation": 0,
        "very_long": 0,
        "exact_duplicates": dup,
        "normalised_duplicates": {**dup, "conflicting_examples": [{"text": f"x{CLEAR}", "labels": ["a\x07"]}]},
    }
    report = {
        "data": f"data{CLEAR}[/red]",
        "labels": ["anger\x1b[5m"],
        "max_tokens": 128,
        "splits": {"train": split, "validation": split},
        "leakage": [
            {
                "splits": ["train", "validation"],
                "exact_texts": 1,
                "normalised_texts": 1,
                "conflicting_labels": 0,
                "examples": [{"text": f"x{CLEAR}", "train": ["a"], "validation": ["a"]}],
            }
        ],
        "invalid_rows": {
            "count": 1,
            "examples": [{"where": f"f{CLEAR}.csv:row 2", "problem": "unknown label '[link=x]'"}],
            "unknown_labels": {"bad\x1b[5m": 1},
        },
        "problems": [f"training refuses this data: f{CLEAR}.csv"],
    }
    console, sink = terminal()
    dataset_report(report, console)
    assert_nothing_hostile(sink.getvalue())
    assert "[/red]" in sink.getvalue() and "[link=x]" in sink.getvalue()


def test_classify_table_writer_draws_text_as_text() -> None:
    sink = io.StringIO()
    writer = ResultWriter(sink, "table", labels=["anger\x1b[5m", "joy"])
    writer.write({"text": f"[/red] {CLEAR}", "label": "anger\x1b[5m", "score": 0.9, "scores": {"anger\x1b[5m": 0.9}})
    writer.write({"text": "", "label": None, "score": None, "scores": {}, "reason": "empty"})
    writer.close()
    output = sink.getvalue()
    assert "\x1b" not in output and "[/red] \\x1b[2J" in output and "anger\\x1b[5m" in output
