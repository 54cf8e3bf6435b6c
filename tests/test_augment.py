"""`--transfer-augment`: augmented copies of the training texts in the transfer set (augment.py).

Each rule (drop, swap, n-gram) is checked alone by setting its probability to 1, on tiny vectors whose
nearest neighbours are known; the end-to-end run with the tiny teacher is in test_distillation.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from clitools import assert_one_line_error, run_cli
from conftest import tiny_config

from emotion_bilstm.errors import EmotionBiLSTMError
from emotion_bilstm.training import augment, vectors
from emotion_bilstm.training.augment import augmented_copies, nearest_words, training_copies

TEXTS = ["i feel so happy about the work today", "my friend is sad and lonely at home this week"]
# Two tight pairs and a word far from both: each word's nearest is its pair, then the other pair's.
WORDS = ["happy", "glad", "sad", "gloomy", "table"]
VECTORS = np.array([[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0.1, 0.9, 0], [0, 0, 1]], dtype=np.float32)
NEIGHBOURS = {"happy": ["glad"], "sad": ["gloomy"]}


def only(monkeypatch: pytest.MonkeyPatch, **rates: float) -> None:
    """Every rule off but those in `rates` (DROP, SWAP, NGRAM)."""
    for name in ("DROP", "SWAP", "NGRAM"):
        monkeypatch.setattr(augment, name, rates.get(name, 0.0))


def test_the_copies_are_the_same_for_a_seed_and_differ_for_another() -> None:
    copies = augmented_copies(TEXTS, 10, 42, NEIGHBOURS)
    assert len(copies) == 20 and copies == augmented_copies(TEXTS, 10, 42, NEIGHBOURS)
    assert copies != augmented_copies(TEXTS, 10, 43, NEIGHBOURS)
    assert len(set(copies)) > 5  # copies, not the text ten times
    assert augmented_copies(TEXTS, 0, 42, NEIGHBOURS) == []


def test_each_rule_drops_swaps_or_cuts_to_an_n_gram(monkeypatch: pytest.MonkeyPatch) -> None:
    only(monkeypatch, DROP=1.0)
    assert augmented_copies(TEXTS, 2, 0, NEIGHBOURS) == ["", "", "", ""]

    only(monkeypatch, SWAP=1.0)  # every word with neighbours swapped, the rest kept
    assert set(augmented_copies(TEXTS, 2, 0, NEIGHBOURS)) == {
        "i feel so glad about the work today",
        "my friend is gloomy and lonely at home this week",
    }

    only(monkeypatch, NGRAM=1.0)
    copies = augmented_copies(TEXTS, 50, 0, NEIGHBOURS)
    for text, copy in zip([t for t in TEXTS for _ in range(50)], copies, strict=True):
        assert 1 <= len(copy.split()) <= 5 and f" {copy} " in f" {text} "  # a run of the text's words
    assert {len(copy.split()) for copy in copies} == {1, 2, 3, 4, 5}


def test_at_the_default_rates_about_a_tenth_of_the_words_go() -> None:
    text = " ".join(f"w{i}" for i in range(20))
    copies = augmented_copies([text], 400, 0, {})
    uncut = [copy.split() for copy in copies if len(copy.split()) > 5]  # n-grams aside (a quarter, at most 5)
    kept = sum(map(len, uncut)) / (20 * len(uncut))
    assert 0.85 < kept < 0.95 and 0.15 < sum(len(c.split()) <= 5 for c in copies) / 400 < 0.35


def test_neighbours_are_the_nearest_training_words_by_cosine_in_any_chunking(monkeypatch: pytest.MonkeyPatch) -> None:
    words = ["glad", "gloomy", "happy", "sad", "unknown"]  # "table" is in the vectors, not the training words
    nearest = nearest_words(words, WORDS, VECTORS, count=2)
    assert nearest == {
        "glad": ["happy", "gloomy"],
        "gloomy": ["sad", "glad"],
        "happy": ["glad", "gloomy"],
        "sad": ["gloomy", "glad"],
    }
    monkeypatch.setattr(augment, "CHUNK", 3)  # a word's own row in a later chunk is still left out
    assert nearest_words(words, WORDS, VECTORS, count=2) == nearest
    assert nearest_words(["happy", "unknown"], WORDS, VECTORS) == {}  # one known word has no neighbour


def test_swaps_come_from_the_runs_vectors_and_without_them_there_are_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    only(monkeypatch, SWAP=1.0)
    monkeypatch.setattr(vectors, "load_glove", lambda name: (WORDS, VECTORS))
    texts = ["so happy", "so glad", "so sad", "so gloomy"]
    config = tiny_config(tmp_path, tmp_path / "o", transfer_augment=1, pretrained_vectors="glove-6b-50d")
    copies = training_copies(config, texts)
    swapped = [copy.split() for copy in copies.texts]  # "so" is not in the vectors; "table" not in the texts
    assert all(first == "so" and word != text.split()[1] for (first, word), text in zip(swapped, texts, strict=True))
    assert {word for _, word in swapped} <= {"happy", "glad", "sad", "gloomy"}
    assert copies.describe(kept=3) == {"per_text": 1, "made": 4, "kept": 3, "swaps_from": "glove-6b-50d"}

    plain = training_copies(tiny_config(tmp_path, tmp_path / "o", transfer_augment=1), texts)
    assert plain.texts == texts and plain.swaps_from is None
    assert "no swaps (no --pretrained-vectors)" in plain.line(kept=0)


def test_copies_equal_to_their_text_empty_or_repeated_are_dropped(tmp_path: Path) -> None:
    from emotion_bilstm.training.transfer import transfer_set

    (tmp_path / "more.txt").write_text("a new text\n", encoding="utf-8")
    copies = ["I feel  HAPPY", "", "feel happy", "feel happy", "a new text", "happy"]
    found = transfer_set([str(tmp_path / "more.txt")], ["i feel happy"], lambda line: None, tmp_path, copies)
    assert found.texts == ["a new text", "feel happy", "happy"] and found.copies_kept == 2
    assert found.dropped == {"repeated": 2, "in_the_data": 1, "in_everyday": 0, "empty": 1}


def test_no_copies_without_the_option_or_at_zero(tmp_path: Path) -> None:
    from emotion_bilstm.training.distill import _transfer
    from emotion_bilstm.training.setup import TrainingData

    data = TrainingData({"train": {"text": TEXTS}, "validation": {"text": ["a text"]}}, ["joy"], multi=False)
    transfer, recorded = _transfer(tiny_config(tmp_path, tmp_path / "o", transfer_augment=0), data, print)
    assert transfer.texts == [] and recorded is None
    transfer, recorded = _transfer(tiny_config(tmp_path, tmp_path / "o", transfer_augment=3), data, print)
    assert recorded["made"] == 6 and len(transfer.texts) == recorded["kept"] == transfer.copies_kept > 0


def test_the_option_needs_a_teacher_and_at_most_20_copies(tmp_path: Path) -> None:
    result = run_cli("train", "--data", str(tmp_path / "none"), "-o", str(tmp_path / "o"), "--transfer-augment", "2")
    assert_one_line_error(result, "--transfer-augment", "give --teacher too")
    with pytest.raises(EmotionBiLSTMError, match="above its largest value 20"):
        tiny_config(tmp_path, tmp_path / "o", transfer_augment=21)
