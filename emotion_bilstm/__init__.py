"""emotion-bilstm: a small, fast emotion classifier for English short texts.

    from emotion_bilstm import EmotionBiLSTM, load_default
    model = load_default()                      # or EmotionBiLSTM.from_pretrained("dir-or-hub-id")
    model.predict(["I can't believe they cancelled the show, so angry!!"])

Names are imported lazily so that `emo-cli --help` does not pay for importing torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import _moved
from .labels import LABELS

_moved.install()  # old module paths (emotion_bilstm.scoring, ...) still import: see _moved.py

__version__ = "0.1.0"
__all__ = ["LABELS", "EmotionBiLSTM", "__version__", "load_default"]

if TYPE_CHECKING:
    from .model import EmotionBiLSTM, load_default


def __getattr__(name: str) -> Any:
    if name in ("EmotionBiLSTM", "load_default"):
        from . import model

        return getattr(model, name)
    raise AttributeError(f"module 'emotion_bilstm' has no attribute {name!r}")
