"""The model and its Hub format: predict's shape, save -> load, the Hub cache offline, and what is never loaded."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from clitools import REPO

from emotion_bilstm import EmotionBiLSTM
from emotion_bilstm.errors import ModelLoadError
from emotion_bilstm.labels import LABELS

TEXTS = ["I feel so terrified tonight", "i am thrilled!!", "", "so furious at my friend", "x" * 10_000]


@pytest.fixture(scope="module")
def model(trained_model_dir: Path) -> EmotionBiLSTM:
    return EmotionBiLSTM.from_pretrained(trained_model_dir)


def test_predict_output_shape(model: EmotionBiLSTM) -> None:
    results = model.predict(TEXTS)
    assert len(results) == len(TEXTS)
    # "" and "xxxx..." hold no word the model knows: no label, and why
    assert [r["label"] is None for r in results] == [False, False, True, False, True]
    for result in (results[2], results[4]):
        assert result == {"label": None, "score": None, "scores": {}, "reason": "no words the model reads"}
    for result in (results[0], results[1], results[3]):
        assert set(result) == {"label", "score", "scores"}
        assert result["label"] in LABELS
        assert next(iter(result["scores"])) == result["label"] and result["scores"][result["label"]] == result["score"]
        assert set(result["scores"]) == set(LABELS)
        assert abs(sum(result["scores"].values()) - 1) < 1e-4
        assert list(result["scores"].values()) == sorted(result["scores"].values(), reverse=True)
    assert model.predict("one text") == model.predict(["one text"])
    assert model.predict([]) == []
    assert model.predict_proba(TEXTS).shape == (len(TEXTS), len(LABELS))


def test_top_k_and_batch_size_do_not_change_answers(model: EmotionBiLSTM) -> None:
    full = model.predict(TEXTS)
    top2 = model.predict(TEXTS, top_k=2)
    assert [list(r["scores"]) for r in top2] == [list(r["scores"])[:2] for r in full]
    assert [r["label"] for r in model.predict(TEXTS, batch_size=1)] == [r["label"] for r in full]
    probs = model.predict_proba(TEXTS)
    assert torch.allclose(model.predict_proba(TEXTS, batch_size=2), probs, atol=1e-5)


def test_predict_learned_the_fixture_cues(model: EmotionBiLSTM) -> None:
    labels = [r["label"] for r in model.predict(["i feel so terrified", "i am thrilled", "so furious at work"])]
    assert labels == ["fear", "joy", "anger"]


def test_loaded_model_is_in_eval_mode_on_cpu_and_strict(model: EmotionBiLSTM, trained_model_dir: Path) -> None:
    assert not model.training
    assert next(model.parameters()).device.type == "cpu"
    config = json.loads((trained_model_dir / "config.json").read_text())
    assert config["id2label"] == {str(i): name for i, name in enumerate(LABELS)}
    assert config["label2id"] == {name: i for i, name in enumerate(LABELS)}


def test_save_load_gives_identical_predictions(model: EmotionBiLSTM, tmp_path: Path) -> None:
    model.save_pretrained(tmp_path / "copy")
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= {p.name for p in (tmp_path / "copy").iterdir()}
    again = EmotionBiLSTM.from_pretrained(tmp_path / "copy")
    assert again.predict(TEXTS) == model.predict(TEXTS)
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, again.state_dict()[name]), name


def test_save_replaces_a_folder_atomically_and_a_failed_save_keeps_the_old_one(
    model: EmotionBiLSTM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "emo"
    model.save_pretrained(target)
    before = {p.name: p.read_bytes() for p in target.iterdir()}

    def crash_half_way(self: EmotionBiLSTM, save_directory: Path) -> None:
        (save_directory / "model.safetensors").write_bytes(b"half")
        raise KeyboardInterrupt  # as if killed while writing

    monkeypatch.setattr(EmotionBiLSTM, "_save_pretrained", crash_half_way)
    with pytest.raises(KeyboardInterrupt):
        model.save_pretrained(target)
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["emo"]  # no staging folder left behind


def test_loading_prints_nothing_to_stdout(trained_model_dir: Path) -> None:
    script = "from emotion_bilstm import EmotionBiLSTM; EmotionBiLSTM.from_pretrained(__import__('sys').argv[1])"
    result = subprocess.run(
        [sys.executable, "-c", script, str(trained_model_dir)], capture_output=True, cwd=REPO, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == b""


def lay_out_like_huggingface_hub(cache: Path, repo_id: str, folder: Path, commit: str) -> None:
    """The real cache layout: content-addressed blobs, snapshot files as relative symlinks, refs/main."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    (repo / "blobs").mkdir(parents=True)
    (repo / "refs").mkdir()
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    for file in folder.iterdir():
        if not file.is_file():
            continue
        content = file.read_bytes()
        blob = repo / "blobs" / hashlib.sha256(content).hexdigest()
        blob.write_bytes(content)
        (snapshot / file.name).symlink_to(os.path.relpath(blob, snapshot))
    (repo / "refs" / "main").write_text(commit)


