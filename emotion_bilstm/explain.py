"""Why did the model say that? Per-word contributions by occlusion (leave one token out).

A token's contribution is how much the predicted label's probability falls when that one token is
removed from the sequence the model reads: `p(label | all tokens) - p(label | all but this one)`.
Positive: the token supports the label; negative: it argues for another one. This is exact for what
it measures (no approximation, no baseline to choose), needs no gradients through the packed LSTM,
works for any model behind `predict`, and costs one extra forward pass per token, which is cheap
for short texts (all the variants of many texts go through in a few batches).

The model reads *tokens* of the normalised text (lower-cased, contractions without apostrophes,
URLs, @mentions and punctuation dropped, over-long texts cut at `max_length` tokens). Each token
keeps the character offsets of the text the user typed, so scores are summed back onto the
whitespace-separated words of the original; a word the model never saw (a URL, an emoji, "!!!", a
word past the cut) gets the score None.
"""

from __future__ import annotations

import random
import re
from typing import Any

import torch

from .engines import probabilities
from .predictions import NO_WORDS
from .tokenizer import UNK_ID, reads_a_word, truncation_limits

_WORD = re.compile(r"\S+")


def explain(model: Any, texts: list[str] | str, top_k: int = 5, batch_size: int = 512) -> list[dict[str, Any]]:
    """For each text: the predicted label, its probability, and every token's and word's contribution.

    Returns dicts with `text`, `label`, `score`, `tokens` (the model's tokens: `token`, `start`,
    `end` character offsets in `text`, `word` index, `score`), `words` (`word`, `start`, `end`,
    `score` or None when the model does not see it) and `top_words` (up to `top_k` words that
    support the label most, best first). For a multi-label model `label` is the most probable of
    the labels that apply (or the most probable label when none does), and `labels` explains each
    label that applies: `label`, `score` and its own `top_words`.
    """
    if isinstance(texts, str):
        texts = [texts]
    encodings = encode_with_offsets(model, list(texts))
    token_ids = [ids for ids, _, _ in encodings]
    multi = _multi(model)
    results = []
    for text, (ids, tokens, offsets), (full, left_out) in zip(
        texts, encodings, occlusion_rows(model, token_ids, batch_size), strict=True
    ):
        if not reads_a_word(ids):  # no label, as `predict` says
            _, words = _word_scores(text, [], [], [])
            label = {"labels": None} if multi else {"label": None, "score": None}
            results.append({"text": text, **label, "reason": NO_WORDS, "tokens": [], "words": words, "top_words": []})
            continue
        chosen = _chosen_labels(model, full) if multi else [int(full.argmax())]
        per_label = []
        for label_id in chosen:
            token_scores = (full[label_id] - left_out[:, label_id]).tolist()
            per_label.append((label_id, float(full[label_id]), *_word_scores(text, tokens, offsets, token_scores)))
        label_id, score, token_rows, words = per_label[0]
        result = {
            "text": text,
            "label": model.id2label[label_id],
            "score": round(score, 6),
            "tokens": token_rows,
            "words": words,
            "top_words": _top_words(words, top_k),
        }
        if multi:
            result["labels"] = [
                {"label": model.id2label[i], "score": round(p, 6), "top_words": _top_words(w, top_k)}
                for i, p, _, w in per_label
            ]
        results.append(result)
    return results


def _chosen_labels(model: Any, full: torch.Tensor) -> list[int]:
    """A multi-label model's labels that reach their thresholds, most probable first; else its best label."""
    ranked = sorted(range(len(full)), key=lambda i: -float(full[i]))
    chosen = [i for i in ranked if float(full[i]) >= model.thresholds[i]]
    return chosen or ranked[:1]


