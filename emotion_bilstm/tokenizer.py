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

from .enums import TokenizerKind, values

if TYPE_CHECKING:
    from tokenizers import Tokenizer

PAD_TOKEN, UNK_TOKEN = "[PAD]", "[UNK]"
PAD_ID, UNK_ID = 0, 1
TOKENIZER_KINDS = values(TokenizerKind)
# Raw lines are cut to this many characters before normalisation: a 50 MB "line" must not cost
# 50 MB of normaliser work when only the first `max_length` tokens are kept anyway.
MAX_CHARS_PER_TOKEN = 24


# Emoji that say one emotion, as the words the training data says it with. The emoji names (Unicode /
# CLDR) decide each row, not any test set: 😭 is "loudly crying face", 😡 "pouting face" (anger),
# 😱 "face screaming in fear". Words rather than emoji tokens because the training data holds
# almost no emoji (about 2% of GoEmotions comments, none of dair-ai's), so an emoji token would be
# rare or unseen, while "crying" or "furious" has thousands of labelled examples. One rule per
# word, not per emoji: each rule is a normaliser pass. Measured against emoji tokens alone in
# experiments/EVERYDAY.md (issue 13).
EMOJI_WORDS: dict[str, str] = {
    "crying": "\U0001f62d\U0001f622\U0001f63f",  # 😭 😢 😿
    "heartbroken": "\U0001f494",  # 💔
    "sad": "\U0001f61e\U0001f614\u2639\U0001f641\U0001f625\U0001f613",  # 😞 😔 ☹ 🙁 😥 😓
    "furious": "\U0001f621\U0001f620\U0001f92c\U0001f47f\U0001f4a2",  # 😡 😠 🤬 👿 💢
    "annoyed": "\U0001f644\U0001f624\U0001f612",  # 🙄 😤 😒
    "love": (
        "\u2764\u2665\U0001f495\U0001f496\U0001f497\U0001f493\U0001f49e\U0001f498\U0001f49d\U0001f60d"
        "\U0001f970\U0001f618\U0001f63b\U0001f49c\U0001f499\U0001f49a\U0001f49b\U0001f9e1\U0001f90d"
    ),  # ❤ ♥ 💕 💖 💗 💓 💞 💘 💝 😍 🥰 😘 😻 and the coloured hearts
    "laughing": "\U0001f602\U0001f923\U0001f606\U0001f639",  # 😂 🤣 😆 😹
    "happy": "\U0001f600\U0001f603\U0001f604\U0001f601\U0001f60a\u263a\U0001f973\U0001f389",  # 😀😃😄😁😊☺🥳🎉
    "scared": "\U0001f631\U0001f628\U0001f630\U0001f627",  # 😱 😨 😰 😧
    "nervous": "\U0001f62c\U0001f61f",  # 😬 😟
    "shocked": "\U0001f62e\U0001f632\U0001f92f\U0001f62f",  # 😮 😲 🤯 😯
}
# Presentation marks that only change how an emoji is drawn: ❤️ is ❤ plus U+FE0F, 👍🏽 is 👍 plus a
# skin tone, and ZWJ glues emoji into one picture.
EMOJI_MODIFIERS = r"[\x{fe0e}\x{fe0f}\x{200d}\x{1f3fb}-\x{1f3ff}]"
EMOJI_MODIFIER_CHARS = "\ufe0e\ufe0f\u200d" + "".join(map(chr, range(0x1F3FB, 0x1F400)))  # the same, for Python


def build_normalizer():
    """The raw-text -> training-data-form rules, in the order they must run.

    `fast_tokenize.normalize_raw` restates them in Python for speed: change both, then its pin.
    """
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
        normalizers.Replace(Regex(EMOJI_MODIFIERS), ""),
    ]
    rules += [normalizers.Replace(Regex(f"[{chars}]"), f" {word} ") for word, chars in EMOJI_WORDS.items()]
    rules += [
        # hashtags keep their word; other symbols (\p{So}: emoji) stay, to become tokens of their own
        # (see `pre_tokenizer`); every other non-letter, non-digit (punctuation) is a space
        normalizers.Replace(Regex(r"[^\p{L}\p{N}\p{So}\s]"), " "),
        normalizers.Replace(Regex(r"_"), " "),
    ]
    # "sooooo happyyyy" -> "soo happyy": one rule a letter, since `Replace` has no back-references
    rules += [normalizers.Replace(Regex(f"{c}{{3,}}"), c + c) for c in string.ascii_lowercase]
    return normalizers.Sequence(rules)


def build_pre_tokenizer():
    """Words split at whitespace, and each remaining emoji a token of its own ("ok👍" -> "ok", "👍")."""
    from tokenizers import Regex, pre_tokenizers

    return pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Split(Regex(r"\p{So}"), behavior="isolated")]
    )


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
    from tokenizers import Tokenizer, models, trainers

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
    tokenizer.pre_tokenizer = build_pre_tokenizer()
    tokenizer.train_from_iterator(texts, trainer=trainer)
    if tokenizer.token_to_id(PAD_TOKEN) != PAD_ID or tokenizer.token_to_id(UNK_TOKEN) != UNK_ID:
        raise AssertionError("special tokens must take ids 0 and 1")
    tokenizer.enable_truncation(max_length=max_length)
    return tokenizer


def normalize(tokenizer: Tokenizer, text: str) -> str:
    """The text as the model sees it, before splitting into tokens (for explaining and debugging)."""
    return tokenizer.normalizer.normalize_str(text)


def reads_a_word(ids: list[int]) -> bool:
    """Whether encoded text holds a word the model knows: one that is all [UNK] (as an empty text,
    punctuation, URLs or unknown words encode) gets no label from `predict` or `explain`."""
    return any(token != UNK_ID for token in ids)


def truncation_limits(tokenizer: Tokenizer) -> tuple[int, int]:
    """(the most tokens kept, the most characters of a raw text read) for `tokenizer`."""
    truncation = tokenizer.truncation
    max_length = truncation["max_length"] if truncation else 512
    return max_length, max_length * MAX_CHARS_PER_TOKEN


def encode_batch(tokenizer: Tokenizer, texts: list[str]) -> list[list[int]]:
    """Token ids for each text, truncated to the tokenizer's maximum length; never empty.

    An empty or all-punctuation text becomes one [UNK] so that every row has a length of at least
    one, which packed LSTMs require.
    """
    limit = truncation_limits(tokenizer)[1]
    clipped = [text[:limit] for text in texts]
    return [encoding.ids or [UNK_ID] for encoding in tokenizer.encode_batch_fast(clipped, add_special_tokens=False)]
