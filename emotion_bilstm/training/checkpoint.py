"""Checkpoints: the state saved after every epoch, so that --resume continues a killed run exactly.

A checkpoint folder holds accelerate's `state/` (model, optimizer, scheduler, RNGs, weight average)
and `train_state.json` (epochs, early stopping, history, and the settings it was trained with); with
--teacher also `teacher/`, the teacher's cached outputs (teacher_cache.py).
Resuming refuses other settings, and a folder holding anything training did not write.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..atomic import clean_stale_temporaries, refuse_special_folder, replace_folder, temporary_name, write_text_atomic
from ..errors import EmotionBiLSTMError, OutputError, writing
from ..folder_reads import WEIGHTS_NAME
from .ema import WeightAverage
from .settings import TrainConfig

if TYPE_CHECKING:
    import torch

    from .setup import Run


STATE_NAME = "train_state.json"  # in the checkpoint folder, beside accelerate's `state/`
TEACHER_FOLDER = "teacher"  # --teacher's cached outputs (teacher_cache.py), beside them


@dataclass
class TrainState:
    """What early stopping and the history need to survive a restart (saved as JSON, never pickled)."""

    epoch: int = 0  # epochs completed
    best_macro_f1: float = -1.0
    best_epoch: int = 0
    epochs_without_improvement: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)  # the run's TrainConfig: --resume must match it

    @classmethod
    def read(cls, path: Path) -> TrainState:
        raw = json.loads(path.read_text())
        return cls(**{f.name: raw[f.name] for f in fields(cls) if f.name in raw})

    def write(self, path: Path) -> None:
        write_text_atomic(path, json.dumps(asdict(self), indent=2))


def state_to_resume(config: TrainConfig) -> TrainState | None:
    """With --resume, the checkpoint's state, refused unless it was trained with these settings."""
    if not config.resume:
        return None
    checkpoint_dir = config.checkpoint_path()
    state_file = checkpoint_dir / STATE_NAME
    if not state_file.exists():
        raise EmotionBiLSTMError(f"{checkpoint_dir}: no checkpoint to resume from (run without --resume)")
    resumed = TrainState.read(state_file)
    _check_same_settings(config, resumed.settings)
    return resumed


def start_or_resume(run: Run, resumed: TrainState | None) -> None:
    """A fresh state, or the checkpoint's: weights, optimizer, scheduler, RNGs, weight average, history."""
    config, accelerator = run.config, run.accelerator
    if config.ema_decay:
        run.averager = WeightAverage(run.unwrapped, config.ema_decay)
        accelerator.register_for_checkpointing(run.averager)  # saved and restored with the rest of the state
    if resumed is not None:
        checkpoint_dir = config.checkpoint_path()
        accelerator.load_state(str(checkpoint_dir / "state"))
        run.state = resumed
        run.say(
            f"resumed from {checkpoint_dir} after epoch {resumed.epoch} (best macro-F1 {resumed.best_macro_f1:.4f})"
        )
    run.state.settings = asdict(config)
    run.best_weights = _load_best_weights(config.output_dir) if run.state.best_epoch else None
    run.started = time.perf_counter()


def save_checkpoint(accelerator: Any, checkpoint_dir: Path, state: TrainState) -> None:
    """accelerate state (model, optimizer, scheduler, RNG) first, then the JSON that points at it.

    The state folder is written to a temporary name and renamed, so a kill mid-save leaves the
    previous checkpoint whole.
    """
    # One name for every process: each writes its own random_states_<rank>.pkl into the same folder.
    staging = temporary_name(checkpoint_dir / "state", shared=True)
    if accelerator.is_main_process:
        shutil.rmtree(staging, ignore_errors=True)  # left by a run killed mid-save
    accelerator.wait_for_everyone()
    with writing(checkpoint_dir):
        try:
            accelerator.save_state(str(staging))  # each process writes its own RNG file; the main one the rest
        except BaseException:
            if accelerator.is_main_process:
                shutil.rmtree(staging, ignore_errors=True)  # the previous checkpoint stays whole
            raise
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        with writing(checkpoint_dir):
            replace_folder(staging, checkpoint_dir / "state")
        state.write(checkpoint_dir / STATE_NAME)
    accelerator.wait_for_everyone()


def check_checkpoint_dir(checkpoint_dir: Path) -> None:
    """The checkpoint folder holds only what training writes there (accelerate's `state/`, STATE_NAME
    and TEACHER_FOLDER): refuse one that holds anything else, which a checkpoint would replace."""
    refuse_special_folder(checkpoint_dir)
    if checkpoint_dir.is_symlink() or (checkpoint_dir.exists() and not checkpoint_dir.is_dir()):
        raise OutputError(f"{checkpoint_dir}: is a link or not a folder; give --checkpoint-dir a new folder")
    if not checkpoint_dir.is_dir():
        return
    clean_stale_temporaries(checkpoint_dir)
    own = {"state", STATE_NAME, TEACHER_FOLDER, temporary_name(checkpoint_dir / "state", shared=True).name}
    foreign = sorted(entry.name for entry in checkpoint_dir.iterdir() if entry.name not in own)
    if foreign:
        raise OutputError(
            f"{checkpoint_dir}: holds files training did not write ({', '.join(foreign[:3])}); "
            "give --checkpoint-dir a new folder"
        )


# Settings a resumed run may change: where things are, not what is computed.
RESUMABLE_CHANGES = {"resume", "overwrite", "data", "output_dir", "checkpoint_dir"}


def _check_same_settings(config: TrainConfig, saved: dict[str, Any]) -> None:
    """Refuse to resume with other settings: the run would silently be neither the old nor the new one.

    Checkpoints written before settings were recorded (or before a setting existed) are not checked
    for what they lack.
    """
    current = asdict(config)
    changed = [
        f"{name} {saved[name]!r} -> {value!r}"
        for name, value in current.items()
        if name not in RESUMABLE_CHANGES and name in saved and saved[name] != value
    ]
    if changed:
        raise EmotionBiLSTMError(
            f"--resume needs the settings the checkpoint was trained with; changed: {', '.join(changed)} "
            "(rerun with those, or start afresh without --resume)"
        )


def _load_best_weights(output_dir: str) -> dict[str, torch.Tensor] | None:
    from safetensors.torch import load_file

    weights = Path(output_dir) / WEIGHTS_NAME
    return load_file(str(weights)) if weights.exists() else None
