"""The library refuses the arguments the CLI refuses: a ValueError naming the argument and its value.

`predict(texts, batch_size=-1)` used to return the same uniform scores for every text (logits never
filled), and `top_k=0` a label with an empty `top`.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch
from conftest import synthetic_examples

from emotion_bilstm.config import MULTI_LABEL
from emotion_bilstm.model import EmotionBiLSTM
from emotion_bilstm.tokenizer import train_tokenizer

TEXTS = ["i feel so glad today", "i am furious at work", ""]
NOT_COUNTS = [0, -1, 1.5, 2.0, True, False, None, "8"]
NOT_THRESHOLDS = [-0.1, 1.5, math.nan, math.inf, -math.inf, True, "0.5"]


def tiny_model(multi_label: bool = False) -> EmotionBiLSTM:
    torch.manual_seed(0)
    tokenizer = train_tokenizer([text for text, _ in synthetic_examples(120)])
    model = EmotionBiLSTM(
        vocab_size=tokenizer.get_vocab_size(),
        embedding_dim=8,
        hidden_size=6,
        **({"problem_type": MULTI_LABEL} if multi_label else {}),
    )
    model.tokenizer = tokenizer
    return model.eval()


@pytest.fixture(scope="module")
def model() -> EmotionBiLSTM:
    return tiny_model()


def refused(name: str, value: object, rule: str):
    return pytest.raises(ValueError, match=re.escape(f"{name} must be {rule}, got {value!r}"))


@pytest.mark.parametrize("value", NOT_COUNTS, ids=repr)
def test_batch_size_below_one_or_not_an_integer_is_refused(model: EmotionBiLSTM, value: object) -> None:
    calls = {
        "predict": lambda: model.predict(TEXTS, batch_size=value),
        "predict_proba": lambda: model.predict_proba(TEXTS, batch_size=value),
        "logits": lambda: model.logits(model.encode(TEXTS), batch_size=value),
        "logits, reference engine": lambda: model.logits(model.encode(TEXTS), engine="reference", batch_size=value),
        "explain": lambda: model.explain(TEXTS, batch_size=value),
    }
    for call in calls.values():
        with refused("batch_size", value, "an integer >= 1"):
            call()


@pytest.mark.parametrize("value", [v for v in NOT_COUNTS if v is not None], ids=repr)
def test_top_k_below_one_or_not_an_integer_is_refused(model: EmotionBiLSTM, value: object) -> None:
    with refused("top_k", value, "an integer >= 1"):
        model.predict(TEXTS, top_k=value)
    with refused("top_k", value, "an integer >= 1"):
        model.explain(TEXTS, top_k=value)
    with refused("top_k", value, "an integer >= 1"):
        tiny_model(multi_label=True).predict(TEXTS, top_k=value)


@pytest.mark.parametrize("value", NOT_THRESHOLDS, ids=repr)
@pytest.mark.parametrize("multi_label", [False, True])
def test_threshold_outside_zero_to_one_or_not_a_number_is_refused(multi_label: bool, value: object) -> None:
    with refused("threshold", value, "a number from 0 to 1"):
        tiny_model(multi_label).predict(TEXTS, threshold=value)


def test_the_arguments_at_their_limits_are_accepted(model: EmotionBiLSTM) -> None:
    full = model.predict(TEXTS)
    for batch_size in (1, 2, np.int64(1), 10_000):
        assert [r["label"] for r in model.predict(TEXTS, batch_size=batch_size)] == [r["label"] for r in full]
        assert model.predict_proba(TEXTS, batch_size=batch_size).shape == (len(TEXTS), 6)
        assert len(model.explain(TEXTS, batch_size=batch_size)) == len(TEXTS)
    assert [len(r["top"]) for r in model.predict(TEXTS[:2], top_k=1)] == [1, 1]
    assert [len(r["top"]) for r in model.predict(TEXTS[:2], top_k=np.int64(100))] == [6, 6]  # more than there are
    assert [len(r["top"]) for r in model.predict(TEXTS[:2], threshold=0)] == [6, 6]
    assert [len(r["top"]) for r in model.predict(TEXTS[:2], threshold=1)] == [0, 0]
    assert [len(r["top"]) for r in model.predict(TEXTS[:2], threshold=np.float32(0.0))] == [6, 6]
    assert "top" not in model.predict(TEXTS[:1], top_k=None, threshold=None)[0]  # None: not given
    multi = tiny_model(multi_label=True)
    assert multi.predict(TEXTS[:1], threshold=0)[0]["labels"] == list(multi.predict(TEXTS[:1])[0]["scores"])


def test_nothing_is_encoded_before_the_arguments_are_checked(model: EmotionBiLSTM) -> None:
    texts = iter(TEXTS)  # a generator would be used up by encoding: refusing first leaves it whole
    with pytest.raises(ValueError, match="batch_size"):
        model.predict(texts, batch_size=0)
    assert next(texts) == TEXTS[0]
