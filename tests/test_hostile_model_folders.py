"""Issue 26, "nothing lost, nothing leaked": hostile model folders, built here from a good one.

Each case breaks one thing in a copy of the trained model folder and runs `emo-cli predict` on it
as a user would: exit code 2, one `error:` line naming the file, no traceback, no hang, and the
folder (and whatever a link points at) byte-identical afterwards. Then `push`: only the model's
files go up, pickles are listed as left out, and a linked model file is refused, never followed.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from clitools import assert_one_line_error, cli_env, run_cli
from hub_cache import lay_out_hub_cache
from safetensors.torch import load_file, save_file
from test_push import RecordingHfApi
from typer.testing import CliRunner

from emotion_bilstm import EmotionBiLSTM
from emotion_bilstm.cli import app
from emotion_bilstm.errors import ModelLoadError
from emotion_bilstm.folder_reads import FILE_LIMITS
from emotion_bilstm.hub import plan_push, push

# Each CLI run must answer well within this: a FIFO read, a /dev/zero read or Hub retries would not.
QUICK = 60
SECRET = "hf_SecretTokenThatMustNeverLeave0123456789"


def snapshot(folder: Path) -> dict[str, object]:
    """Each entry of `folder` as what it is: a regular file's bytes, a link's target, a FIFO's kind.
    Nothing is opened that is not a regular file."""
    state: dict[str, object] = {}
    for entry in sorted(folder.iterdir()):
        mode = os.lstat(entry).st_mode
        if stat.S_ISLNK(mode):
            state[entry.name] = ("link", os.readlink(entry))
        elif stat.S_ISREG(mode):
            state[entry.name] = entry.read_bytes()
        else:
            state[entry.name] = ("kind", stat.S_IFMT(mode))
    return state


# ----- the ways to break a folder: each takes the folder and a place outside it --------------------


def fifo(name: str) -> Callable[[Path, Path], None]:
    def build(folder: Path, outside: Path) -> None:
        (folder / name).unlink(missing_ok=True)
        os.mkfifo(folder / name)

    return build


def link_to(name: str, target: str) -> Callable[[Path, Path], None]:
    def build(folder: Path, outside: Path) -> None:
        (folder / name).unlink()
        (folder / name).symlink_to(target)

    return build


def link_outside(name: str) -> Callable[[Path, Path], None]:
    """`name` replaced by a link to a good copy of itself outside the folder: content is not the point."""

    def build(folder: Path, outside: Path) -> None:
        shutil.copyfile(folder / name, outside / name)
        (folder / name).unlink()
        (folder / name).symlink_to(outside / name)

    return build


def secret_as_metrics(folder: Path, outside: Path) -> None:
    (outside / "token").write_text(SECRET)
    (folder / "metrics.json").unlink()
    (folder / "metrics.json").symlink_to(outside / "token")


def oversize_config(folder: Path, outside: Path) -> None:
    config = (folder / "config.json").read_text()
    (folder / "config.json").write_text(config + " " * FILE_LIMITS["config.json"])


def config_with(raw_value: str) -> Callable[[Path, Path], None]:
    def build(folder: Path, outside: Path) -> None:
        config = json.loads((folder / "config.json").read_text())
        text = json.dumps(config)
        (folder / "config.json").write_text(text[:-1] + f', "extra": {raw_value}}}')

    return build


def weights_as(dtype: torch.dtype, only: str | None = None) -> Callable[[Path, Path], None]:
    def build(folder: Path, outside: Path) -> None:
        state = load_file(folder / "model.safetensors")
        changed = {k: (v.to(dtype) if only is None or k == only else v) for k, v in state.items()}
        save_file(changed, folder / "model.safetensors", metadata={"format": "pt"})

    return build


def edit_tokenizer(change: Callable[[dict], None]) -> Callable[[Path, Path], None]:
    def build(folder: Path, outside: Path) -> None:
        tokenizer = json.loads((folder / "tokenizer.json").read_text())
        change(tokenizer)
        (folder / "tokenizer.json").write_text(json.dumps(tokenizer))

    return build


def id_past_the_embedding(tokenizer: dict) -> None:
    vocab = tokenizer["model"]["vocab"]
    last = max(vocab, key=vocab.get)
    vocab[last] = len(vocab) + 1000  # as many entries as before: get_vocab_size still matches


def url_rule(pattern: str) -> Callable[[dict], None]:
    """The normaliser's URL rule with another regex: an empty one makes the Lowercase rule after it
    panic inside Rust on any text (tokenizers 0.23), an unbalanced one does not compile."""

    def change(tokenizer: dict) -> None:
        rules = tokenizer["normalizer"]["normalizers"]
        url = next(rule for rule in rules if rule["type"] == "Replace" and "https" in rule["pattern"]["Regex"])
        url["pattern"]["Regex"] = pattern

    return change


HOSTILE = [
    ("fifo-config", fifo("config.json"), ["config.json", "named pipe"]),
    ("fifo-tokenizer", fifo("tokenizer.json"), ["tokenizer.json", "named pipe"]),
    ("fifo-weights", fifo("model.safetensors"), ["model.safetensors", "named pipe"]),
    ("fifo-metrics", fifo("metrics.json"), ["metrics.json", "named pipe"]),
    ("config-to-dev-zero", link_to("config.json", "/dev/zero"), ["config.json", "/dev/zero", "outside"]),
    ("weights-to-dev-zero", link_to("model.safetensors", "/dev/zero"), ["model.safetensors", "outside"]),
    ("config-linked-outside", link_outside("config.json"), ["config.json", "outside the model folder"]),
    ("tokenizer-linked-outside", link_outside("tokenizer.json"), ["tokenizer.json", "outside the model folder"]),
    ("metrics-linked-to-a-secret", secret_as_metrics, ["metrics.json", "outside the model folder"]),
    ("config-dangling-link", link_to("config.json", "nowhere.json"), ["config.json", "missing"]),
    ("config-oversize", oversize_config, ["config.json", "bytes"]),
    ("config-deep-nesting", config_with("[" * 200_000 + "]" * 200_000), ["config.json", "nested too deeply"]),
    ("config-nesting-past-the-cap", config_with("[" * 100 + "]" * 100), ["config.json", "nested too deeply"]),
    ("config-5000-digit-int", config_with("9" * 5000), ["config.json", "integer too long"]),
    ("weights-int64", weights_as(torch.int64), ["model.safetensors", "int64", "floating point"]),
    ("weights-bool", weights_as(torch.bool, "lstm.weight_hh_l0"), ["model.safetensors", "lstm.weight_hh_l0", "bool"]),
    ("weights-uint8", weights_as(torch.uint8, "classifier.bias"), ["model.safetensors", "classifier.bias", "uint8"]),
    ("tokenizer-id-past-rows", edit_tokenizer(id_past_the_embedding), ["tokenizer.json", "past the embedding"]),
    ("normaliser-panics", edit_tokenizer(url_rule("")), ["tokenizer.json", "cannot tokenize"]),
    ("normaliser-bad-regex", edit_tokenizer(url_rule("(")), ["tokenizer.json", "unreadable"]),
]


def hostile_copy(model_dir: Path, tmp_path: Path, build: Callable[[Path, Path], None]) -> tuple[Path, Path]:
    """A copy of `model_dir` made hostile by `build`, and the folder outside it that `build` may point into."""
    folder, outside = tmp_path / "hostile", tmp_path / "outside"
    shutil.copytree(model_dir, folder)
    outside.mkdir()
    build(folder, outside)
    return folder, outside


@pytest.mark.slow
@pytest.mark.parametrize(("build", "needles"), [case[1:] for case in HOSTILE], ids=[case[0] for case in HOSTILE])
def test_a_hostile_model_folder_is_one_line_naming_the_file(
    trained_model_dir: Path, tmp_path: Path, build: Callable[[Path, Path], None], needles: list[str]
) -> None:
    folder, outside = hostile_copy(trained_model_dir, tmp_path, build)
    before, before_outside = snapshot(folder), snapshot(outside)

    started = time.monotonic()
    result = run_cli("predict", "i feel fine", "--model", str(folder), timeout=QUICK)
    assert time.monotonic() - started < QUICK
    line = assert_one_line_error(result, str(folder), *needles)
    assert SECRET not in line

    assert snapshot(folder) == before
    assert snapshot(outside) == before_outside


# The table above runs `predict`'s default engine (NumPy, light.py); these run the torch loader too.
TORCH_NAMES = (
    "fifo-weights",
    "config-to-dev-zero",
    "metrics-linked-to-a-secret",
    "config-deep-nesting",
    "weights-bool",
)
TORCH_CASES = [case for case in HOSTILE if case[0] in TORCH_NAMES]


@pytest.mark.parametrize(("build", "needles"), [case[1:] for case in TORCH_CASES], ids=[c[0] for c in TORCH_CASES])
def test_a_hostile_model_folder_is_refused_by_the_torch_engine_too(
    trained_model_dir: Path, tmp_path: Path, build: Callable[[Path, Path], None], needles: list[str]
) -> None:
    folder, _ = hostile_copy(trained_model_dir, tmp_path, build)
    before = snapshot(folder)
    result = run_cli("predict", "i feel fine", "--model", str(folder), "--engine", "torch", timeout=QUICK)
    assert SECRET not in assert_one_line_error(result, str(folder), *needles)
    assert snapshot(folder) == before


def test_the_good_folder_still_loads_and_the_table_breaks_something(trained_model_dir: Path) -> None:
    """The control for the table above: the folder every case starts from loads and predicts."""
    result = run_cli("predict", "i feel fine", "--model", str(trained_model_dir), "--json", timeout=QUICK)
    assert result.returncode == 0, result.stderr.decode()


def test_a_link_inside_the_folder_and_a_hub_cache_snapshot_still_load(trained_model_dir: Path, tmp_path: Path) -> None:
    """Links are refused only where they leave the folder: one to a file beside it is fine, and so is a
    Hub cache snapshot, whose files all link to ../../blobs."""
    folder = tmp_path / "linked"
    shutil.copytree(trained_model_dir, folder)
    (folder / "config.json").rename(folder / "config-v1.json")
    (folder / "config.json").symlink_to("config-v1.json")
    EmotionBiLSTM.from_pretrained(folder)

    snapshot_folder = lay_out_hub_cache(tmp_path / "cache", "someone/emo", trained_model_dir)
    assert (snapshot_folder / "config.json").is_symlink()
    model = EmotionBiLSTM.from_pretrained(snapshot_folder)
    assert model.training_summary is not None


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_a_hub_repo_with_deeply_nested_config_is_one_line(trained_model_dir: Path, tmp_path: Path, engine: str) -> None:
    """A Hub repo's config.json is parsed by huggingface_hub's mixin (torch), before our own checks run, and
    by `folder_reads.read_config` (numpy)."""
    files = {p.name: p.read_bytes() for p in trained_model_dir.iterdir() if p.is_file()}
    files["config.json"] = b'{"vocab_size": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    lay_out_hub_cache(tmp_path / "cache", "someone/nested", files)
    env = cli_env(HF_HUB_CACHE=str(tmp_path / "cache"), HF_ENDPOINT="http://127.0.0.1:9")
    result = run_cli("predict", "i feel fine", "--model", "someone/nested", "--engine", engine, env=env, timeout=QUICK)
    assert_one_line_error(result, "someone/nested", "config.json", "nested too deeply")


# ----- a path is a path, never a Hub id ------------------------------------------------------------


def online_env() -> dict[str, str]:
    """HF_HUB_OFFLINE unset, the Hub a closed local port: a name taken for a Hub id would be tried there."""
    env = cli_env(HF_ENDPOINT="http://127.0.0.1:9")
    env.pop("HF_HUB_OFFLINE")
    return env


@pytest.mark.slow
@pytest.mark.parametrize(
    ("model", "needle"),
    [
        ("data/nope.txt", "no such model folder"),
        ("someone/model.safetensors", "no such model folder"),
        ("runs/emo/", "no such model folder"),
        ("./nope", "no such model folder"),
        ("a b/c", "no such model folder"),
        ("pyproject.toml", "not a model folder"),  # an existing file, run from the checkout
        ("tests/clitools.py", "not a model folder"),  # owner/name in shape, but a file that exists
    ],
)
def test_a_path_is_never_taken_for_a_hub_id(model: str, needle: str) -> None:
    started = time.monotonic()
    result = run_cli("predict", "i feel fine", "--model", model, env=online_env(), timeout=QUICK)
    assert time.monotonic() - started < 20  # a Hub id would cost a round of retries first
    assert_one_line_error(result, model, needle)


@pytest.mark.slow
def test_an_existing_file_or_fifo_given_as_the_model_is_not_a_model_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a model")
    os.mkfifo(tmp_path / "pipe")
    for name in ("notes.txt", "pipe"):
        result = run_cli("predict", "x", "--model", str(tmp_path / name), env=online_env(), timeout=QUICK)
        assert_one_line_error(result, name, "not a model folder")


# ----- push: only the model's files, never through a link -------------------------------------------


@pytest.fixture
def littered(trained_model_dir: Path, tmp_path: Path) -> Path:
    """A model folder with pickles and notes beside the weights, as a run folder may hold."""
    folder = tmp_path / "littered"
    shutil.copytree(trained_model_dir, folder)
    for name in ("pytorch_model.bin", "optimizer.pt", "state.pkl", "last.ckpt"):
        (folder / name).write_bytes(b"\x80\x04pickle")
    (folder / "notes.txt").write_text("private notes")
    return folder


def test_push_uploads_only_the_allow_list_and_lists_pickles_as_left_out(littered: Path) -> None:
    plan = plan_push(littered, "someone/emo")
    api = RecordingHfApi()
    push(plan, api=api)
    assert set(api.uploaded) == {
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "README.md",
        "metrics.json",
        "reliability.png",
    }
    for name, content in api.uploaded.items():
        assert content == (littered / name).read_bytes()
    for name in ("pytorch_model.bin", "optimizer.pt", "state.pkl", "last.ckpt"):
        assert f"{name} (a pickle: never published)" in plan.skipped
    assert "notes.txt (not part of a model release)" in plan.skipped

    result = CliRunner().invoke(app, ["push", str(littered), "--repo-id", "someone/emo", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "left out: pytorch_model.bin (a pickle: never published)" in result.output
    assert "left out: notes.txt (not part of a model release)" in result.output


@pytest.mark.slow
@pytest.mark.parametrize("name", ["metrics.json", "README.md", "reliability.png"])
@pytest.mark.parametrize("where", ["outside", "inside"])
def test_push_refuses_an_allow_listed_name_that_is_a_link(
    trained_model_dir: Path, tmp_path: Path, name: str, where: str
) -> None:
    folder = tmp_path / "release"
    shutil.copytree(trained_model_dir, folder)
    target = (tmp_path / "token") if where == "outside" else (folder / f"real-{name}")
    if name == "metrics.json" and where == "outside":
        target.write_text(SECRET)  # a saved Hub token, renamed metrics.json by a link
    else:
        shutil.copyfile(folder / name, target)
    (folder / name).unlink()
    (folder / name).symlink_to(target)
    before = snapshot(folder)

    with pytest.raises(ModelLoadError, match=rf"{name}.*(symbolic link|outside)"):
        plan_push(folder, "someone/emo")
    result = run_cli("push", str(folder), "--repo-id", "someone/emo", "--dry-run", timeout=QUICK)
    line = assert_one_line_error(result, str(folder), name)
    assert SECRET not in line
    assert snapshot(folder) == before


def test_push_never_follows_a_file_swapped_for_a_link_after_the_plan(trained_model_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "release"
    shutil.copytree(trained_model_dir, folder)
    plan = plan_push(folder, "someone/emo")
    (tmp_path / "token").write_text(SECRET)
    (folder / "metrics.json").unlink()
    (folder / "metrics.json").symlink_to(tmp_path / "token")

    api = RecordingHfApi()
    with pytest.raises(ModelLoadError, match=r"metrics\.json became a symbolic link"):
        push(plan, api=api)
    assert api.calls == []  # refused before the repo was even created
    assert SECRET.encode() not in b"".join(api.uploaded.values())


def test_push_refuses_a_file_that_changed_after_the_plan(trained_model_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "release"
    shutil.copytree(trained_model_dir, folder)
    plan = plan_push(folder, "someone/emo")
    (folder / "metrics.json").write_text('{"changed": true}')
    with pytest.raises(ModelLoadError, match=r"metrics\.json changed after it was checked"):
        push(plan, api=RecordingHfApi())
