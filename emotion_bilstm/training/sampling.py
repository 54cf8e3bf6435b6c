"""Batches: token id lists padded into the tensors the LSTM reads, and the order training draws them in.

`pad_batch` is shared by training, scoring and explanations; the rest is training's: the encoded rows
(`EncodedTexts`), how a batch of them becomes tensors (`collate`), and which rows go together in a
batch, in which order (`LengthBucketSampler`).
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterator

import torch
from torch.utils.data import Dataset

from ..tokenizer import PAD_ID
from . import goemotions_head


def pad_batch(rows: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad token id lists into a (batch, longest) tensor plus their lengths."""
    lengths = torch.tensor([len(r) for r in rows], dtype=torch.long)
    input_ids = torch.full((len(rows), int(lengths.max())), PAD_ID, dtype=torch.long)
    for i, row in enumerate(rows):
        input_ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
    return input_ids, lengths


class EncodedTexts(Dataset):
    """Token ids with their targets: a class id, or (multi-label) a 0/1 float per label.

    With `auxiliary` (--goemotions-auxiliary-weight) each row also carries its 28 GoEmotions targets, or
    None; with `teacher` (--teacher) its teacher's log-probabilities, a row of a (rows, labels) tensor.
    Such rows are (ids, label, extras), extras a dict holding what the row carries.
    """

    def __init__(
        self,
        ids: list[list[int]],
        labels: list[int] | list[list[float]],
        auxiliary: list[list[float] | None] | None = None,
        teacher: torch.Tensor | None = None,
    ) -> None:
        self.ids, self.labels, self.auxiliary, self.teacher = ids, labels, auxiliary, teacher

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index: int) -> tuple:
        if self.auxiliary is None and self.teacher is None:
            return self.ids[index], self.labels[index]
        extras: dict[str, object] = {}
        if self.auxiliary is not None:
            extras["auxiliary"] = self.auxiliary[index]
        if self.teacher is not None:
            extras["teacher"] = self.teacher[index]
        return self.ids[index], self.labels[index], extras


def collate(batch: list[tuple]) -> dict[str, torch.Tensor]:
    input_ids, lengths = pad_batch([row[0] for row in batch])
    tensors = {"input_ids": input_ids, "lengths": lengths, "labels": torch.tensor([row[1] for row in batch])}
    extras = [row[2] for row in batch] if len(batch[0]) == 3 else []
    if extras and "auxiliary" in extras[0]:  # rows off GoEmotions have no 28-label targets: zeros, masked out
        targets = [extra["auxiliary"] for extra in extras]
        tensors["auxiliary_labels"] = torch.tensor([t or [0.0] * goemotions_head.NUM_LABELS for t in targets])
        tensors["auxiliary_mask"] = torch.tensor([t is not None for t in targets])
    if extras and "teacher" in extras[0]:
        tensors["teacher_log_probs"] = torch.stack([extra["teacher"] for extra in extras])
    return tensors


class LengthBucketSampler:
    """Batches of similar lengths in a shuffled order: little padding, so short LSTM runs.

    Shuffles within buckets of 50 batches, then shuffles the batches; the order depends only on
    `seed` and the epoch (set with `set_epoch`), so a resumed run sees the same batches.
    `weights` (one a row) says how often each row is drawn an epoch: 2 twice, 0.5 for a seeded half
    of the rows of that weight (drawn anew each epoch), so an epoch always has the same length.
    """

    def __init__(
        self,
        lengths: list[int],
        batch_size: int,
        seed: int,
        bucket_batches: int = 50,
        weights: list[float] | None = None,
    ) -> None:
        self.lengths, self.batch_size, self.seed, self.bucket_batches = lengths, batch_size, seed, bucket_batches
        self.weights = weights
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return math.ceil(self._epoch_rows() / self.batch_size)

    def _epoch_rows(self) -> int:
        if self.weights is None:
            return len(self.lengths)
        return sum(int(w) * n + round((w % 1) * n) for w, n in Counter(self.weights).items())

    def _drawn(self, rng: random.Random) -> list[int]:
        """Each row index as often as its weight says (a seeded share of the rows for a fraction)."""
        if self.weights is None:
            return list(range(len(self.lengths)))
        rows_of: dict[float, list[int]] = defaultdict(list)
        for index, weight in enumerate(self.weights):
            rows_of[weight].append(index)
        drawn: list[int] = []
        for weight, rows in sorted(rows_of.items()):
            drawn += rows * int(weight) + rng.sample(rows, round((weight % 1) * len(rows)))
        return drawn

    def __iter__(self) -> Iterator[list[int]]:
        rng = random.Random(self.seed * 1000 + self.epoch)
        indices = self._drawn(rng)
        rng.shuffle(indices)
        bucket = self.batch_size * self.bucket_batches
        batches: list[list[int]] = []
        for start in range(0, len(indices), bucket):
            chunk = sorted(indices[start : start + bucket], key=self.lengths.__getitem__)
            batches += [chunk[i : i + self.batch_size] for i in range(0, len(chunk), self.batch_size)]
        rng.shuffle(batches)
        return iter(batches)
