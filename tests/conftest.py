"""Shared fixtures: small synthetic datasets the tests make themselves (no third-party data in the repo)."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from emotion_bilstm.labels import LABELS

# One torch thread, here and in every subprocess a test starts: these tiny models gain nothing from
# more, and on a shared 2-core CI machine extra threads spin-wait (a 2-minute test took 18 under load).
os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread() -> None:
    import torch

    torch.set_num_threads(1)


SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "emotion"

# A few cue words per emotion; sentences mix one cue with neutral filler, so a model must find the cue.
CUES = {
    "sadness": ["miserable", "heartbroken", "gloomy", "lonely", "hopeless"],
    "joy": ["delighted", "cheerful", "glad", "thrilled", "content"],
    "love": ["adoring", "tender", "affectionate", "romantic", "passionate"],
    "anger": ["furious", "irritated", "outraged", "bitter", "resentful"],
    "fear": ["terrified", "anxious", "nervous", "scared", "panicky"],
    "surprise": ["amazed", "astonished", "stunned", "shocked", "startled"],
}
FILLER = [
    "i",
    "am",
    "today",
    "really",
    "so",
    "about",
    "the",
    "work",
    "and",
    "my",
    "friend",
    "at",
    "home",
    "this",
    "week",
    "when",
    "we",
    "went",
    "out",
]


def synthetic_examples(n: int, seed: int = 0) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    examples = []
    for i in range(n):
        label = LABELS[i % len(LABELS)]
        words = rng.sample(FILLER, rng.randint(3, 8))
        words.insert(rng.randint(0, len(words)), rng.choice(CUES[label]))
        examples.append((" ".join(["i", "feel", *words]), label))
    rng.shuffle(examples)
    return examples


def write_semicolon_file(path: Path, examples: list[tuple[str, str]]) -> Path:
    path.write_text("".join(f"{text};{label}\n" for text, label in examples), encoding="utf-8")
    return path


def write_tiny_dataset(folder: Path) -> Path:
    """train.txt (600 rows) and validation.txt (120 rows) of synthetic examples, in the shared data's format."""
    folder.mkdir(parents=True, exist_ok=True)
    write_semicolon_file(folder / "train.txt", synthetic_examples(600, seed=1))
    write_semicolon_file(folder / "validation.txt", synthetic_examples(120, seed=2))
    return folder


@pytest.fixture
def tiny_dataset(tmp_path: Path) -> Path:
    """A folder with train.txt (600 rows) and validation.txt (120 rows) in the shared data's format."""
    return write_tiny_dataset(tmp_path / "tiny")


# ----- the tiny-model factory: every test that trains its own model starts from these settings --------
# Small enough to train on the synthetic fixtures in a second or two, on CPU. A test names only what it
# needs different, as `changes` (TrainConfig field names); the library and the CLI variants read the same dict.
TINY_SETTINGS: dict[str, object] = {
    "epochs": 2,
    "batch_size": 32,
    "embedding_dim": 16,
    "hidden_size": 16,
    "learning_rate": 1e-2,
    "cpu": True,
}
SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def script_module(name: str):
    """scripts/NAME.py as a module (the scripts are not a package): its constants and helpers."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FLAGS = {"learning_rate": "--lr"}  # `emo-cli train`'s option for a TrainConfig field, where not --field-name


def tiny_config(data: Path | str, output: Path, **changes: object):
    """The `TrainConfig` of a tiny model: TINY_SETTINGS with `changes`."""
    from emotion_bilstm.training import TrainConfig

    return TrainConfig(data=str(data), output_dir=str(output), **{**TINY_SETTINGS, **changes})


def train_tiny(data: Path | str, output: Path, *, log=None, **changes: object) -> dict:
    """Train a tiny model into the model folder `output` through the library; returns `train`'s summary."""
    from emotion_bilstm.training import train

    return train(tiny_config(data, output, **changes), log=log, show_progress=False)


def tiny_train_args(*, progress: bool = False, **changes: object) -> list[str]:
    """TINY_SETTINGS with `changes` as `emo-cli train` options (`--no-progress` too unless `progress`)."""
    args: list[str] = []
    for name, value in {**TINY_SETTINGS, **changes}.items():
        flag = FLAGS.get(name, "--" + name.replace("_", "-"))
        args += [flag] if value is True else [flag, str(value)]
    return args if progress else [*args, "--no-progress"]


def train_tiny_through_cli(data: Path, output: Path, *extra: str, **changes: object):
    """`emo-cli train` in-process (typer's CliRunner) on a tiny model; the run must succeed. Returns the result."""
    from typer.testing import CliRunner

    from emotion_bilstm.cli import app

    args = ["train", "--data", str(data), "--output-dir", str(output), *tiny_train_args(**changes), *extra]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result


@pytest.fixture(scope="session")
def trained_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small model trained once per session on the synthetic data, shared by the tests that only need *a*
    model (and never change it: copy it first). Trained once, so its tests stay in the fast tier."""
    data = write_tiny_dataset(tmp_path_factory.mktemp("data"))
    output = tmp_path_factory.mktemp("model") / "emo"
    train_tiny(data, output, epochs=10, embedding_dim=32, hidden_size=32, patience=10)
    return output


def shared_data_or_skip() -> Path:
    if not (SHARED_DATA / "train.txt").exists():
        pytest.skip(f"shared data not found at {SHARED_DATA}: skipped, it needs the dair-ai/emotion split files")
    return SHARED_DATA


SHARED_GOEMOTIONS = SHARED_DATA.parent / "goemotions"


@pytest.fixture
def shared_goemotions() -> Path:
    if not (SHARED_GOEMOTIONS / "train.tsv").exists():
        pytest.skip(f"shared data not found at {SHARED_GOEMOTIONS}: skipped, it needs the GoEmotions split files")
    return SHARED_GOEMOTIONS
