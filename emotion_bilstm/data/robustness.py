"""Robustness checks for a trained model: raw-text perturbation of clean data and a hand-written set.

The training data is lower-cased, apostrophe-free and punctuation-free ("im so tired of this").
`perturb` rewrites such a sentence the way people type it ("I'm so tired of this!! @sam #monday
https://t.co/x"), adding only things that carry no emotion, so a model should keep its answer.
`perturbed_drop` measures how many points of accuracy that costs.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Any

from . import goemotions

# the dataset writes contractions without the apostrophe; people write them with one
CONTRACTIONS = {
    "im": "I'm",
    "ive": "I've",
    "id": "I'd",
    "ill": "I'll",
    "dont": "don't",
    "didnt": "didn't",
    "doesnt": "doesn't",
    "cant": "can't",
    "couldnt": "couldn't",
    "wont": "won't",
    "wouldnt": "wouldn't",
    "isnt": "isn't",
    "wasnt": "wasn't",
    "arent": "aren't",
    "havent": "haven't",
    "shouldnt": "shouldn't",
    "youre": "you're",
    "thats": "that's",
    "theyre": "they're",
    "whats": "what's",
}
MENTIONS = ("@sam", "@jenny_k", "@TheRealMike", "@news24")
URLS = ("https://t.co/x7Gq2LpA", "http://bit.ly/3kR9z", "www.example.com/post/42")
HASHTAGS = ("#tbt", "#nofilter", "#blog", "#instagood", "#photo")  # tags that name no emotion
EMOJI = ("\U0001f4f7", "\u2615", "\U0001f697", "\U0001f4cd", "\U0001f4bb")  # camera, coffee, car, pin, laptop
END_PUNCTUATION = (".", "!", "!!", "...", "?")


def perturb(text: str, rng: random.Random) -> str:
    """`text` (clean, lower-cased) rewritten as a person would type it, same meaning and emotion.

    Always: a capital first letter, "I" for "i", apostrophes in contractions, end punctuation.
    Often: "&amp;" for "and", an @mention, a URL, a hashtag, an emoji, one word in capitals.
    """
    words = [CONTRACTIONS.get(w, "I" if w == "i" else w) for w in text.split()]
    if not words:
        return text
    if "and" in words and rng.random() < 0.7:
        words[words.index("and")] = "&amp;"
    if rng.random() < 0.3:
        index = rng.randrange(len(words))
        if words[index].isalpha():
            words[index] = words[index].upper()
    words[0] = words[0][:1].upper() + words[0][1:]
    out = " ".join(words) + rng.choice(END_PUNCTUATION)
    if rng.random() < 0.5:
        out = f"{rng.choice(MENTIONS)} {out}"
    if rng.random() < 0.5:
        out = f"{out} {rng.choice(HASHTAGS)}"
    if rng.random() < 0.5:
        out = f"{out} {rng.choice(EMOJI)}"
    if rng.random() < 0.5:
        out = f"{out} {rng.choice(URLS)}"
    return out


def perturb_all(texts: list[str], seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [perturb(text, rng) for text in texts]


def read_handwritten(path: str | Path) -> tuple[list[str], list[str]]:
    """Texts and label names from a `text<TAB>label` file with a header row."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [row["text"] for row in rows], [row["label"] for row in rows]


def accuracy(model: Any, texts: list[str], labels: list[str]) -> float:
    predicted = [p["label"] for p in model.predict(texts)]
    return sum(p == gold for p, gold in zip(predicted, labels, strict=True)) / len(labels)


def perturbed_drop(model: Any, texts: list[str], labels: list[str], seed: int = 0) -> dict[str, float]:
    """Accuracy on `texts` and on their perturbed copies; `drop` in points (positive = worse)."""
    clean = accuracy(model, texts, labels)
    perturbed = accuracy(model, perturb_all(texts, seed), labels)
    return {"clean": clean, "perturbed": perturbed, "drop": round(100 * (clean - perturbed), 2)}


def real_text_figures(model: Any, goemotions_source: str | Path, split: str = "validation") -> dict[str, Any]:
    """How the model does on real, human-labelled Reddit comments (GoEmotions `split`).

    `emotions_accuracy`: single-label comments whose label maps to one of our emotions under the
    evaluation mapping (the held-back GoEmotions figures use it), a `neutral` answer counted as
    wrong; `neutral_recall`: share of single-label neutral comments answered `neutral`. A model
    without a neutral label simply scores 0 there.
    """
    comments = [c for c in goemotions.read(goemotions_source)[split] if len(c[1]) == 1]
    emotional = goemotions.map_comments(comments, goemotions.EVALUATION_MAPPING)
    neutral = [text for text, names in comments if names == ("neutral",)]
    texts = [text for text, _ in emotional]
    predicted = [p["label"] for p in model.predict(texts + neutral)]
    right = sum(p == gold for p, (_, gold) in zip(predicted, emotional, strict=False))
    return {
        "split": split,
        "emotions_accuracy": round(right / len(emotional), 4),
        "emotions_n": len(emotional),
        "neutral_recall": round(sum(p == "neutral" for p in predicted[len(texts) :]) / len(neutral), 4),
        "neutral_n": len(neutral),
    }


def label_rate(model: Any, texts: list[str], label: str) -> float:
    """Share of `texts` given `label` (e.g. how often clean emotional text is called neutral)."""
    return round(sum(p["label"] == label for p in model.predict(texts)) / max(1, len(texts)), 4)
