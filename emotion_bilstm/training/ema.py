"""An exponential moving average (EMA) of a model's weights, kept beside the weights being trained.

The averaged weights are smoother than the last step's: they are what gets evaluated and saved
when `TrainConfig.ema_decay` is set.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


class WeightAverage:
    def __init__(self, model: torch.nn.Module, decay: float) -> None:
        self.decay = decay
        self.shadow = {name: p.detach().clone() for name, p in model.state_dict().items() if p.is_floating_point()}
        self.updates = 0

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        # early on, a shorter memory (as in TensorFlow's EMA) so the start-up weights fade quickly
        self.updates += 1
        decay = min(self.decay, (1 + self.updates) / (10 + self.updates))
        for name, value in model.state_dict().items():
            if name in self.shadow:
                self.shadow[name].lerp_(value.detach(), 1 - decay)

    def state_dict(self) -> dict[str, object]:
        """What a checkpoint needs so that a resumed run averages exactly as an uninterrupted one."""
        return {"shadow": self.shadow, "updates": self.updates}

    def load_state_dict(self, state: dict[str, object]) -> None:
        with torch.no_grad():
            for name, value in state["shadow"].items():
                self.shadow[name].copy_(value)
        self.updates = int(state["updates"])

    @contextmanager
    def applied(self, model: torch.nn.Module) -> Iterator[None]:
        """Inside the block `model` holds the averaged weights; the trained ones come back after."""
        state = model.state_dict()
        backup = {name: state[name].detach().clone() for name in self.shadow}
        with torch.no_grad():
            for name, value in self.shadow.items():
                state[name].copy_(value)
        try:
            yield
        finally:
            with torch.no_grad():
                for name, value in backup.items():
                    state[name].copy_(value)
