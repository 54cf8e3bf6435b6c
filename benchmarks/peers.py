"""The peer systems the bench sets our model against: TF-IDF + LinearSVC and fastText.

Trains each on the rows our recipe trains on, gives fastText's score of every label (its binding's
list `predict` cannot), and moves a peer's neutral answers to the share ours gives, so that the
accuracy columns compare like with like. benchmarks/peer_cli.py is their command line for the
end-to-end timings; scikit-learn and fastText come with the `bench` extra.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def train_svm(texts: list[str], labels: list[str]) -> tuple[Any, float]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    start = time.perf_counter()
    pipeline = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), LinearSVC())
    pipeline.fit(texts, labels)
    return pipeline, time.perf_counter() - start


def train_fasttext(texts: list[str], labels: list[str], workdir: Path) -> tuple[Any, float]:
    import fasttext

    train_file = workdir / "train.fasttext"
    train_file.write_text("".join(f"__label__{label} {text}\n" for text, label in zip(texts, labels, strict=True)))
    start = time.perf_counter()
    model = fasttext.train_supervised(str(train_file), wordNgrams=2, epoch=25, lr=0.5, thread=2, verbose=0, seed=42)
    return model, time.perf_counter() - start


def fasttext_scores(model: Any, texts: list[str]) -> tuple[list[str], Any]:
    """fastText's labels and each text's log-probability of each, shape (len(texts), labels)."""
    import numpy as np

    classes = [label.removeprefix("__label__") for label in model.labels]
    column = {f"__label__{name}": i for i, name in enumerate(classes)}
    scores = np.full((len(texts), len(classes)), -np.inf)
    for row, text in enumerate(texts):
        # one text at a time through the binding: fasttext-wheel 0.9.2's list `predict` repeats the best
        # label's probability for every label when k > 1, and its one-text `predict` fails under NumPy 2
        for prob, label in model.f.predict(text.replace("\n", " ") + "\n", -1, 0.0, "strict"):
            scores[row, column[label]] = np.log(max(float(prob), 1e-12))
    return classes, scores


def at_neutral_recall(
    score: Callable[[list[str]], tuple[list[str], Any]], neutral_texts: list[str], recall: float
) -> Callable[[list[str]], list[str]]:
    """A peer's predictions with its neutral score shifted so that `recall` of `neutral_texts` get neutral.

    The same shift our recipe gives neutral's logit: without it a peer that seldom answers neutral gets
    more emotional comments right by answering an emotion to nearly everything, which is no comparison.
    """
    import numpy as np

    from emotion_bilstm.operating_point import offset_for_recall

    classes, scores = score(neutral_texts)
    neutral = classes.index("neutral")
    others = scores.copy()
    others[:, neutral] = -np.inf
    offset = offset_for_recall((scores[:, neutral] - others.max(axis=1)).tolist(), len(neutral_texts), recall)

    def predict(texts: list[str]) -> list[str]:
        names, shifted = score(texts)
        shifted = shifted.copy()
        shifted[:, neutral] += offset
        return [names[i] for i in shifted.argmax(axis=1)]

    return predict
