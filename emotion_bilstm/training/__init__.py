"""Training a model: `train(TrainConfig(...))`, one `accelerate` loop for one CPU, one GPU or many processes.

The modules, each named by its job:
    settings        TrainConfig, every setting of a run (torch-free: the CLI reads it at start-up)
    loop            train(): set up, then the epochs, then the kept model finished and saved
    setup           the data, tokenizer, loaders, model, optimizer and loss a run is built from
    sampling        padded batches of similar lengths in a seeded order
    checkpoint      the state saved after every epoch, and --resume
    evaluation      validation and test figures, and the summary written to metrics.json
    ema             --ema-decay's average of the weights
    goemotions_head --goemotions-auxiliary-weight's second, training-only objective
    vectors         --pretrained-vectors (GloVe) for the embedding
    distill         --teacher: the set-up of distillation and its loss
    teacher         the teacher itself: found (folder or Hub id), fingerprinted, run (needs transformers)
    teacher_labels  the teacher's labels folded onto the student's (by name, GoEmotions, --teacher-label-map)
    teacher_cache   the teacher's outputs, computed once and cached in the checkpoint folder
    transfer        --transfer's unlabelled texts, read and deduplicated

Names are imported lazily: `TrainConfig` must not pull in torch (`emo-cli --help`), and model.py
imports it while this package's loop imports model.py, so an eager import here would be a cycle.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .loop import train
    from .settings import TrainConfig

# name -> the module below this package that defines it
_LAZY = {
    "train": "loop",
    "TrainConfig": "settings",
    "STATE_NAME": "checkpoint",
    "LengthBucketSampler": "sampling",
    "_mixed_precision": "setup",  # experiments/gpu_check.py reports the precision a run would get
}

__all__ = ["TrainConfig", "train"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