@pytest.mark.slow
@pytest.mark.parametrize("variable", ["HF_HUB_CACHE", "HF_HOME"])
def test_from_pretrained_by_repo_id_through_the_hub_cache_offline(
    variable: str, trained_model_dir: Path, model: EmotionBiLSTM, tmp_path: Path
) -> None:
    home = tmp_path / "hf"
    cache = home / "hub" if variable == "HF_HOME" else home
    lay_out_like_huggingface_hub(cache, "someone/emotion-bilstm", trained_model_dir, "a" * 40)
    script = (
        "import json, sys; from emotion_bilstm import EmotionBiLSTM; "
        "m = EmotionBiLSTM.from_pretrained('someone/emotion-bilstm'); "
        "print(json.dumps(m.predict(json.loads(sys.argv[1]))))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update({"HF_HUB_OFFLINE": "1", variable: str(home), "HF_ENDPOINT": "http://127.0.0.1:9"})
    result = subprocess.run(
        [sys.executable, "-c", script, json.dumps(TEXTS)], env=env, capture_output=True, cwd=REPO, timeout=120
    )
    assert result.returncode == 0, result.stderr.decode()
    assert json.loads(result.stdout) == model.predict(TEXTS)

    # a repo that is not in the cache: one clear ModelLoadError, offline, no traceback to the user
    missing = subprocess.run(
        [sys.executable, "-m", "emotion_bilstm", "predict", "hi", "--model", "someone/not-cached"],
        env=env,
        capture_output=True,
        cwd=REPO,
        timeout=120,
    )
    assert missing.returncode == 2
    assert "someone/not-cached" in missing.stderr.decode() and "Traceback" not in missing.stderr.decode()


def test_from_pretrained_never_unpickles_a_user_folder(
    trained_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def spy(name: str):
        def refuse(*args: object, **kwargs: object) -> None:
            calls.append(name)
            raise AssertionError(f"{name} called while loading a user's folder")

        return refuse

    monkeypatch.setattr(torch, "load", spy("torch.load"))
    monkeypatch.setattr(pickle, "load", spy("pickle.load"))
    monkeypatch.setattr(pickle, "loads", spy("pickle.loads"))
    monkeypatch.setattr(pickle, "Unpickler", spy("pickle.Unpickler"))
    EmotionBiLSTM.from_pretrained(trained_model_dir).predict(["fine"])  # a good folder: safetensors + JSON only

    # a folder offering both: the pickle is ignored; with only the pickle: refused, not opened
    both = tmp_path / "both"
    both.mkdir()
    for file in trained_model_dir.iterdir():
        if file.is_file():
            (both / file.name).write_bytes(file.read_bytes())
    (both / "pytorch_model.bin").write_bytes(b"\x80\x04\x95 not for loading")
    EmotionBiLSTM.from_pretrained(both)
    (both / "model.safetensors").unlink()
    with pytest.raises(ModelLoadError, match=r"pytorch_model.bin \(a pickle\).*never loaded"):
        EmotionBiLSTM.from_pretrained(both)
    assert calls == []


def test_no_remote_code_is_ever_trusted() -> None:
    """Nothing in the package asks for trust_remote_code or runs code named by a model folder."""
    package = Path(__file__).resolve().parent.parent / "emotion_bilstm"
    for source in package.glob("*.py"):
        text = source.read_text()
        assert "trust_remote_code=True" not in text, source.name
        assert "torch.load(" not in text, source.name
        assert "pickle.load" not in text, source.name


def test_config_sizes_are_refused_before_any_allocation(trained_model_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "huge"
    folder.mkdir()
    for file in trained_model_dir.iterdir():
        if file.is_file():
            (folder / file.name).write_bytes(file.read_bytes())
    config = json.loads((folder / "config.json").read_text())
    config["vocab_size"] = 10**12
    (folder / "config.json").write_text(json.dumps(config))
    script = textwrap_probe()
    result = subprocess.run([sys.executable, "-c", script, str(folder)], capture_output=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    message, grown_kib = json.loads(result.stdout)
    assert "vocab_size=1000000000000" in message
    assert grown_kib < 20 * 1024  # nothing close to 10^12 x embedding_dim floats was reserved


def textwrap_probe() -> str:
    return (
        "import json, resource, sys\n"
        "from emotion_bilstm import EmotionBiLSTM\n"
        "from emotion_bilstm.errors import ModelLoadError\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "try:\n"
        "    EmotionBiLSTM.from_pretrained(sys.argv[1]); message = 'loaded'\n"
        "except ModelLoadError as exc:\n"
        "    message = str(exc)\n"
        "print(json.dumps([message, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before]))\n"
    )
