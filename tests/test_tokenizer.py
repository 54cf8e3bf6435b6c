"""Normalisation of raw tweets into the training data's form, and the tokenizer.json round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import synthetic_examples

from emotion_bilstm.tokenizer import PAD_ID, UNK_ID, encode_batch, normalize, train_tokenizer


@pytest.fixture(scope="module")
def tokenizer():
    texts = [text for text, _ in synthetic_examples(300)] + ["i didnt feel humiliated", "so happy and blessed"]
    return train_tokenizer(texts, max_length=16)


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("I didn't feel HUMILIATED!!", "i didnt feel humiliated"),
        ("I’m so happy", "im so happy"),  # typographic apostrophe
        ("@bob_smith you are so mean", "you are so mean"),
        ("look https://t.co/AbC123 and www.example.com/x now", "look and now"),
        ("#blessed #HappyDays", "blessed happydays"),
        ("tea &amp; cake &lt;3 &quot;yes&quot;", "tea and cake 3 yes"),
        ("sooooo happyyyyy", "soo happyy"),
        ("love it 😍🔥!!!", "love it love 🔥"),  # emotion emoji as words, the rest kept for the pre-tokenizer
        ("thank you ❤️🙏🏽", "thank you love 🙏"),  # presentation marks and skin tones dropped
        ("missed the bus again 😭😭", "missed the bus again crying crying"),
        ("Ｆｕｌｌ　ｗｉｄｔｈ ﬁne", "full width fine"),  # NFKC: full-width letters, the fi ligature
        ("snake_case_words", "snake case words"),
        ("   ", ""),
    ],
)
def test_raw_tweets_are_normalised_into_the_training_form(tokenizer, raw: str, words: str) -> None:
    assert normalize(tokenizer, raw).split() == words.split()


def test_emoji_become_tokens_of_their_own(tokenizer) -> None:
    assert tokenizer.encode("ok👍👍 fine🔥", add_special_tokens=False).tokens[1:3] == ["[UNK]", "[UNK]"]
    pieces = [piece for piece, _ in tokenizer.pre_tokenizer.pre_tokenize_str("ok👍👍 fine🔥")]
    assert pieces == ["ok", "👍", "👍", "fine", "🔥"]


def test_training_form_text_is_left_as_it_is(tokenizer) -> None:
    text = "i feel a little mellow today and i cant stop smiling"
    assert normalize(tokenizer, text).split() == text.split()


def test_specials_and_unknown_words(tokenizer) -> None:
    assert tokenizer.token_to_id("[PAD]") == PAD_ID and tokenizer.token_to_id("[UNK]") == UNK_ID
    ids = encode_batch(tokenizer, ["i feel zxqvbnm", "", "!!! 🦀"])
    assert ids[0][-1] == UNK_ID and UNK_ID not in ids[0][:-1]
    assert ids[1] == [UNK_ID] and ids[2] == [UNK_ID]  # never an empty row: packed LSTMs need length >= 1


def test_truncation_to_max_length(tokenizer) -> None:
    assert len(encode_batch(tokenizer, ["i feel glad " * 100])[0]) == 16
    assert len(encode_batch(tokenizer, ["a" * 5_000_000])[0]) == 1  # one huge word: cut before the normaliser


def test_round_trip_through_tokenizer_json_gives_identical_ids(tokenizer, tmp_path: Path) -> None:
    from tokenizers import Tokenizer

    path = tmp_path / "tokenizer.json"
    tokenizer.save(str(path))
    loaded = Tokenizer.from_file(str(path))
    texts = ["I didn't feel HUMILIATED!! @bob https://t.co/x", "sooooo glad &amp; cheerful 😍", "", "unseen wordz"]
    assert encode_batch(loaded, texts) == encode_batch(tokenizer, texts)
    assert [normalize(loaded, t) for t in texts] == [normalize(tokenizer, t) for t in texts]
    assert loaded.get_vocab() == tokenizer.get_vocab()
    assert loaded.truncation["max_length"] == 16


@pytest.mark.parametrize("kind", ["wordpiece", "unigram"])
def test_subword_tokenizers_split_unseen_words(kind: str) -> None:
    texts = [text for text, _ in synthetic_examples(300)]
    tokenizer = train_tokenizer(texts, kind=kind, vocab_size=120)
    ids = encode_batch(tokenizer, ["i feel delightedly cheerful"])[0]
    assert len(ids) >= 4 and all(isinstance(i, int) for i in ids)


def test_unknown_tokenizer_kind() -> None:
    with pytest.raises(ValueError, match="unknown tokenizer kind 'bpe'"):
        train_tokenizer(["a b c"], kind="bpe")
