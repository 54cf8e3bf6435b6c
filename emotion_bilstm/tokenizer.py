"""Text normalisation and the vocabulary, as one serialisable `tokenizers.Tokenizer`.

The training data is lower-cased with punctuation stripped ("i didnt feel humiliated"), but people
type "I didn't feel humiliated!! @bob https://t.co/x". The normaliser below maps raw text into the
training data's form. It lives inside `tokenizer.json`, so the exact same rules run at training and
at inference time, in Python or in any other `tokenizers` binding: the two cannot drift apart.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .choices import TokenizerKind, values

if TYPE_CHECKING:
    from tokenizers import Tokenizer

PAD_TOKEN, UNK_TOKEN = "[PAD]", "[UNK]"
PAD_ID, UNK_ID = 0, 1
TOKENIZER_KINDS = values(TokenizerKind)
# Raw lines are cut to this many characters before normalisation: a 50 MB "line" must not cost
# 50 MB of normaliser work when only the first `max_length` tokens are kept anyway.
MAX_CHARS_PER_TOKEN = 24


def build_normalizer():
    """The raw-text -> training-data-form rules, in the order they must run."""
    from tokenizers import Regex, normalizers

    rules = [
        normalizers.NFKC(),  # full-width letters, ligatures and compatibility forms to plain ones
        normalizers.Replace(Regex(r"(?i)(?:https?://|www\.)\S+"), " "),  # URLs carry no emotion
        normalizers.Replace(Regex(r"@\w+"), " "),  # @mentions: names, not words
        # HTML entities as tweets carry them; "&" reads as "and" in the training data's style
        normalizers.Replace(Regex(r"(?i)&amp;|&(?!\w+;)"), " and "),
        normalizers.Replace(Regex(r"&#?\w+;"), " "),
        normalizers.Lowercase(),
        # the data writes contractions without the apostrophe: "didnt", "im", "cant"
        normalizers.Replace(Regex(r"[\x{2019}'`\x{00b4}]"), ""),
        # hashtags keep their word; every other non-letter, non-digit (punctuation, emoji) is a space
        normalizers.Replace(Regex(r"[^\p{L}\p{N}\s]"), " "),
        normalizers.Replace(Regex(r"_"), " "),
    ]
    # "sooooo happyyyy" -> "soo happyy": one rule a letter, since `Replace` has no back-references
    rules += [normalizers.Replace(Regex(f"{c}{{3,}}"), c + c) for c in string.ascii_lowercase]
    return normalizers.Sequence(rules)


def train_tokenizer(
    texts: Iterable[str],
    kind: str = "word",
    vocab_size: int = 30000,
    min_frequency: int = 1,
    max_length: int = 128,
) -> Tokenizer:
    """Learn a vocabulary from `texts` (the training split only) behind the shared normaliser.

    `word` keeps whole words (fast, best on this data); `wordpiece` and `unigram` split unseen words
    into known pieces.
    """
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    specials = [PAD_TOKEN, UNK_TOKEN]
    if kind == "word":
        tokenizer = Tokenizer(models.WordLevel(unk_token=UNK_TOKEN))
        trainer = trainers.WordLevelTrainer(vocab_size=vocab_size, min_frequency=min_frequency, special_tokens=specials)
    elif kind == "wordpiece":
        tokenizer = Tokenizer(models.WordPiece(unk_token=UNK_TOKEN))
        trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, min_frequency=min_frequency, special_tokens=specials)
    elif kind == "unigram":
        tokenizer = Tokenizer(models.Unigram())
        trainer = trainers.UnigramTrainer(vocab_size=vocab_size, special_tokens=specials, unk_token=UNK_TOKEN)
    else:
        raise ValueError(f"unknown tokenizer kind {kind!r} (choose from {', '.join(TOKENIZER_KINDS)})")
    tokenizer.normalizer = build_normalizer()
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.train_from_iterator(texts, trainer=trainer)
    if tokenizer.token_to_id(PAD_TOKEN) != PAD_ID or tokenizer.token_to_id(UNK_TOKEN) != UNK_ID:
        raise AssertionError("special tokens must take ids 0 and 1")
    tokenizer.enable_truncation(max_length=max_length)
    return tokenizer


def normalize(tokenizer: Tokenizer, text: str) -> str:
    """The text as the model sees it, before splitting into tokens (for explaining and debugging)."""
    return tokenizer.normalizer.normalize_str(text)


def encode_batch(tokenizer: Tokenizer, texts: list[str]) -> list[list[int]]:
    """Token ids for each text, truncated to the tokenizer's maximum length; never empty.

    An empty or all-punctuation text becomes one [UNK] so that every row has a length of at least
    one, which packed LSTMs require.
    """
    truncation = tokenizer.truncation
    limit = (truncation["max_length"] if truncation else 512) * MAX_CHARS_PER_TOKEN
    clipped = [text[:limit] for text in texts]
    return [encoding.ids or [UNK_ID] for encoding in tokenizer.encode_batch_fast(clipped, add_special_tokens=False)]
