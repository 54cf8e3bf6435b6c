"""In-process measuring: each system's accuracy on every evaluation set, its texts/s, and our speed-ups.

`measure_in_process` scores every system (and each peer again at our share of neutral answers) and
times it on the speed-test texts of each input; `levers` times what each of our speed-ups gives on
raw text against the path without it, in the same run.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from peers import at_neutral_recall
from prepare import INPUTS, Run, evaluation_sets, neutral_comments
from render import OURS
from systems import Systems
from timing import log, rate_runs


def accuracy_and_f1(gold: list[str], predicted: list[str]) -> dict[str, float]:
    """Accuracy, and macro-F1 over the labels the gold answers use (a wrong `neutral` still counts)."""
    from sklearn.metrics import accuracy_score, f1_score

    return {
        "accuracy": float(accuracy_score(gold, predicted)),
        "macro_f1": float(f1_score(gold, predicted, labels=sorted(set(gold)), average="macro")),
    }


def measure_in_process(run: Run, systems: Systems, results: dict[str, Any]) -> None:
    """Each system's accuracy on every set (and at our share of neutral answers), then its in-process speed."""
    args, lines_count = run.args, run.args.lines
    sets = evaluation_sets(run.val_texts, run.val_labels, run.inputs["raw"], run.goemotions)
    neutral_texts = neutral_comments(run.goemotions) if "neutral" in run.train_labels else []
    for name, predict in systems.predictors.items():
        log(f"[bench] {name}: accuracy, and in-process speed on {lines_count:,} texts of each input")
        entry: dict[str, Any] = {"accuracy": {}, "in_process_texts_per_s": {}, "cli": {}}
        for set_name, (texts, gold) in sets.items():
            entry["accuracy"][set_name] = accuracy_and_f1(gold, predict(texts))
        if neutral_texts:
            entry["neutral_recall"] = predict(neutral_texts).count("neutral") / len(neutral_texts)
            if name != OURS:  # ours comes first, so its share is known
                our_recall = results["systems"][OURS]["neutral_recall"]
                shifted = at_neutral_recall(systems.peer_scores[name], neutral_texts, our_recall)
                entry["at_our_neutral_recall"] = {
                    "neutral_recall": shifted(neutral_texts).count("neutral") / len(neutral_texts),
                    "accuracy": {s: accuracy_and_f1(gold, shifted(texts)) for s, (texts, gold) in sets.items()},
                }
        for kind in INPUTS:
            work = lambda texts=run.file_texts[kind], job=systems.in_process_work[name]: job(texts)  # noqa: E731
            work()  # warm-up of the measured model (caches, input tables)
            entry["in_process_texts_per_s"][kind] = rate_runs(lines_count, work, args.repeats, False)
        entry["train_seconds"] = systems.train_seconds.get(name)
        results["systems"][name] = entry


def levers(model: Any, model_dir: Path, texts: list[str], args: argparse.Namespace) -> dict:
    """What each speed-up gives on raw text, each measured against the path without it, in this same run."""
    import torch

    from emotion_bilstm.predictions import format_predictions
    from emotion_bilstm.tokenizer import encode_batch

    def predict(*, engine: str, python_tokens: bool, batch_size: int = 512) -> Callable[[], Any]:
        def work() -> Any:
            ids_source = model.encode if python_tokens else (lambda t: encode_batch(model.tokenizer, t))
            model.encode = ids_source  # an instance attribute shadows the method for this run only
            try:
                probs = model.predict_proba(texts, batch_size=batch_size, engine=engine)
            finally:
                del model.encode
            return format_predictions(probs, model.id2label)

        return work

    n, repeats = len(texts), args.repeats
    figures = {
        # the reference path needs no warm-up (nothing is cached), and is the slow part of this section
        "reference (nn.LSTM, Rust tokenizer)": rate_runs(
            n, predict(engine="reference", python_tokens=False), repeats, False
        ),
        "+ one-pass Python normaliser": rate_runs(n, predict(engine="reference", python_tokens=True), repeats, False),
        "+ fast_lstm, float32 (batch 512)": rate_runs(n, predict(engine="fast", python_tokens=True), repeats),
        "fast_lstm, bfloat16 recurrence": rate_runs(n, predict(engine="fast-bf16", python_tokens=True), repeats),
    }
    from emotion_bilstm import pipeline

    light = pipeline(str(model_dir))  # the CLI's default engine: the same weights, no torch in it
    threads = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = str(args.threads)  # its worker count, as torch's threads for fast_lstm
    try:
        figures["NumPy engine (the CLI's default), float32, batch 512"] = rate_runs(
            n, lambda: light.predict(texts, batch_size=512), repeats
        )
    finally:
        if threads is None:
            os.environ.pop("OMP_NUM_THREADS")
        else:
            os.environ["OMP_NUM_THREADS"] = threads
    for batch_size in (128, 2048):
        figures[f"fast_lstm float32, batch {batch_size}"] = rate_runs(
            n, predict(engine="fast", python_tokens=True, batch_size=batch_size), repeats
        )
    torch.set_num_threads(1)
    figures["fast_lstm float32, 1 thread"] = rate_runs(n, predict(engine="fast", python_tokens=True), repeats)
    figures["reference, 1 thread"] = rate_runs(n, predict(engine="reference", python_tokens=False), repeats, False)
    torch.set_num_threads(args.threads)
    figures["tokenizer only: Rust encode_batch"] = rate_runs(n, lambda: encode_batch(model.tokenizer, texts), repeats)
    figures["tokenizer only: one-pass Python"] = rate_runs(n, lambda: model.encode(texts), repeats)
    return figures
