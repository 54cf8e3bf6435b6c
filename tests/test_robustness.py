"""Raw-text robustness and the hand-written set: the perturbation itself, and the shipped model on both."""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

import pytest
from conftest import shared_data_or_skip

from emotion_bilstm.data.robustness import EMOJI, HASHTAGS, perturb, perturb_all, perturbed_drop, read_handwritten
from emotion_bilstm.labels import LABELS
from emotion_bilstm.tokenizer import build_normalizer

HANDWRITTEN = Path(__file__).parent / "data" / "handwritten.tsv"
# The release scores 0.700 on it (its recipe 0.683 ± 0.017 over seeds; 0.633 before GloVe, experiments/RESULTS.md).
# The bar guards against falling back to the pre-GloVe level, with room for another seed's release.
HANDWRITTEN_MIN_ACCURACY = 0.65
MAX_PERTURBED_DROP_POINTS = 1.0


def test_perturb_adds_only_raw_text_marks_the_normaliser_removes() -> None:
    normalizer = build_normalizer()
    rng = random.Random(3)
    hashtag_words = {tag.lstrip("#").lower() for tag in HASHTAGS}
    text = "im so tired and i didnt sleep at all"
    changed = 0
    for _ in range(50):
        raw = perturb(text, rng)
        changed += raw != text
        words = normalizer.normalize_str(raw).split()
        # the original words survive in order; anything added is a hashtag's word or an emotionless
        # emoji (kept as a token of its own, never turned into an emotion word)
        assert [w for w in words if w not in hashtag_words and w not in EMOJI] == text.split()
    assert changed == 50


def test_perturb_looks_like_raw_text() -> None:
    raw = perturb_all(["i didnt feel humiliated and im fine"] * 40, seed=1)
    assert all("I didn't" in r and "I'm" in r and re.search(r"(?i)fine[.!?]", r) for r in raw)
    assert any(r.startswith("I ") for r in raw)  # a capital first letter when no @mention comes first
    assert any("@" in r for r in raw) and any("http" in r or "www." in r for r in raw)
    assert any("#" in r for r in raw) and any("&amp;" in r for r in raw)
    assert perturb_all(["i feel ok"], seed=7) == perturb_all(["i feel ok"], seed=7)


def test_handwritten_set_is_balanced_and_labelled() -> None:
    texts, labels = read_handwritten(HANDWRITTEN)
    assert len(texts) >= 60 and len(set(texts)) == len(texts)
    assert set(labels) == set(LABELS)
    assert set(Counter(labels).values()) == {len(texts) // len(LABELS)}
    assert not any(t.lower().startswith(("i feel", "i am feeling", "im feeling")) for t in texts)


@pytest.fixture(scope="module")
def shipped_model():
    from emotion_bilstm.folder_reads import default_model_dir
    from emotion_bilstm.model import EmotionBiLSTM

    folder = default_model_dir()
    if not (folder / "model.safetensors").exists():
        pytest.skip(f"no default model at {folder} yet (made by `make release-model`)")
    return EmotionBiLSTM.from_pretrained(folder)


@pytest.mark.shared_data
def test_shipped_model_keeps_its_accuracy_on_raw_text(shipped_model) -> None:
    data = shared_data_or_skip()
    rows = [line.rsplit(";", 1) for line in (data / "validation.txt").read_text(encoding="utf-8").splitlines()]
    texts, labels = [r[0] for r in rows], [r[1] for r in rows]
    result = perturbed_drop(shipped_model, texts, labels)
    assert result["clean"] > 0.9
    assert result["drop"] <= MAX_PERTURBED_DROP_POINTS, result


def test_shipped_model_reads_everyday_sentences(shipped_model) -> None:
    texts, labels = read_handwritten(HANDWRITTEN)
    predicted = [p["label"] for p in shipped_model.predict(texts)]
    correct = sum(p == gold for p, gold in zip(predicted, labels, strict=True))
    assert correct / len(labels) >= HANDWRITTEN_MIN_ACCURACY, list(zip(texts, labels, predicted, strict=True))
