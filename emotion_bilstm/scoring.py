"""The reference engine (nn.LSTM, batched by length) and logits -> probabilities.

`EmotionBiLSTM.logits` chooses the engine; this one runs on any device and is what the fast engine
is checked against.
"""

from __future__ import annotations

from typing import Any

import torch

from .batching import pad_batch


def reference_logits(model: Any, ids: list[list[int]], batch_size: int = 512) -> torch.Tensor:
    """Logits (len(ids), num_labels) in input order, in eval mode, with no temperature applied.

    Every row must hold at least one id (packed LSTMs refuse empty sequences).
    """
    logits = torch.empty(len(ids), model.config["num_labels"])
    if not ids:
        return logits
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                rows = order[start : start + batch_size]
                input_ids, lengths = pad_batch([ids[i] for i in rows])
                logits[rows] = model(input_ids.to(device), lengths).float().cpu()
    finally:
        model.train(was_training)
    return logits


def probabilities(logits: torch.Tensor, temperature: float = 1.0, multi_label: bool = False) -> torch.Tensor:
    """Softmax of `logits / temperature`, as `predict_proba` computes it; a sigmoid per label for multi-label."""
    if multi_label:
        return torch.sigmoid(logits.float() / temperature)
    return torch.softmax(logits.float() / temperature, dim=-1)
