"""Word-level encoding in plain Python for text the normaliser would leave unchanged.

Most input to this model already looks like the training data: lower-case ASCII words separated by
spaces. For such a text every rule of `tokenizer.build_normalizer` is a no-op (NFKC leaves ASCII
alone; URLs need ':' or '.', mentions '@', entities '&'; nothing is upper-case or punctuation; no
letter repeats three times), so encoding is `text.split()` and a dict lookup. That is several times
faster than the Rust tokenizer, whose 35 normaliser passes each track offsets we never use. Any
other text goes to the Rust tokenizer, so the ids are always exactly those of `encode_batch`.

The shortcut only holds for the normaliser it was checked against: its fingerprint is pinned below,
and a tokenizer with any other normaliser (or model, or pre-tokenizer) never takes the shortcut.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import TYPE_CHECKING

from .tokenizer import MAX_CHARS_PER_TOKEN, UNK_ID

if TYPE_CHECKING:
    from tokenizers import Tokenizer

# sha256 of the sorted-keys JSON of `build_normalizer()`, for which the fixed-point argument above
# was checked, with the pre-tokenizer it ships with. If the rules change, re-check the argument for
# the new rules, then update this pin. The emoji rules (emoji to words, presentation marks dropped,
# other emoji split off as tokens) touch no ASCII character, so clean text passes through unchanged.
NORMALIZER_FINGERPRINT = "2bc69a6d07263616926bbffc326d9eb7f398a389801279983226a7d38dcd224d"
EMOJI_SPLIT = {"type": "Split", "pattern": {"Regex": "\\p{So}"}, "behavior": "Isolated", "invert": False}
# Normalisers checked before: models trained with them keep the shortcut.
ACCEPTED: dict[str, dict] = {
    NORMALIZER_FINGERPRINT: {"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}, EMOJI_SPLIT]},
    # until issue 13: emoji deleted, whitespace split only
    "831e521526743369631c6f28a15991ee0fa99f226334f36f36d794dd2398a561": {"type": "WhitespaceSplit"},
}
CLEAN_TEXT = re.compile(r"[a-z0-9 ]*")
LETTER_RUN = re.compile(r"([a-z])\1\1")


def normalizer_fingerprint(normalizer_json: object) -> str:
    return hashlib.sha256(json.dumps(normalizer_json, sort_keys=True).encode()).hexdigest()


class WordLookup:
    """Encodes like `tokenizer.encode_batch`, taking a dict lookup for already-clean texts."""

    def __init__(self, tokenizer: Tokenizer, vocab: dict[str, int]) -> None:
        self.tokenizer = tokenizer
        self.vocab = vocab

    def encode(self, texts: list[str]) -> list[list[int]]:
        from .tokenizer import encode_batch

        truncation = self.tokenizer.truncation
        max_length = truncation["max_length"] if truncation else 512
        limit = max_length * MAX_CHARS_PER_TOKEN
        lookup = self.vocab.get
        is_clean, has_run = CLEAN_TEXT.fullmatch, LETTER_RUN.search
        encoded: list[list[int] | None] = []
        slow_rows: list[int] = []
        for i, text in enumerate(texts):
            text = text[:limit]
            if is_clean(text) and not has_run(text):
                ids = [lookup(word, UNK_ID) for word in text.split()]
                encoded.append(ids[:max_length] or [UNK_ID])
            else:
                encoded.append(None)
                slow_rows.append(i)
        if slow_rows:
            for i, ids in zip(slow_rows, encode_batch(self.tokenizer, [texts[i] for i in slow_rows]), strict=True):
                encoded[i] = ids
        return encoded  # type: ignore[return-value]


def word_lookup_for(tokenizer: Tokenizer) -> WordLookup | None:
    """A `WordLookup` when `tokenizer` is a word-level one with the pinned normaliser, else None."""
    spec = json.loads(tokenizer.to_str())
    truncation = spec.get("truncation") or {}
    if (
        spec["model"].get("type") != "WordLevel"
        or spec["model"].get("unk_token") is None
        or spec["model"]["vocab"].get(spec["model"]["unk_token"]) != UNK_ID
        or spec.get("normalizer") is None
        or ACCEPTED.get(normalizer_fingerprint(spec["normalizer"])) != spec.get("pre_tokenizer")
        or truncation.get("direction", "Right") != "Right"
    ):
        return None
    return WordLookup(tokenizer, spec["model"]["vocab"])
