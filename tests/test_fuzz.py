"""Arbitrary Unicode through normalisation, the tokenizer and predict: always a valid label, scores summing to 1."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emotion_bilstm import EmotionBiLSTM
from emotion_bilstm.labels import LABELS
from emotion_bilstm.tokenizer import UNK_ID, encode_batch, normalize

# every code point class, control characters included; lone surrogates cannot be UTF-8 text, so they
# arrive the way a file or stdin would carry them: escaped by `surrogateescape`/`backslashreplace`
unicode_text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=300)
escaped_surrogates = st.lists(st.integers(0xD800, 0xDFFF), min_size=1, max_size=5).map(
    lambda points: "".join(chr(p) for p in points).encode("utf-8", "surrogatepass").decode("utf-8", "replace")
)
special = st.sampled_from(
    [
        "مرحبا أنا سعيد جدا",  # RTL
        "\u202eevil\u202c reversed",  # bidi override
        "😀😡😱💔" * 50,  # emoji
        "\x00\x01\x1b[31mred\x7f",  # control characters and an escape sequence
        "a\u0301\u0301\u0301" * 100,  # stacked combining marks
        "\ufeff\u200b\u200d",  # BOM and zero-width characters only
        "i feel " + "so " * 20_000,  # very long
        "ﷺ" * 1000,  # expands 18x under NFKC
    ]
)
texts = st.one_of(unicode_text, escaped_surrogates, special)


@pytest.fixture(scope="module")
def model(trained_model_dir: Path) -> EmotionBiLSTM:
    return EmotionBiLSTM.from_pretrained(trained_model_dir)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(texts, min_size=1, max_size=8))
def test_any_unicode_gives_a_label_and_scores_summing_to_one(model: EmotionBiLSTM, batch: list[str]) -> None:
    for text in batch:
        assert isinstance(normalize(model.tokenizer, text), str)
    ids = encode_batch(model.tokenizer, batch)
    assert all(1 <= len(row) <= model.config["max_length"] for row in ids)
    assert all(0 <= i < model.config["vocab_size"] for row in ids for i in row)
    for result, row in zip(model.predict(batch), ids, strict=True):
        if all(i == UNK_ID for i in row):  # nothing the model reads: no label rather than a guess
            assert result == {"label": None, "score": None, "scores": {}, "reason": "no words the model reads"}
            continue
        assert result["label"] in LABELS
        assert set(result["scores"]) == set(LABELS)
        assert abs(sum(result["scores"].values()) - 1) < 1e-4
        assert all(0 <= score <= 1 for score in result["scores"].values())
