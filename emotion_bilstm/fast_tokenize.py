r"""Word-level encoding in plain Python, with exactly the ids of the Rust tokenizer, several times faster.

The Rust tokenizer runs 35 normaliser passes over each text (26 of them one letter each, for letter
runs), each tracking offsets we never use. Two shortcuts skip it:

- **Clean text** (lower-case ASCII words and spaces, as the training data reads): every rule of
  `tokenizer.build_normalizer` is a no-op (NFKC leaves ASCII alone; URLs need ':' or '.', mentions
  '@', entities '&'; nothing is upper-case or punctuation; no letter repeats three times), so
  encoding is `text.split()` and a dict lookup.
- **Raw text** (what people type: capitals, punctuation, @mentions, URLs, hashtags, `&amp;`, emoji)
  whose every character is in `RAW_ALPHABET`: `normalize_raw` applies the same rules in a few
  whole-batch passes of Python's `re` and `str.translate`. The alphabet is printable ASCII plus
  symbols and emoji whose Unicode properties the rules depend on (NFKC form, case, letter/number/
  symbol category, `\w`, `\s`) were checked against the Rust normaliser, one by one and in random
  mixtures (tests/test_fast_inference.py); a text with any other character (accented letters, other
  scripts, controls, combining marks, ...) goes to the Rust tokenizer.

So the ids are always exactly those of `encode_batch`. The shortcuts only hold for the normalisers
they were checked against: fingerprints are pinned below, and a tokenizer with any other normaliser
(or model, or pre-tokenizer) never takes them.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from functools import cache
from typing import TYPE_CHECKING, NamedTuple

from .tokenizer import EMOJI_MODIFIER_CHARS, EMOJI_WORDS, UNK_ID

if TYPE_CHECKING:
    from tokenizers import Tokenizer

# sha256 of the sorted-keys JSON of `build_normalizer()`, for which the fixed-point argument above
# was checked, with the pre-tokenizer it ships with. If the rules change, re-check the argument for
# the new rules, then update this pin. The emoji rules (emoji to words, presentation marks dropped,
# other emoji split off as tokens) touch no ASCII character, so clean text passes through unchanged.
# `normalize_raw` below restates these rules in Python: a new rule must be written there too (the tests
# in tests/test_raw_normalizer.py fail until it is).
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
    """Encodes like `tokenizer.encode_batch`: a dict lookup for clean texts, `normalize_raw` then a dict
    lookup for raw texts in its alphabet (when `raw`), the Rust tokenizer for the rest."""

    def __init__(self, tokenizer: Tokenizer, vocab: dict[str, int], raw: bool = False) -> None:
        self.tokenizer = tokenizer
        self.vocab = vocab
        self.raw = raw

    def encode(self, texts: list[str]) -> list[list[int]]:
        from .tokenizer import encode_batch, truncation_limits

        max_length, limit = truncation_limits(self.tokenizer)
        lookup = self.vocab.get
        is_clean, has_run = CLEAN_TEXT.fullmatch, LETTER_RUN.search
        takes_raw = in_raw_alphabet if self.raw else lambda text: False
        encoded: list[list[int] | None] = []
        raw_rows: list[int] = []
        raw_texts: list[str] = []  # clipped, as the loop saw them
        slow_rows: list[int] = []
        for i, text in enumerate(texts):
            text = text[:limit]
            if is_clean(text) and not has_run(text):
                ids = [lookup(word, UNK_ID) for word in text.split()]
                encoded.append(ids[:max_length] or [UNK_ID])
                continue
            encoded.append(None)
            if takes_raw(text):
                raw_rows.append(i)
                raw_texts.append(text)
            else:
                slow_rows.append(i)
        if raw_rows:
            for i, normalized in zip(raw_rows, normalize_raw(raw_texts), strict=True):
                if not normalized.isascii():  # what is left beyond ASCII is symbols: each a token of its own
                    normalized = NON_ASCII.sub(r" \g<0> ", normalized)
                words = normalized.split()
                encoded[i] = [lookup(word, UNK_ID) for word in words[:max_length]] or [UNK_ID]
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
        or ACCEPTED.get(fingerprint := normalizer_fingerprint(spec["normalizer"])) != spec.get("pre_tokenizer")
        or truncation.get("direction", "Right") != "Right"
    ):
        return None
    return WordLookup(tokenizer, spec["model"]["vocab"], raw=fingerprint in RAW_FINGERPRINTS)


# ----- raw text ------------------------------------------------------------------------------------

RAW_FINGERPRINTS = {NORMALIZER_FINGERPRINT}  # `normalize_raw` mirrors these rules only
# The Rust side's `\w` is Unicode's word class, which holds the variation selectors of emoji (U+FE0E,
# U+FE0F: combining marks) where Python's does not: "@bob\ufe0f" is one mention there.
WORD = r"[\w\ufe0e\ufe0f]"
URL = re.compile(r"(?i)(?:https?://|www\.)\S+")
MENTION = re.compile(f"@{WORD}+")
AMPERSAND = re.compile(f"(?i)&amp;|&(?!{WORD}+;)")
ENTITY = re.compile(f"&#?{WORD}+;")
LETTER_RUNS = re.compile(r"([a-z])\1\1+")  # one pass with a back-reference for the Rust side's 26
ASCII_APOSTROPHES = re.compile(r"['`]")  # and U+2019 (see `RawTables`); U+00B4 is NFKC's to a space and a mark
ASCII_PUNCTUATION = re.compile(r"[!-/:-@\[-`{-~]")  # every printable ASCII character but letters and digits
NON_ASCII = re.compile(r"[^\x00-\x7f]")
ASCII_CONTROLS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # all but the tab
# Unicode categories whose non-ASCII members the one-pass normaliser takes when NFKC leaves them alone:
# symbols (emoji among them: kept, or mapped to words) and punctuation (a space). Not connector
# punctuation: the Rust side's `\w` counts it as part of a word (in "@name\u203fx"), Python's does not.
SYMBOL = "So"
PUNCTUATION = {"Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk"}
# Symbols that Unicode also counts as letters (Other_Alphabetic: the negative circled and squared
# letters, such as U+1F170), so the Rust side's `\w` matches them; Python cannot tell, so they go there.
ALPHABETIC_SYMBOLS = (range(0x1F150, 0x1F16A), range(0x1F170, 0x1F18A))


class RawTables(NamedTuple):
    """What `normalize_raw` needs to know of the characters beyond ASCII."""

    alphabet: frozenset[str]  # the non-ASCII characters it takes
    to_ascii: dict[str, str]  # NFKC, for the characters it changes (to printable ASCII)
    rules: dict[str, str]  # the one-character rules after lower-casing; a symbol stays itself


@cache
def raw_tables() -> RawTables:
    """Built on first use from Python's Unicode database (a scan of about 0.1 s), never at import."""
    to_ascii: dict[str, str] = {}
    rules: dict[str, str] = {}
    symbols: list[str] = []
    for code in range(0xA0, 0x20000):
        char = chr(code)
        nfkc = unicodedata.normalize("NFKC", char)
        if nfkc != char:
            # Only mappings as old as Unicode 3.2: the Rust side's NFKC tables predate Python's (it
            # leaves U+1FBF0, a digit since Unicode 13, alone).
            if nfkc.isascii() and nfkc.isprintable() and nfkc and unicodedata.ucd_3_2_0.normalize("NFKC", char) == nfkc:
                to_ascii[char] = nfkc
            continue
        if char.lower() != char or any(code in letters for letters in ALPHABETIC_SYMBOLS):
            continue
        category = unicodedata.category(char)
        if category == SYMBOL:
            symbols.append(char)
        elif category in PUNCTUATION:
            rules[char] = " "
    for word, chars in EMOJI_WORDS.items():
        rules.update(dict.fromkeys(chars, f" {word} "))
    rules.update(dict.fromkeys("\u2019" + EMOJI_MODIFIER_CHARS, ""))  # these rules run before punctuation's
    return RawTables(frozenset([*to_ascii, *rules, *symbols]), to_ascii, rules)