def _word_scores(
    text: str, tokens: list[str], offsets: list[tuple[int, int]], token_scores: list[float]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Token rows and whitespace words of `text`, each word scored by the sum of its tokens' scores."""
    seen = bool(tokens)  # an empty or all-punctuation text is read as a single [UNK]
    words = [{"word": m.group(), "start": m.start(), "end": m.end(), "score": None} for m in _WORD.finditer(text)]
    token_rows = []
    for token, (start, end), token_score in zip(tokens, offsets, token_scores if seen else [], strict=False):
        word_index = _word_at(words, start)
        token_rows.append(
            {"token": token, "start": start, "end": end, "word": word_index, "score": round(token_score, 6)}
        )
        if word_index is not None:
            previous = words[word_index]["score"] or 0.0
            words[word_index]["score"] = round(previous + token_score, 6)
    return token_rows, words


def _top_words(words: list[dict[str, Any]], top_k: int) -> list[dict[str, Any]]:
    ranked = sorted((w for w in words if w["score"] is not None and w["score"] > 0), key=lambda w: -w["score"])
    return [{"word": w["word"], "score": w["score"]} for w in ranked[:top_k]]


def encode_with_offsets(model: Any, texts: list[str]) -> list[tuple[list[int], list[str], list[tuple[int, int]]]]:
    """(ids, tokens, offsets) per text, the same ids as `model.encode` (same clipping and truncation)."""
    tokenizer = model.tokenizer
    if tokenizer is None:
        raise RuntimeError("this model has no tokenizer; load it with from_pretrained or set model.tokenizer")
    limit = truncation_limits(tokenizer)[1]
    encoded = tokenizer.encode_batch([text[:limit] for text in texts], add_special_tokens=False)
    return [(e.ids or [UNK_ID], list(e.tokens), list(e.offsets)) for e in encoded]


def occlusion_rows(
    model: Any, token_ids: list[list[int]], batch_size: int = 512
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Per id list: the probabilities of all labels, and (one row per token) with that token left out."""
    variants: list[list[int]] = []
    for ids in token_ids:
        variants.append(ids)
        variants += [without(ids, {i}) for i in range(len(ids))]
    probs = probabilities(model.logits(variants, batch_size=batch_size), model.temperature, _multi(model))
    rows = []
    row = 0
    for ids in token_ids:
        rows.append((probs[row], probs[row + 1 : row + 1 + len(ids)]))
        row += 1 + len(ids)
    return rows


def occlusion_scores(
    model: Any, token_ids: list[list[int]], batch_size: int = 512
) -> list[tuple[int, float, list[float]]]:
    """(predicted label id, its probability, per-token drop in that probability) for each id list."""
    results = []
    for full, left_out in occlusion_rows(model, token_ids, batch_size):
        label_id = int(full.argmax())
        results.append((label_id, float(full[label_id]), (full[label_id] - left_out[:, label_id]).tolist()))
    return results


def without(ids: list[int], positions: set[int]) -> list[int]:
    """`ids` with the tokens at `positions` removed; nothing left reads as one [UNK], as `encode` does."""
    return [t for i, t in enumerate(ids) if i not in positions] or [UNK_ID]


def deletion_check(
    model: Any, texts: list[str], k: int = 2, seed: int = 0, batch_size: int = 512
) -> dict[str, float | int]:
    """Faithfulness: does removing the k top-attributed tokens hurt the prediction more than k random ones?

    Over texts with more than k tokens: the mean drop in the predicted label's probability when the
    k highest-scoring tokens are removed together, against k tokens picked at random (seeded). For
    k=1 the top token wins by construction (it is what occlusion measures); for k>=2 the tokens
    interact, so this tests whether single-token scores still rank what matters.
    """
    rng = random.Random(seed)
    token_ids = [ids for ids, tokens, _ in encode_with_offsets(model, texts) if len(tokens) > k]
    if not token_ids:
        return {"n": 0, "k": k, "top_drop": 0.0, "random_drop": 0.0, "top_wins": 0.0}
    scored = occlusion_scores(model, token_ids, batch_size)
    variants: list[list[int]] = []
    for ids, (_, _, token_scores) in zip(token_ids, scored, strict=True):
        top = sorted(range(len(ids)), key=lambda i: -token_scores[i])[:k]
        variants += [without(ids, set(top)), without(ids, set(rng.sample(range(len(ids)), k)))]
    probs = probabilities(model.logits(variants, batch_size=batch_size), model.temperature, _multi(model))
    label_ids = torch.tensor([label_id for label_id, _, _ in scored])
    full = torch.tensor([score for _, score, _ in scored])
    top_drop = full - probs[0::2].gather(1, label_ids[:, None]).squeeze(1)
    random_drop = full - probs[1::2].gather(1, label_ids[:, None]).squeeze(1)
    return {
        "n": len(token_ids),
        "k": k,
        "top_drop": float(top_drop.mean()),
        "random_drop": float(random_drop.mean()),
        "top_wins": float((top_drop >= random_drop).float().mean()),
    }


def _word_at(words: list[dict[str, Any]], offset: int) -> int | None:
    """Index of the whitespace word holding character `offset` (normalisation can shift offsets inside one)."""
    for index, word in enumerate(words):
        if word["start"] <= offset < word["end"]:
            return index
    return None


def _multi(model: Any) -> bool:
    """A multi-label model's probabilities are a sigmoid per label: occlusion explains its best label's."""
    return bool(getattr(model, "multi_label", False))
