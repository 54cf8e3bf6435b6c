"""Augmented copies of the training texts for the transfer set (`--transfer-augment K`; Tang et al. 2019).

The teacher labels any text, so a copy of a training text with a few words changed is a new transfer
row whose answer the student has not yet seen: Tang et al. grow their transfer set this way. Per copy,
per word (split on whitespace):
- with probability DROP the word is dropped: our stand-in for their [MASK], which the BiLSTM's
  tokenizer would read as a word;
- else with probability SWAP it is swapped for one of its NEIGHBOURS nearest words by cosine in the
  run's --pretrained-vectors, among the words of the training texts (their part-of-speech swap needs
  a tagger; nearest vectors keep the word's sense as often). Without vectors there are no swaps;
then with probability NGRAM only a random n-gram of 1 to LONGEST_NGRAM words of the result is kept.

The copies are drawn from the run's seed, so a rerun or --resume makes the same ones and the teacher's
cache reuses their rows. A copy equal to its text, empty, or a repeat is dropped with the rest of the
transfer set's deduplication (transfer.py): its text is in the data.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import vectors
from .settings import TrainConfig

if TYPE_CHECKING:
    import numpy as np

DROP, SWAP, NGRAM = 0.1, 0.1, 0.25  # Tang et al.'s p_mask, p_pos and p_ng
NEIGHBOURS = 5  # a swap draws among a word's this many nearest
LONGEST_NGRAM = 5
CHUNK = 1024  # rows of the cosine matrix held at once


@dataclass
class Copies:
    """The copies, before deduplication, and the vectors their swaps came from (None: no swaps)."""

    texts: list[str]
    per_text: int
    of_texts: int
    swaps_from: str | None

    def line(self, kept: int) -> str:
        """The log line: how many were made and kept, and where swaps came from."""
        swaps = f"swaps from {self.swaps_from}" if self.swaps_from else "no swaps (no --pretrained-vectors)"
        return (
            f"--transfer-augment {self.per_text}: {len(self.texts)} copies of {self.of_texts} training texts, "
            f"kept {kept} (the others equal to their text, empty or repeated); {swaps}"
        )

    def describe(self, kept: int) -> dict[str, Any]:
        """What metrics.json records under distillation.transfer_augment."""
        return {"per_text": self.per_text, "made": len(self.texts), "kept": kept, "swaps_from": self.swaps_from}


def training_copies(config: TrainConfig, texts: Sequence[str]) -> Copies:
    """--transfer-augment copies of each of `texts`, drawn from the run's seed, with swaps where the run
    has pretrained vectors."""
    neighbours: dict[str, list[str]] = {}
    if config.pretrained_vectors:
        vector_words, word_vectors = vectors.load_vectors(config.pretrained_vectors)
        neighbours = nearest_words(vocabulary(texts), vector_words, word_vectors)
    copies = augmented_copies(texts, config.transfer_augment, config.seed, neighbours)
    return Copies(copies, config.transfer_augment, len(texts), config.pretrained_vectors)


def augmented_copies(texts: Sequence[str], per_text: int, seed: int, neighbours: dict[str, list[str]]) -> list[str]:
    """`per_text` copies of each text, in order; one generator seeded once, so the same call makes the same
    copies (and another seed others)."""
    rng = random.Random(seed)
    return [augmented_copy(text, rng, neighbours) for text in texts for _ in range(per_text)]


def augmented_copy(text: str, rng: random.Random, neighbours: dict[str, list[str]]) -> str:
    """One copy: each word dropped or swapped for a neighbour (looked up lower-cased), then maybe an n-gram."""
    words = []
    for word in text.split():
        draw = rng.random()
        if draw < DROP:
            continue
        if draw < DROP + SWAP and word.lower() in neighbours:
            word = rng.choice(neighbours[word.lower()])
        words.append(word)
    if rng.random() < NGRAM:
        words = ngram(words, rng)
    return " ".join(words)


def ngram(words: list[str], rng: random.Random) -> list[str]:
    """A random run of 1 to LONGEST_NGRAM of the words: a short phrase the teacher still has an answer for."""
    n = rng.randint(1, LONGEST_NGRAM)
    if len(words) <= n:
        return words
    start = rng.randrange(len(words) - n + 1)
    return words[start : start + n]


def vocabulary(texts: Sequence[str]) -> list[str]:
    """The texts' words, lower-cased (as GloVe's are), sorted: a fixed order, so ties fall the same way."""
    return sorted({word.lower() for text in texts for word in text.split()})


def nearest_words(
    words: Sequence[str], vector_words: Sequence[str], word_vectors: np.ndarray, count: int = NEIGHBOURS
) -> dict[str, list[str]]:
    """Each of `words` the vectors know, with its `count` nearest other such words by cosine, nearest first.

    Only the training texts' words are candidates, so a swap never brings in a word the data lacks. Cost:
    for V known words, V^2 * 50 multiply-adds (dair-ai/emotion's ~15k words: about 11 GFLOP, seconds on a
    CPU), computed CHUNK rows at a time, so CHUNK x V floats are held (60 MB at 15k) and never V x V (0.9 GB).
    """
    import torch

    wanted = set(words)
    row_of = {word: i for i, word in enumerate(vector_words) if word in wanted}
    known = [word for word in words if word in row_of]
    count = min(count, len(known) - 1)
    if count < 1:
        return {}
    rows = torch.from_numpy(word_vectors[[row_of[word] for word in known]]).float()
    unit = torch.nn.functional.normalize(rows, dim=1)
    nearest: dict[str, list[str]] = {}
    for start in range(0, len(known), CHUNK):
        cosine = unit[start : start + CHUNK] @ unit.T
        itself = torch.arange(len(cosine))
        cosine[itself, itself + start] = -torch.inf  # a word is not its own neighbour
        for offset, top in enumerate(cosine.topk(count, dim=1).indices.tolist()):
            nearest[known[start + offset]] = [known[j] for j in top]
    return nearest
