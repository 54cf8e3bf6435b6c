"""Raw logits for already-encoded texts, batched by length: what explanations and calibration build on.

`EmotionBiLSTM.predict_proba` starts from strings; explaining a prediction needs the model's output
for edited token sequences (a word left out), and fitting a temperature needs the logits before any
temperature is applied, so both go through here.
"""

from __future__ import annotations

from typing import Any

import torch

from .batching import pad_batch


def logits_for_ids(model: Any, ids: list[list[int]], batch_size: int = 512) -> torch.Tensor:
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
