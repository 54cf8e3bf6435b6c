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


@pytest.fixture
def tiny_dataset(tmp_path: Path) -> Path:
    """A folder with train.txt (600 rows) and validation.txt (120 rows) in the shared data's format."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    write_semicolon_file(folder / "train.txt", synthetic_examples(600, seed=1))
    write_semicolon_file(folder / "validation.txt", synthetic_examples(120, seed=2))
    return folder


@pytest.fixture(scope="session")
def trained_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small model trained on the synthetic data, shared by the tests that only need *a* model."""
    from emotion_bilstm.training import TrainConfig, train

    folder = tmp_path_factory.mktemp("data")
    write_semicolon_file(folder / "train.txt", synthetic_examples(600, seed=1))
    write_semicolon_file(folder / "validation.txt", synthetic_examples(120, seed=2))
    output = tmp_path_factory.mktemp("model") / "emo"
    train(
        TrainConfig(
            data=str(folder),
            output_dir=str(output),
            epochs=10,
            learning_rate=1e-2,
            batch_size=32,
            embedding_dim=32,
            hidden_size=32,
            patience=10,
            cpu=True,
        ),
        show_progress=False,
    )
    return output


def train_small_through_cli(data: Path, output: Path, *extra: str):
    """`emo-cli train` as a user runs it, on CPU with a 16-unit model; the run must succeed. Returns the result."""
    from typer.testing import CliRunner

    from emotion_bilstm.cli import app

    args = ["train", "--data", str(data), "--output-dir", str(output), "--cpu", "--no-progress"]
    args += ["--batch-size", "16", "--lr", "0.02", "--embedding-dim", "16", "--hidden-size", "16", *extra]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def small_config(data: Path, output: Path, **changes: object):
    """A `TrainConfig` small enough to train on the synthetic fixtures in a second or two, on CPU."""
    from emotion_bilstm.training import TrainConfig

    settings = {"epochs": 2, "batch_size": 32, "embedding_dim": 16, "hidden_size": 16, "learning_rate": 1e-2}
    return TrainConfig(data=str(data), output_dir=str(output), cpu=True, **{**settings, **changes})


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
