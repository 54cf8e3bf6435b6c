"""emotion-bilstm: a small, fast emotion classifier for English short texts.

    from emotion_bilstm import EmotionBiLSTM, load_default
    model = load_default()                      # or EmotionBiLSTM.from_pretrained("dir-or-hub-id")
    model.predict(["I can't believe they cancelled the show, so angry!!"])

    import emotion_bilstm                       # inference only, no torch: NumPy, the same answers
    emotion_bilstm.pipeline().predict(["best day of my life!!"])   # or pipeline("dir-or-hub-id")

Names are imported lazily so that `emo-cli --help` does not pay for importing torch, and `pipeline`
never imports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import _moved
from .labels import LABELS

_moved.install()  # old module paths (emotion_bilstm.scoring, ...) still import: see _moved.py

__version__ = "0.1.0"
__all__ = ["LABELS", "EmotionBiLSTM", "Pipeline", "__version__", "load_default", "pipeline"]

if TYPE_CHECKING:
    from .light import Pipeline, pipeline
    from .model import EmotionBiLSTM, load_default


def __getattr__(name: str) -> Any:
    if name in ("EmotionBiLSTM", "load_default"):
        from . import model

        return getattr(model, name)
    if name in ("pipeline", "Pipeline"):
        from . import light

        return getattr(light, name)
    raise AttributeError(f"module 'emotion_bilstm' has no attribute {name!r}")
