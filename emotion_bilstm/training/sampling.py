"""Token id lists to the padded tensors the LSTM reads: shared by training, scoring and explanations."""

from __future__ import annotations

import torch

from ..tokenizer import PAD_ID


def pad_batch(rows: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad token id lists into a (batch, longest) tensor plus their lengths."""
    lengths = torch.tensor([len(r) for r in rows], dtype=torch.long)
    input_ids = torch.full((len(rows), int(lengths.max())), PAD_ID, dtype=torch.long)
    for i, row in enumerate(rows):
        input_ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
    return input_ids, lengths
