"""The one-pass raw-text normaliser (fast_tokenize.normalize_raw) gives exactly the Rust tokenizer's output.

Checked three ways: every character of its alphabet in the contexts its rules look at, arbitrary
Unicode mixed with the characters tweets carry (hypothesis), and every text of dair-ai validation
and its perturbed, typed-by-a-person copy.
"""

from __future__ import annotations

from functools import cache

import pytest
from conftest import shared_data_or_skip
from hypothesis import given, settings
from hypothesis import strategies as st

from emotion_bilstm.fast_tokenize import (
    ACCEPTED,
    RAW_FINGERPRINTS,
    in_raw_alphabet,
    normalize_raw,
    normalizer_fingerprint,
    raw_tables,
    word_lookup_for,
)
from emotion_bilstm.folder_reads import default_model_dir
from emotion_bilstm.tokenizer import EMOJI_MODIFIER_CHARS, EMOJI_WORDS, encode_batch

# The contexts each rule depends on: a word's edges, mentions and entities (\w), URLs (\S), "&" alone,
# letter runs, and an emoji with its presentation mark.
CONTEXTS = [
    "{c}",
    "a{c}b",
    "@ab{c}x y",
    "&ab{c}; z",
    "&#{c};",
    "http://x{c}y z",
    "&{c}",
    "A{c}A",
    "{c}{c}{c}",
    "\u2764{c}\ufe0f",
]


@cache
def shipped_tokenizer():
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(default_model_dir() / "tokenizer.json"))


def alphabet() -> list[str]:
    return [*map(chr, range(0x20, 0x7F)), "\t", *sorted(raw_tables().alphabet)]


def test_every_character_of_the_alphabet_in_every_context() -> None:
    normalizer = shipped_tokenizer().normalizer
    characters = alphabet()
    assert len(characters) > 5000  # emoji and symbols, not just ASCII
    for context in CONTEXTS:
        texts = [context.format(c=char) for char in characters]
        assert all(map(in_raw_alphabet, texts))
        expected = [normalizer.normalize_str(text) for text in texts]
        mismatches = [(t, e, g) for t, e, g in zip(texts, expected, normalize_raw(texts), strict=True) if e != g]
        assert mismatches == [], mismatches[:5]


def test_the_alphabet_covers_the_emoji_rules() -> None:
    table = raw_tables()
    for chars in EMOJI_WORDS.values():
        assert set(chars) <= table.alphabet
    assert set(EMOJI_MODIFIER_CHARS) <= table.alphabet
    assert "\u2026" in table.to_ascii and "\U0001f4f7" in table.alphabet  # … and a camera emoji
    assert not in_raw_alphabet("caf\u00e9") and not in_raw_alphabet("a\nb") and not in_raw_alphabet("\x1c")


# Arbitrary code points (so the fallback to Rust is exercised too), weighted towards what the rules look at.
pieces = st.sampled_from(
    [
        *"aAzZ019_ @#&;:/.'`!?-\t",
        *("http://", "HTTPS://", "www.", "&amp;", "&AMP;", "&#39;", "&lt;", "ooo", "\u2019", "\u2026", "\u00a0"),
        *("\u2764\ufe0f", "\U0001f62d", "\U0001f44d\U0001f3fd", "\uff21", "\U0001f170", "\u203f"),
    ]
)
characters = st.characters(exclude_categories=["Cs"])
from_alphabet = st.builds(lambda i: alphabet()[i % len(alphabet())], st.integers(0, 10**6))
texts = st.lists(st.one_of(pieces, pieces, from_alphabet, characters), max_size=20).map("".join)


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(batch=st.lists(texts, min_size=1, max_size=6))
def test_any_text_gets_the_rust_tokenizers_ids(batch: list[str]) -> None:
    tokenizer = shipped_tokenizer()
    lookup = word_lookup_for(tokenizer)
    assert lookup is not None and lookup.raw
    assert lookup.encode(batch) == encode_batch(tokenizer, batch)
    raw = [text for text in batch if in_raw_alphabet(text)]
    assert normalize_raw(raw) == [tokenizer.normalizer.normalize_str(text) for text in raw]


@pytest.mark.shared_data
def test_validation_and_its_perturbed_copy_get_the_same_ids() -> None:
    from emotion_bilstm.data.robustness import perturb_all

    data = shared_data_or_skip()
    validation = [line.rpartition(";")[0] for line in (data / "validation.txt").read_text().splitlines()]
    perturbed = perturb_all(validation)
    tokenizer = shipped_tokenizer()
    lookup = word_lookup_for(tokenizer)
    assert all(map(in_raw_alphabet, perturbed))  # every typed-up text takes the one-pass path
    for texts in (validation, perturbed):
        assert lookup.encode(texts) == encode_batch(tokenizer, texts)


def test_only_the_pinned_normaliser_takes_the_raw_path(monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from emotion_bilstm import fast_tokenize

    tokenizer = shipped_tokenizer()
    fingerprint = normalizer_fingerprint(json.loads(tokenizer.to_str())["normalizer"])
    assert fingerprint in RAW_FINGERPRINTS and fingerprint in ACCEPTED
    # An accepted normaliser the raw rules were not checked against (as a model from before issue 13,
    # whose normaliser deleted emoji) keeps the clean-text shortcut only; raw text goes to Rust.
    monkeypatch.setattr(fast_tokenize, "RAW_FINGERPRINTS", set())
    lookup = word_lookup_for(tokenizer)
    assert lookup is not None and not lookup.raw
    monkeypatch.setattr(fast_tokenize, "normalize_raw", lambda texts: pytest.fail("raw path taken"))
    texts = ["I'm SO happy!! @bob \U0001f62d", "i feel fine"]
    assert lookup.encode(texts) == encode_batch(tokenizer, texts)
