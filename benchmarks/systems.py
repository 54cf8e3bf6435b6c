"""The three systems the bench measures, ready to call: the peers trained, ours loaded.

Trains TF-IDF + LinearSVC and fastText (benchmarks/peers.py) on the run's training rows and saves
them for the command-line timings, loads our model, and, when that model trained on validation,
trains its train-only twin (same recipe and seed) for the accuracy columns. `Systems` holds how each
is called: for labels, for the in-process timings, and (the peers) for a score of every label.
"""

from __future__ import annotations

import json
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peers import fasttext_scores, train_fasttext, train_svm
from prepare import Run
from render import OURS
from timing import log


@dataclass
class Systems:
    """The three systems, trained or loaded, and how each is called."""

    ours: Any  # the model whose speed is measured (the shipped one)
    predictors: dict[str, Callable[[list[str]], list[str]]]  # labels, for the accuracy columns
    in_process_work: dict[str, Callable[[list[str]], Any]]  # what the in-process timings run
    peer_scores: dict[str, Callable[[list[str]], tuple[list[str], Any]]]  # the peers' scores per label
    train_seconds: dict[str, float | None]


def prepare_systems(run: Run, results: dict[str, Any]) -> Systems:
    """Train the peers, load ours (and train its train-only twin when it saw validation)."""
    from emotion_bilstm.engines import bfloat16_is_native, choose_engine
    from emotion_bilstm.model import EmotionBiLSTM

    workdir = run.workdir
    log(f"[bench] peers: training on {len(run.train_texts):,} texts (the rows our recipe trains on)")
    svm, svm_seconds = train_svm(run.train_texts, run.train_labels)
    ft, ft_seconds = train_fasttext(run.train_texts, run.train_labels, workdir)
    with (workdir / "svm.pkl").open("wb") as handle:
        pickle.dump(svm, handle)
    ft.save_model(str(workdir / "fasttext.bin"))
    ours = EmotionBiLSTM.from_pretrained(run.model_dir)
    results["engine"] = {"auto": choose_engine(ours), "bfloat16_native": bfloat16_is_native()}
    # A model that trained on validation cannot be scored on it: its train-only twin (same recipe
    # and seed, trained here like the peers) gives the accuracy columns; speed stays the shipped model's.
    scored, ours_train_seconds, results["accuracy_model"] = train_only_twin(
        run.model_dir, run.data, run.goemotions, workdir, log
    )
    scored = scored or ours
    return Systems(
        ours=ours,
        predictors={
            OURS: lambda texts: [r["label"] or "" for r in scored.predict(texts)],
            "TF-IDF + LinearSVC": lambda texts: list(svm.predict(texts)),
            "fastText": lambda texts: [labels[0].removeprefix("__label__") for labels in ft.predict(texts)[0]],
        },
        in_process_work={
            OURS: lambda texts: ours.predict(texts),
            "TF-IDF + LinearSVC": lambda texts: svm.predict(texts),
            "fastText": lambda texts: ft.predict(texts),
        },
        peer_scores={
            "TF-IDF + LinearSVC": lambda texts: (list(svm.classes_), svm.decision_function(texts)),
            "fastText": lambda texts: fasttext_scores(ft, texts),
        },
        train_seconds={"TF-IDF + LinearSVC": svm_seconds, "fastText": ft_seconds, OURS: ours_train_seconds},
    )


def train_only_twin(
    model_dir: Path, data: Path, goemotions: Path | None, workdir: Path, log: Callable[[str], None]
) -> tuple[Any, Any, str]:
    """When the model saw the validation split, train its twin on train only: (model, seconds, note).

    Returns (None, None, note) when the model's own validation figures are honest (it never saw them).
    """
    from dataclasses import fields

    from emotion_bilstm.model import EmotionBiLSTM
    from emotion_bilstm.training import TrainConfig, train

    path = model_dir / "metrics.json"
    summary = json.loads(path.read_text()) if path.exists() else {}
    if not summary.get("train_config", {}).get("train_on_validation"):
        return None, None, f"{model_dir} (never trained on validation)"
    names = {f.name for f in fields(TrainConfig)}
    settings = {k: v for k, v in summary["train_config"].items() if k in names}
    settings.update(data=str(data), output_dir=str(workdir / "twin"), checkpoint_dir=None, resume=False, overwrite=True)
    settings.update(train_on_validation=False)
    if settings.get("add_data"):
        if goemotions is None:  # scoring the shipped model on text it trained on would flatter it
            raise SystemExit(f"{model_dir}'s recipe adds GoEmotions: give its folder with --goemotions")
        settings["add_data"] = [str(goemotions)]
    log("[bench] ours: the shipped model trained on validation; training its train-only twin for the accuracy columns")
    started = time.perf_counter()
    train(TrainConfig(**settings), show_progress=False)
    seconds = time.perf_counter() - started
    note = "train-only twin of the shipped model (same recipe and seed), trained in this run"
    return EmotionBiLSTM.from_pretrained(workdir / "twin"), seconds, note
