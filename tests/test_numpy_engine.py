"""The NumPy engine (numpy_engine.py) and the light model (light.py) give the float32 torch reference's answers.

Issue 30's contract: the same labels as the float32 reference and probabilities within 1e-5, on random
models of every pooling (one and two layers, single- and multi-label, with temperature and a neutral
shift) and on the shipped weights; `predict`'s results the same in structure. Every comparison names its
torch engine (`reference`: nn.LSTM; `fast`: float32), never `auto`, which is bfloat16 on some CPUs.
The light loader refuses what `from_pretrained` refuses, and the CLI's default path imports no torch.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from clitools import REPO, cli_env
from conftest import SHARED_DATA, SHARED_GOEMOTIONS
from hub_cache import lay_out_hub_cache
from safetensors.torch import load_file, save_file
from test_fast_inference import PROBE_TEXTS, TRAIN_TEXTS, shipped_model_and_texts

import emotion_bilstm
from emotion_bilstm import numpy_engine
from emotion_bilstm.config import MULTI_LABEL, POOLINGS, SINGLE_LABEL, ModelConfig
from emotion_bilstm.errors import ModelLoadError
from emotion_bilstm.folder_reads import expected_shapes
from emotion_bilstm.light import Pipeline, pipeline
from emotion_bilstm.model import EmotionBiLSTM
from emotion_bilstm.operating_point import shift_label_logit
from emotion_bilstm.tokenizer import train_tokenizer

TOLERANCE = 1e-5
# the shipped model's labels: the default six and neutral, which a neutral shift moves
ID2LABEL = dict(enumerate(["sadness", "joy", "love", "anger", "fear", "surprise", "neutral"]))
THRESHOLDS = [0.3, 0.5, 0.7, 0.4, 0.6, 0.5, 0.2]


def random_model(pooling: str, num_layers: int = 1, multi_label: bool = False, seed: int = 0) -> EmotionBiLSTM:
    """Random weights spread so that the gates saturate sometimes, as trained ones do (test_fast_inference)."""
    torch.manual_seed(seed)
    tokenizer = train_tokenizer(TRAIN_TEXTS, max_length=64)
    head = {"problem_type": MULTI_LABEL, "thresholds": THRESHOLDS} if multi_label else {"problem_type": SINGLE_LABEL}
    model = EmotionBiLSTM(
        vocab_size=tokenizer.get_vocab_size(),
        embedding_dim=24,
        hidden_size=20,
        num_layers=num_layers,
        pooling=pooling,
        max_length=64,
        num_labels=len(ID2LABEL),
        id2label=ID2LABEL,
        **head,
    )
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.mul_(3.0)
    model.tokenizer = tokenizer
    return model.eval()


def light_twin(model: EmotionBiLSTM, folder: Path, **save: object) -> Pipeline:
    """The light model of `model`, through its saved folder: what a user loads."""
    model.save_pretrained(folder, **save)
    return pipeline(folder)


def assert_same_answers(light: np.ndarray, reference: torch.Tensor, model: EmotionBiLSTM) -> None:
    """Probabilities within TOLERANCE and the same labels (the best one, or every label past its threshold)."""
    reference = reference.numpy()
    assert light.dtype == np.float32 and light.shape == reference.shape
    np.testing.assert_allclose(light, reference, atol=TOLERANCE, rtol=0)
    if model.multi_label:
        cuts = np.asarray(model.thresholds, dtype=np.float32)
        assert np.array_equal(light >= cuts, reference >= cuts)
    else:
        assert np.array_equal(light.argmax(axis=1), reference.argmax(axis=1))
    assert not np.allclose(reference[0], reference[1])  # not vacuous: rows differ


@pytest.mark.parametrize("multi_label", [False, True], ids=["single-label", "multi-label"])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("pooling", POOLINGS)
def test_random_models_give_the_references_answers(
    pooling: str, num_layers: int, multi_label: bool, tmp_path: Path
) -> None:
    model = random_model(pooling, num_layers, multi_label)
    light = light_twin(model, tmp_path / "model")
    for batch_size in (3, 512):
        reference = model.predict_proba(PROBE_TEXTS, batch_size=batch_size, engine="reference")
        assert_same_answers(light.predict_proba(PROBE_TEXTS, batch_size=batch_size), reference, model)


@pytest.mark.parametrize("multi_label", [False, True], ids=["single-label", "multi-label"])
def test_temperature_and_a_neutral_shift_are_applied(multi_label: bool, tmp_path: Path) -> None:
    model = random_model("max", multi_label=multi_label, seed=1)
    before = model.predict_proba(PROBE_TEXTS, engine="reference")
    model.temperature = 2.5
    shift_label_logit(model, "neutral", 1.5)  # what --neutral-recall does: folded into the classifier's bias
    reference = model.predict_proba(PROBE_TEXTS, engine="reference")
    assert not torch.allclose(before, reference, atol=1e-3)
    light = light_twin(model, tmp_path / "model")
    assert light.temperature == 2.5
    assert_same_answers(light.predict_proba(PROBE_TEXTS), reference, model)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
def test_weights_stored_in_any_float_type_load_as_torch_loads_them(dtype: torch.dtype, tmp_path: Path) -> None:
    model = random_model("mean")
    folder = tmp_path / "model"
    if dtype == torch.float64:  # save_pretrained writes no float64; a file may still hold it
        model.save_pretrained(folder)
        state = load_file(folder / "model.safetensors")
        save_file({k: v.double() for k, v in state.items()}, folder / "model.safetensors", metadata={"format": "pt"})
    else:
        model.save_pretrained(folder, dtype=dtype)
    loaded = EmotionBiLSTM.from_pretrained(folder)
    light = pipeline(folder)
    from emotion_bilstm.folder_reads import fetcher
    from emotion_bilstm.light import read_arrays

    arrays = read_arrays(str(folder), fetcher(str(folder)))
    for name, tensor in loaded.state_dict().items():
        assert arrays[name].dtype == np.float32 and np.array_equal(arrays[name], tensor.numpy()), name
    reference = loaded.predict_proba(PROBE_TEXTS, engine="reference")
    assert_same_answers(light.predict_proba(PROBE_TEXTS), reference, loaded)


def assert_same_results(light: list[dict], torch_results: list[dict]) -> None:
    """The same dicts: keys, labels and every ordering identical, scores within TOLERANCE (rounded to 6 places)."""
    assert len(light) == len(torch_results)
    for ours, theirs in zip(light, torch_results, strict=True):
        assert ours.keys() == theirs.keys()
        assert list(ours["scores"]) == list(theirs["scores"])
        for key in ("label", "labels", "reason"):
            assert ours.get(key) == theirs.get(key)
        for name, score in ours["scores"].items():
            assert abs(score - theirs["scores"][name]) <= TOLERANCE + 1e-6
        if "top" in theirs:
            assert [entry["label"] for entry in ours["top"]] == [entry["label"] for entry in theirs["top"]]
        if ours.get("score") is not None:
            assert abs(ours["score"] - theirs["score"]) <= TOLERANCE + 1e-6


@pytest.mark.parametrize("multi_label", [False, True], ids=["single-label", "multi-label"])
def test_predict_returns_the_same_results(multi_label: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMOTION_BILSTM_PRECISION", "float32")  # the torch model's predict runs `fast` (float32)
    model = random_model("last", multi_label=multi_label, seed=2)
    light = light_twin(model, tmp_path / "model")
    assert light.multi_label == multi_label and light.thresholds == model.thresholds
    assert light.labels == model.config.labels and light.id2label == model.id2label
    assert light.encode(PROBE_TEXTS) == model.encode(PROBE_TEXTS)
    texts = [*PROBE_TEXTS, "", "!!! ...", "https://t.co/x @bob"]  # the last three: nothing the model reads
    for top_k in (None, 1, 3):
        for threshold in (None, 0.0, 0.2):
            ours = light.predict(texts, top_k=top_k, threshold=threshold, batch_size=7)
            assert_same_results(ours, model.predict(texts, top_k=top_k, threshold=threshold))
    assert light.predict("i feel glad")[0].keys() == model.predict("i feel glad")[0].keys()
    assert light.predict([]) == [] and light.predict_proba([]).shape == (0, 7)
    with pytest.raises(ValueError, match="batch_size"):
        light.predict(["x"], batch_size=0)


def test_the_shipped_model_gives_the_references_answers() -> None:
    model, texts = shipped_model_and_texts()
    reference = model.predict_proba(texts, engine="reference")
    assert_same_answers(emotion_bilstm.pipeline().predict_proba(texts), reference, model)
    assert len(set(reference.argmax(-1).tolist())) >= 5  # trained weights, varied answers


def shared_sets() -> dict[str, list[str]]:
    """dair-ai validation, GoEmotions validation (dev.tsv) and their raw (perturbed) copies."""
    from emotion_bilstm.data import goemotions
    from emotion_bilstm.data.robustness import perturb_all

    if not (SHARED_DATA / "validation.txt").exists() or not (SHARED_GOEMOTIONS / "dev.tsv").exists():
        pytest.skip(f"shared data not found at {SHARED_DATA.parent}: skipped, it needs dair-ai/emotion and GoEmotions")
    lines = (SHARED_DATA / "validation.txt").read_text(encoding="utf-8").splitlines()
    dair = [line.rsplit(";", 1)[0] for line in lines]
    comments = [text for text, _ in goemotions.read(SHARED_GOEMOTIONS)["validation"]]
    return {
        "dair-ai validation": dair,
        "dair-ai validation, raw": perturb_all(dair, seed=0),
        "GoEmotions validation": comments,
        "GoEmotions validation, raw": perturb_all(comments, seed=1),
    }


@pytest.mark.shared_data
def test_the_shipped_model_on_the_shared_validation_sets() -> None:
    model, light = emotion_bilstm.load_default(), emotion_bilstm.pipeline()
    for name, texts in shared_sets().items():
        reference = model.predict_proba(texts, engine="reference")
        ours = light.predict_proba(texts)
        np.testing.assert_allclose(ours, reference.numpy(), atol=TOLERANCE, rtol=0, err_msg=name)
        assert np.array_equal(ours.argmax(axis=1), reference.argmax(-1).numpy()), name


def test_small_inputs_project_only_their_rows_and_big_ones_the_table() -> None:
    model = random_model("max")
    weights = {name: tensor.numpy() for name, tensor in model.state_dict().items()}
    light = Pipeline(model.config, model.tokenizer, weights)
    one = light.predict_proba(["i feel glad about the week"])
    assert light.engine.table is None  # a few tokens: only their rows were projected
    many = light.predict_proba(PROBE_TEXTS * 4)
    assert light.engine.table is not None  # more tokens than the vocabulary has rows: the whole table
    np.testing.assert_allclose(light.predict_proba(["i feel glad about the week"]), one, atol=1e-6, rtol=0)
    reference = model.predict_proba(PROBE_TEXTS * 4, engine="reference")
    assert_same_answers(many, reference, model)


def test_worker_threads_do_not_change_the_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    model = random_model("mean")
    light = Pipeline(model.config, model.tokenizer, {name: t.numpy() for name, t in model.state_dict().items()})
    texts = PROBE_TEXTS * 5
    monkeypatch.setattr(numpy_engine, "worker_count", lambda: 1)
    alone = light.predict_proba(texts, batch_size=8)
    monkeypatch.setattr(numpy_engine, "worker_count", lambda: 3)
    assert np.array_equal(light.predict_proba(texts, batch_size=8), alone)  # batches are independent


def test_logits_refuse_rows_the_engine_cannot_read() -> None:
    light = emotion_bilstm.pipeline()
    assert light.logits([]).shape == (0, 7)
    for rows in ([[]], [[5], []], [[light.config.vocab_size]], [[-1]]):  # empty, or an id past the embedding
        with pytest.raises(ValueError, match="at least one token id"):
            light.logits(rows)


@pytest.mark.parametrize(
    "changes",
    [{}, {"num_layers": 3, "pooling": "last"}, {"num_labels": 3, "id2label": {0: "a", 1: "b", 2: "c"}}],
)
def test_expected_shapes_are_the_models_state_dict(changes: dict) -> None:
    config = ModelConfig(vocab_size=50, embedding_dim=8, hidden_size=6, **changes)
    model = EmotionBiLSTM(**config.init_kwargs())
    assert expected_shapes(config) == {name: tuple(t.shape) for name, t in model.state_dict().items()}


def break_weights(change: str):
    def build(folder: Path) -> None:
        state = load_file(folder / "model.safetensors")
        if change == "nan":
            state["lstm.weight_hh_l0"][0, 0] = float("nan")
        elif change == "shape":
            state["classifier.weight"] = state["classifier.weight"][:, :-1].contiguous()
        elif change == "extra":
            state["extra.weight"] = torch.zeros(2)
        elif change == "missing":
            del state["lstm.bias_hh_l0_reverse"]
        elif change == "int":
            state["classifier.bias"] = state["classifier.bias"].to(torch.int32)
        elif change == "labels":
            state["classifier.bias"] = torch.zeros(3)
        save_file(state, folder / "model.safetensors", metadata={"format": "pt"})

    return build


def break_config(folder: Path) -> None:
    (folder / "config.json").write_text(json.dumps({**json.loads((folder / "config.json").read_text()), "pooling": 7}))


def break_truncated(folder: Path) -> None:
    data = (folder / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(data[: len(data) - 100])


BROKEN = {
    "NaN in a weight": (break_weights("nan"), "NaN or infinite"),
    "misshapen weight": (break_weights("shape"), "implies"),
    "extra tensor": (break_weights("extra"), "unexpected tensors"),
    "missing tensor": (break_weights("missing"), "lacks the tensor"),
    "integer weight": (break_weights("int"), "int32"),
    "head of another label set": (break_weights("labels"), "do not belong together"),
    "bad pooling": (break_config, "pooling"),
    "truncated weights": (break_truncated, "corrupt or truncated"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_the_light_loader_refuses_what_from_pretrained_refuses(case: str, tmp_path: Path) -> None:
    breaker, needle = BROKEN[case]
    folder = tmp_path / "broken"
    random_model("max").save_pretrained(folder)
    breaker(folder)
    with pytest.raises(ModelLoadError) as torch_error:
        EmotionBiLSTM.from_pretrained(folder)
    with pytest.raises(ModelLoadError) as light_error:
        pipeline(folder)
    assert needle in str(light_error.value)
    assert str(light_error.value) == str(torch_error.value)


def test_a_hub_repo_id_loads_through_the_cache(tmp_path: Path) -> None:
    model = random_model("mean")
    model.save_pretrained(tmp_path / "model")
    lay_out_hub_cache(tmp_path / "cache", "someone/emo", tmp_path / "model")
    light = pipeline("someone/emo", cache_dir=tmp_path / "cache", local_files_only=True)
    assert_same_answers(light.predict_proba(PROBE_TEXTS), model.predict_proba(PROBE_TEXTS, engine="reference"), model)
    with pytest.raises(ModelLoadError, match="someone/other"):
        pipeline("someone/other", cache_dir=tmp_path / "cache", local_files_only=True)


def test_the_package_exports_the_light_entry() -> None:
    assert emotion_bilstm.pipeline is pipeline and emotion_bilstm.Pipeline is Pipeline
    assert isinstance(emotion_bilstm.pipeline(), Pipeline)


# ----- the CLI's default path imports no torch -------------------------------------------------------

# Runs the CLI in this process and reports whether torch was imported by the time it ended.
CLI_THEN_MODULES = """
import sys
from emotion_bilstm.cli import main
sys.argv = ["emo-cli", *sys.argv[1:]]
try:
    main()
except SystemExit as exit:
    code = exit.code
print("EXIT", code, "TORCH", "torch" in sys.modules, file=sys.stderr)
"""


def cli_modules(*args: str) -> tuple[int, bool]:
    result = subprocess.run(
        [sys.executable, "-c", CLI_THEN_MODULES, *args], capture_output=True, text=True, env=cli_env(), cwd=REPO
    )
    report = result.stderr.strip().splitlines()[-1].split()
    assert report[0] == "EXIT", result.stderr
    return int(report[1] or 0), report[3] == "True"


@pytest.mark.parametrize("command", ["predict", "classify"])
def test_predict_and_classify_import_no_torch(command: str, tmp_path: Path) -> None:
    texts = tmp_path / "in.txt"
    texts.write_text("i feel so alone tonight\nbest day of my life!!\n")
    args = ["predict", "one text"] if command == "predict" else ["classify", str(texts), "-o", str(tmp_path / "o")]
    assert cli_modules(*args) == (0, False)
    assert cli_modules(*args, "--engine", "torch") == (0, True)  # the check can fail: torch's path imports it