def in_raw_alphabet(text: str) -> bool:
    """Whether `normalize_raw` can take `text`: printable ASCII, tabs and `RawTables.alphabet` only."""
    if ASCII_CONTROLS.search(text):
        return False
    if text.isascii():
        return True
    alphabet = raw_tables().alphabet
    return all(char in alphabet for char in NON_ASCII.findall(text))


def normalize_raw(texts: list[str]) -> list[str]:
    """`tokenizer.build_normalizer()`'s output for texts that pass `in_raw_alphabet`.

    The texts are joined with newlines and each rule runs once over the whole batch: no rule can
    match across a newline (URLs end at white space, `\\w` and letters stop at it). Characters beyond
    ASCII are rare in such text, so they are looked up one match at a time.
    """
    if not texts:
        return []
    tables = raw_tables()
    joined = "\n".join(texts)
    if not joined.isascii():  # NFKC, one character at a time: no character of the alphabet composes
        joined = NON_ASCII.sub(lambda match: tables.to_ascii.get(match[0], match[0]), joined)
    joined = URL.sub(" ", joined)
    joined = MENTION.sub(" ", joined)
    joined = AMPERSAND.sub(" and ", joined)
    joined = ENTITY.sub(" ", joined)
    joined = ASCII_APOSTROPHES.sub("", joined.lower())
    if not joined.isascii():
        joined = NON_ASCII.sub(lambda match: tables.rules.get(match[0], match[0]), joined)
    joined = ASCII_PUNCTUATION.sub(" ", joined)
    return LETTER_RUNS.sub(r"\1\1", joined).split("\n")
