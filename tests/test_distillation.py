"""Distillation (`train --teacher/--transfer`): a tiny random BERT teacher built here, never downloaded.

The teacher is a one-layer, 16-unit BertForSequenceClassification with a WordLevel tokenizer over the
synthetic data's words, saved with save_pretrained: it exercises every path of a real teacher (Auto
classes, id2label, the fold, the cache) in well under a second.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

pytest.importorskip("transformers")

from clitools import assert_one_line_error, run_cli
from conftest import CUES, FILLER, synthetic_examples, tiny_config, train_tiny_through_cli
from hub_cache import lay_out_hub_cache

from emotion_bilstm.data import goemotions
from emotion_bilstm.errors import EmotionBiLSTMError
from emotion_bilstm.labels import LABELS

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def build_teacher(folder: Path, labels: list[str] | tuple[str, ...], seed: int = 0) -> Path:
    """A random one-layer BERT sequence classifier with `labels`, and its tokenizer, saved into `folder`."""
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

    words = [*SPECIALS, *sorted({*FILLER, "feel", *(cue for cues in CUES.values() for cue in cues)})]
    vocab = {word: i for i, word in enumerate(words)}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    backend.normalizer = normalizers.BertNormalizer(lowercase=True)
    backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])]
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=64,
    )
    config = BertConfig(
        vocab_size=len(words),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
    )
    torch.manual_seed(seed)
    model = BertForSequenceClassification(config)
    with torch.no_grad():  # logits far enough apart that the teacher has opinions
        model.classifier.weight.mul_(50)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture
def teacher_dir(tmp_path: Path) -> Path:
    return build_teacher(tmp_path / "teacher", LABELS)


def transfer_file(path: Path, data: Path) -> Path:
    """200 new texts, plus 3 training texts and a repeat that are dropped, and a blank line that is skipped."""
    texts = [text for text, _ in synthetic_examples(200, seed=3)]
    trained = [line.rpartition(";")[0] for line in (data / "train.txt").read_text().splitlines()[:3]]
    path.write_text("\n".join([*texts, *trained, texts[0], ""]) + "\n", encoding="utf-8")
    return path


def cache_file(output: Path) -> Path:
    return output.with_name(output.name + ".checkpoints") / "teacher" / "outputs.safetensors"


# ----- end to end ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_distil_a_teacher_with_a_transfer_set_through_the_cli(
    tmp_path: Path, tiny_dataset: Path, teacher_dir: Path
) -> None:
    from emotion_bilstm import EmotionBiLSTM

    output = tmp_path / "student"
    transfer = transfer_file(tmp_path / "unlabelled.txt", tiny_dataset)
    result = train_tiny_through_cli(
        tiny_dataset, output, "--teacher", str(teacher_dir), "--transfer", str(transfer), epochs=2
    )
    assert "teacher: computed" in result.stderr and "kept 200" in result.stderr

    model = EmotionBiLSTM.from_pretrained(output)
    assert model.predict(["i feel so thrilled today"])[0]["label"] in LABELS
    summary = json.loads((output / "metrics.json").read_text())
    assert summary["train_config"]["teacher"] == str(teacher_dir)
    assert summary["train_config"]["transfer"] == [str(transfer)]
    distillation = summary["distillation"]
    assert distillation["fingerprint"].startswith("sha256:")
    assert (distillation["alpha"], distillation["temperature"], distillation["loss"]) == (0.5, 2.0, "kl")
    assert distillation["transfer"]["sources"] == [{"source": str(transfer), "read": 204, "kept": 200}]
    assert distillation["transfer"]["dropped"] == {"repeated": 1, "in_the_data": 3, "in_everyday": 0, "empty": 0}
    assert distillation["rows"]["transfer"] == 200
    assert distillation["label_fold"]["groups"]["joy"] == ["joy"]
    assert 0 <= distillation["teacher_validation_accuracy"] <= 1
    assert cache_file(output).is_file()


@pytest.mark.slow
def test_resume_and_a_rerun_reuse_the_cached_outputs_and_another_teacher_recomputes(
    tmp_path: Path, tiny_dataset: Path, teacher_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safetensors import safe_open

    from emotion_bilstm.training import teacher, train

    runs: list[int] = []
    real_run = teacher.run_teacher

    def counted(folder, texts, *args):
        runs.append(len(texts))
        return real_run(folder, texts, *args)

    monkeypatch.setattr(teacher, "run_teacher", counted)
    output = tmp_path / "student"
    config = tiny_config(tiny_dataset, output, epochs=1, teacher=str(teacher_dir))
    train(config, show_progress=False)
    assert runs == [600 + 120]  # every training and validation text, once
    cached = cache_file(output)
    written = cached.stat().st_mtime_ns

    train(tiny_config(tiny_dataset, output, epochs=1, teacher=str(teacher_dir), resume=True), show_progress=False)
    train(tiny_config(tiny_dataset, output, epochs=1, teacher=str(teacher_dir), overwrite=True), show_progress=False)
    assert runs == [720] and cached.stat().st_mtime_ns == written  # neither ran the teacher nor rewrote the file

    build_teacher(teacher_dir, LABELS, seed=1)  # the same folder, other weights: another fingerprint
    train(tiny_config(tiny_dataset, output, epochs=1, teacher=str(teacher_dir), overwrite=True), show_progress=False)
    assert runs == [720, 720]
    with safe_open(str(cached), framework="pt") as handle:
        assert handle.metadata()["fingerprint"] == teacher.fingerprint(teacher_dir)


@pytest.mark.slow
def test_augmented_copies_join_the_transfer_set_and_a_rerun_reuses_their_teacher_outputs(
    tmp_path: Path, tiny_dataset: Path, teacher_dir: Path
) -> None:
    from emotion_bilstm.training import train

    output = tmp_path / "student"
    result = train_tiny_through_cli(
        tiny_dataset, output, "--teacher", str(teacher_dir), "--transfer-augment", "2", epochs=1
    )
    assert "--transfer-augment 2: 1200 copies of 600 training texts" in result.stderr
    assert "no swaps (no --pretrained-vectors)" in result.stderr
    distillation = json.loads((output / "metrics.json").read_text())["distillation"]
    augmented = distillation["transfer_augment"]
    assert (augmented["per_text"], augmented["made"], augmented["swaps_from"]) == (2, 1200, None)
    assert 0 < augmented["kept"] < 1200  # some copies are their text unchanged, or repeats
    assert distillation["rows"]["transfer"] == augmented["kept"] == distillation["transfer"]["texts"]
    assert distillation["teacher_outputs"]["computed"] == 720 + augmented["kept"]

    again = train(
        tiny_config(tiny_dataset, output, epochs=1, teacher=str(teacher_dir), transfer_augment=2, overwrite=True),
        show_progress=False,
    )["distillation"]
    assert again["transfer_augment"] == augmented and again["teacher_outputs"]["computed"] == 0  # the same copies


# ----- training from a teacher's cached outputs alone ---------------------------------------------------

MADE_UP = "sha256:made-up"  # the fingerprint of a teacher that never existed: only its outputs file does


def data_texts(data: Path) -> list[str]:
    """The tiny dataset's training and validation texts (every text a run on it needs without --transfer)."""
    lines = [*(data / "train.txt").read_text().splitlines(), *(data / "validation.txt").read_text().splitlines()]
    return [line.rpartition(";")[0] for line in lines]


def write_outputs_file(path: Path, texts: list[str], labels: list[str] | tuple[str, ...] = LABELS, **about: str):
    """A teacher-outputs file as the cache writes it: random log-probabilities for `texts` over `labels`,
    folded by name; `about` replaces metadata (a value of "" drops that entry). Returns its rows by text."""
    import torch

    from emotion_bilstm.training import teacher_cache
    from emotion_bilstm.training.teacher_labels import fold_labels

    fold = fold_labels(list(labels), list(labels))
    torch.manual_seed(0)
    rows = {text: torch.randn(len(labels)).log_softmax(-1) for text in texts}
    metadata = {**teacher_cache.cache_about("made-up-teacher", MADE_UP, fold), **about}
    metadata = {name: value for name, value in metadata.items() if value}
    by_hash = {teacher_cache.text_hash(text): row for text, row in rows.items()}
    teacher_cache.write_cache(path, by_hash, teacher_cache.cache_key(MADE_UP, fold), metadata)
    return rows


class NoTransformers:
    """An import hook that finds no `transformers`, as where it is not installed."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name.partition(".")[0] == "transformers":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


def without_transformers(monkeypatch: pytest.MonkeyPatch) -> None:
    """`import transformers` raises ImportError and it is not in sys.modules (`datasets` looks there, so
    a None entry would break it), and the teacher is never run."""
    from emotion_bilstm.training import teacher

    for name in [name for name in sys.modules if name.partition(".")[0] == "transformers"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [NoTransformers(), *sys.meta_path])
    monkeypatch.setattr(teacher, "run_teacher", lambda *args: pytest.fail("the teacher was run"))
    with pytest.raises(ImportError):
        import transformers  # noqa: F401


def recording_prepare(monkeypatch: pytest.MonkeyPatch) -> list:
    """The Distillation each run's `distill.prepare` returns, in order."""
    from emotion_bilstm.training import distill

    prepared, real = [], distill.prepare
    monkeypatch.setattr(distill, "prepare", lambda *args: prepared.append(real(*args)) or prepared[-1])
    return prepared


def test_a_run_reads_its_teacher_targets_from_an_outputs_file_alone(
    tmp_path: Path, tiny_dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    from emotion_bilstm.training import train

    texts = data_texts(tiny_dataset)
    outputs = tmp_path / "outputs.safetensors"
    rows = write_outputs_file(outputs, [*texts, "a text this run does not need"])
    written = outputs.read_bytes()
    without_transformers(monkeypatch)
    prepared = recording_prepare(monkeypatch)
    summary = train(tiny_config(tiny_dataset, tmp_path / "o", epochs=1, teacher=str(outputs)), show_progress=False)

    train_texts = texts[:600]  # the targets are the training rows' (no transfer set here), in the data's order
    assert torch.equal(prepared[0].targets, torch.stack([rows[text] for text in train_texts]))
    distillation = summary["distillation"]
    assert (distillation["teacher"], distillation["fingerprint"]) == ("made-up-teacher", MADE_UP)
    assert distillation["teacher_outputs"] == {"computed": 0, "read_from": str(outputs.resolve())}
    assert distillation["label_fold"]["groups"]["joy"] == ["joy"]
    assert outputs.read_bytes() == written  # only read
    assert not cache_file(tmp_path / "o").exists()  # nothing copied: --resume reads the same file again


@pytest.mark.slow
def test_a_run_from_the_teachers_cache_alone_has_the_targets_of_the_run_with_the_teacher(
    tmp_path: Path, tiny_dataset: Path, teacher_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    import torch

    from emotion_bilstm.training import train

    prepared = recording_prepare(monkeypatch)
    transfer = [str(transfer_file(tmp_path / "unlabelled.txt", tiny_dataset))]
    config = tiny_config(tiny_dataset, tmp_path / "taught", epochs=1, teacher=str(teacher_dir), transfer=transfer)
    taught = train(config, show_progress=False)["distillation"]
    committed = tmp_path / "teachers" / "tiny"  # as data/teachers/NAME: the outputs and no config.json
    committed.mkdir(parents=True)
    shutil.copy(cache_file(tmp_path / "taught"), committed / "outputs.safetensors")
    shutil.rmtree(teacher_dir)
    without_transformers(monkeypatch)

    config = tiny_config(tiny_dataset, tmp_path / "alone", epochs=1, teacher=str(committed), transfer=transfer)
    alone = train(config, show_progress=False)["distillation"]
    assert len(prepared[1].targets) == 800 and torch.equal(prepared[0].targets, prepared[1].targets)
    assert (alone["teacher"], alone["fingerprint"]) == (str(teacher_dir), taught["fingerprint"])
    assert alone["teacher_outputs"] == {"computed": 0, "read_from": str((committed / "outputs.safetensors").resolve())}
    for name in ("teacher_labels", "label_fold", "transfer", "rows", "teacher_validation_accuracy"):
        assert alone[name] == taught[name], name


def test_a_run_needing_texts_the_outputs_file_lacks_is_refused_in_one_line(tmp_path: Path, tiny_dataset: Path) -> None:
    outputs = tmp_path / "outputs.safetensors"
    write_outputs_file(outputs, data_texts(tiny_dataset)[5:])
    result = run_cli("train", "--data", str(tiny_dataset), "-o", str(tmp_path / "out"), "--cpu", "--no-progress",
                     "--teacher", str(outputs))  # fmt: skip
    assert_one_line_error(result, "no teacher outputs for 5 of the 720 texts", "with the teacher itself",
                          progress_lines_ok=True)  # fmt: skip
    assert not (tmp_path / "out").exists()


def test_an_outputs_file_over_other_labels_is_refused_naming_both(tmp_path: Path, tiny_dataset: Path) -> None:
    from emotion_bilstm.training import train

    outputs = tmp_path / "outputs.safetensors"
    write_outputs_file(outputs, data_texts(tiny_dataset), labels=LABELS[::-1])  # the same labels, another order
    with pytest.raises(EmotionBiLSTMError) as refused:
        train(tiny_config(tiny_dataset, tmp_path / "o", teacher=str(outputs)), show_progress=False)
    message = str(refused.value)
    assert f"over the labels {', '.join(LABELS[::-1])}, this run's are {', '.join(LABELS)}" in message
    assert "\n" not in message


def test_an_outputs_file_is_refused_with_a_label_map_or_without_its_labels_recorded(tmp_path: Path) -> None:
    from emotion_bilstm.training.distill import check_settings

    outputs = tmp_path / "outputs.safetensors"
    write_outputs_file(outputs, ["a text"])
    (tmp_path / "map.json").write_text("{}")
    with pytest.raises(EmotionBiLSTMError, match="already folded onto the student's labels"):
        check_settings(
            tiny_config(tmp_path, tmp_path / "o", teacher=str(outputs), teacher_label_map=str(tmp_path / "map.json"))
        )
    assert check_settings(tiny_config(tmp_path, tmp_path / "o", teacher=str(tmp_path))) == outputs  # its folder

    write_outputs_file(outputs, ["a text"], student_labels="", teacher_labels="", label_fold="")  # as before
    with pytest.raises(EmotionBiLSTMError, match="does not record the student's labels"):
        check_settings(tiny_config(tmp_path, tmp_path / "o", teacher=str(outputs)))
    write_outputs_file(outputs, ["a text"], fingerprint="sha256:another")  # the key is not the metadata's
    with pytest.raises(EmotionBiLSTMError, match="does not give its key"):
        check_settings(tiny_config(tmp_path, tmp_path / "o", teacher=str(outputs)))


def test_a_cache_written_before_the_labels_were_recorded_is_rewritten_with_them(tmp_path: Path) -> None:
    import contextlib

    import torch

    from emotion_bilstm.training import teacher_cache
    from emotion_bilstm.training.teacher_labels import fold_labels

    class OneProcess:
        is_main_process = True
        main_process_first = staticmethod(contextlib.nullcontext)

    cache = tmp_path / "outputs.safetensors"
    rows = write_outputs_file(cache, ["one text", "another"], student_labels="", teacher_labels="", label_fold="")
    fold = fold_labels(list(LABELS), list(LABELS))
    about = teacher_cache.cache_about("made-up-teacher", MADE_UP, fold)
    key = teacher_cache.cache_key(MADE_UP, fold)
    outputs, computed = teacher_cache.cached_outputs(
        ["another"], cache, key, lambda texts: pytest.fail("computed"), OneProcess(), lambda line: None, about
    )
    assert computed == 0 and torch.equal(outputs[0], rows["another"])
    recorded = teacher_cache.recorded_teacher(cache)
    assert recorded.fold == fold and len(teacher_cache.read_rows(cache)[0]) == 2  # every row kept


def test_the_committed_teacher_outputs_can_be_trained_from() -> None:
    from emotion_bilstm.training import teacher_cache

    folder = Path(__file__).resolve().parent.parent / "data" / "teachers" / "minilm-l6-e1-len64-lr5e-05-seed42"
    recorded = teacher_cache.recorded_teacher(teacher_cache.outputs_file(str(folder)))  # its key checked too
    assert recorded.fold.student_labels == (*LABELS, "neutral") == recorded.fold.teacher_labels
    assert recorded.fold.targets == tuple(range(7))
    assert recorded.fingerprint == "sha256:552ff1b8c281d9fe2467196839f86fc27d199d7aaf60ccd1a19a319c602bd5a3"


# ----- the label fold ----------------------------------------------------------------------------------


def test_a_goemotions_teacher_is_folded_onto_the_students_labels(tmp_path: Path) -> None:
    import torch

    from emotion_bilstm.training import teacher
    from emotion_bilstm.training.teacher_labels import fold_labels

    names = [name.capitalize() for name in goemotions.LABELS]  # names match case-insensitively
    folder = build_teacher(tmp_path / "goemotions-teacher", names)
    fold = fold_labels(teacher.teacher_labels(folder), list(LABELS))
    assert fold.goemotions
    assert fold.groups() == {
        "sadness": ["Grief", "Sadness"],
        "joy": ["Excitement", "Joy"],
        "love": ["Love"],
        "anger": ["Anger", "Annoyance"],
        "fear": ["Fear", "Nervousness"],
        "surprise": ["Surprise"],
    }
    assert "Admiration" in fold.dropped() and "Neutral" in fold.dropped()  # the 6-label student has no neutral

    texts = ["i feel so thrilled today", "my friend went home gloomy"]
    folded = teacher.run_teacher(folder, texts, fold, "cpu", lambda n: None)
    model, tokenizer = teacher.load_teacher(folder)
    with torch.no_grad():
        probs = model(**tokenizer(texts, padding=True, return_tensors="pt")).logits.softmax(-1)
    index = {name: i for i, name in enumerate(names)}
    summed = torch.stack([probs[:, [index[t] for t in group]].sum(-1) for group in fold.groups().values()], dim=1)
    assert torch.allclose(folded.exp(), summed / summed.sum(-1, keepdim=True), atol=1e-5)


def test_the_label_map_maps_and_drops_and_refuses_labels_it_cannot_place(tmp_path: Path) -> None:
    from emotion_bilstm.training.teacher_labels import fold_labels

    teacher_labels = ["SAD", "happy", "love", "anger", "fear", "surprise", "boredom"]
    label_map = tmp_path / "map.json"
    label_map.write_text(json.dumps({"SAD": "sadness", "happy": "Joy", "boredom": None}))
    fold = fold_labels(teacher_labels, list(LABELS), label_map)
    assert fold.groups()["sadness"] == ["SAD"] and fold.groups()["joy"] == ["happy"] and fold.dropped() == ["boredom"]

    with pytest.raises(EmotionBiLSTMError, match=r"teacher label\(s\) SAD, happy, boredom match no student label"):
        fold_labels(teacher_labels, list(LABELS))
    with pytest.raises(EmotionBiLSTMError, match=r"no teacher label maps onto student label\(s\) love,"):
        fold_labels(["sadness", "joy", "anger", "fear", "surprise"], list(LABELS))
    label_map.write_text(json.dumps({"grumpy": "anger"}))
    with pytest.raises(EmotionBiLSTMError, match=r"the teacher has no label\(s\) grumpy"):
        fold_labels(teacher_labels, list(LABELS), label_map)
    label_map.write_text(json.dumps({"boredom": "calm"}))
    with pytest.raises(EmotionBiLSTMError, match=r"the student has no label\(s\) calm"):
        fold_labels(teacher_labels, list(LABELS), label_map)


def test_an_unmapped_teacher_label_is_refused_in_one_line(tmp_path: Path, tiny_dataset: Path) -> None:
    folder = build_teacher(tmp_path / "teacher", [*LABELS, "boredom"])
    result = run_cli("train", "--data", str(tiny_dataset), "-o", str(tmp_path / "out"), "--cpu", "--no-progress",
                     "--teacher", str(folder))  # fmt: skip
    assert_one_line_error(result, "boredom", "--teacher-label-map", progress_lines_ok=True)
    assert not (tmp_path / "out").exists()


# ----- refusals before any data is read ----------------------------------------------------------------


def test_transfer_and_the_other_distillation_options_need_a_teacher(tmp_path: Path) -> None:
    from emotion_bilstm.training.distill import check_settings

    result = run_cli("train", "--data", str(tmp_path / "none"), "-o", str(tmp_path / "o"), "--transfer", "x.txt")
    assert_one_line_error(result, "--transfer", "give --teacher too")
    with pytest.raises(EmotionBiLSTMError, match="--distill-alpha, --distill-loss distil"):
        check_settings(tiny_config(tmp_path, tmp_path / "o", distill_alpha=0.8, distill_loss="mse"))
    assert check_settings(tiny_config(tmp_path, tmp_path / "o")) is None


def test_a_multi_label_student_is_refused(tmp_path: Path, teacher_dir: Path) -> None:
    from emotion_bilstm.training.distill import check_settings

    with pytest.raises(EmotionBiLSTMError, match="single-label students only"):
        check_settings(tiny_config(tmp_path, tmp_path / "o", teacher=str(teacher_dir), multi_label=True))


def test_without_transformers_the_message_names_the_extra(
    tmp_path: Path, teacher_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from emotion_bilstm.cli import app

    monkeypatch.setitem(sys.modules, "transformers", None)  # `import transformers` raises ImportError
    args = ["train", "--data", str(tmp_path / "none"), "-o", str(tmp_path / "o"), "--teacher", str(teacher_dir)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert 'pip install "emotion-bilstm[teacher]"' in result.stderr and "Traceback" not in result.stderr


def test_a_teacher_that_is_neither_a_folder_nor_a_hub_id_is_refused(tmp_path: Path) -> None:
    from emotion_bilstm.training.distill import check_settings

    with pytest.raises(EmotionBiLSTMError, match="not a model folder or a Hub id"):
        check_settings(tiny_config(tmp_path, tmp_path / "o", teacher=str(tmp_path / "missing")))
    (tmp_path / "empty").mkdir()
    with pytest.raises(EmotionBiLSTMError, match=r"no config\.json"):
        check_settings(tiny_config(tmp_path, tmp_path / "o", teacher=str(tmp_path / "empty")))


def test_a_hub_id_is_read_from_the_hugging_face_cache_with_the_folders_fingerprint(
    tmp_path: Path, teacher_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants

    from emotion_bilstm.training import teacher

    snapshot = lay_out_hub_cache(tmp_path / "cache", "someone/tiny-teacher", teacher_dir)  # links to blobs
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    folder = teacher.teacher_folder("someone/tiny-teacher")
    assert folder.resolve() == snapshot.resolve()
    assert teacher.teacher_labels(folder) == list(LABELS)
    assert teacher.fingerprint(folder) == teacher.fingerprint(teacher_dir)  # contents, not paths or times
    with pytest.raises(EmotionBiLSTMError, match="someone/absent: could not be fetched from the Hub"):
        teacher.teacher_folder("someone/absent")


# ----- the transfer set --------------------------------------------------------------------------------


def test_transfer_sources_are_read_and_deduplicated(tmp_path: Path) -> None:
    from emotion_bilstm.training.transfer import transfer_set

    (tmp_path / "lines.txt").write_text("One new text\n\n  one NEW text  \nA training text\n", encoding="utf-8")
    (tmp_path / "rows.csv").write_text('text,label\n"a csv text, quoted",joy\nan everyday text,x\n', encoding="utf-8")
    (tmp_path / "rows.jsonl").write_text('{"sentence": "a json text"}\n{"sentence": "ONE new text"}\n')
    release = tmp_path / "goemotions"
    release.mkdir()
    (release / "labels.txt").write_text("\n".join(goemotions.LABELS) + "\n", encoding="utf-8")
    (release / "train.tsv").write_text("a comment trained on\t17\tc1\na comment left out\t0\tc2\n", encoding="utf-8")
    (release / "dev.tsv").write_text("a dev comment\t17\tc3\n", encoding="utf-8")
    everyday = tmp_path / "everyday"
    everyday.mkdir()
    (everyday / "test.tsv").write_text("text\tlabel\nAn everyday text\tjoy\n", encoding="utf-8")

    sources = [str(tmp_path / name) for name in ("lines.txt", "rows.csv", "rows.jsonl", "goemotions")]
    data_texts = ["a training text", "A comment trained on"]
    found = transfer_set(sources, data_texts, lambda message: None, everyday=everyday)
    assert found.texts == ["One new text", "a csv text, quoted", "a json text", "a comment left out"]
    assert [(s["read"], s["kept"]) for s in found.sources] == [(3, 1), (2, 1), (2, 1), (2, 1)]
    assert found.dropped == {"repeated": 2, "in_the_data": 2, "in_everyday": 1, "empty": 0}


def test_a_transfer_file_without_a_text_column_is_refused(tmp_path: Path) -> None:
    from emotion_bilstm.errors import DataError
    from emotion_bilstm.training.transfer import transfer_set

    (tmp_path / "rows.csv").write_text("body,label\nsome text,joy\n", encoding="utf-8")
    with pytest.raises(DataError, match="no text column"):
        transfer_set([str(tmp_path / "rows.csv")], [], lambda message: None)
    with pytest.raises(DataError, match="no such file or folder"):
        transfer_set([str(tmp_path / "missing.txt")], [], lambda message: None)


# ----- the loss ----------------------------------------------------------------------------------------


def test_labelled_rows_mix_the_teacher_and_the_label_and_transfer_rows_have_the_teacher_alone(tmp_path: Path) -> None:
    import torch

    from emotion_bilstm.training.distill import distillation_loss, teacher_term
    from emotion_bilstm.training.goemotions_head import NO_LABEL

    torch.manual_seed(0)
    logits, teacher = torch.randn(3, 4), torch.randn(3, 4).log_softmax(-1)
    labels = torch.tensor([1, 2, NO_LABEL])
    ce = torch.nn.CrossEntropyLoss(reduction="sum")
    config = tiny_config(tmp_path, tmp_path / "o", distill_alpha=0.25, distill_temperature=3.0)

    t = 3.0
    p, log_q = (teacher / t).softmax(-1), (logits / t).log_softmax(-1)
    kl = t * t * (p * (p.log() - log_q)).sum(-1)
    assert torch.allclose(teacher_term(logits, teacher, t, "kl"), kl, atol=1e-6)
    per_row_ce = torch.nn.functional.cross_entropy(logits[:2], labels[:2], reduction="none")
    expected = (0.25 * kl[0] + 0.75 * per_row_ce[0] + 0.25 * kl[1] + 0.75 * per_row_ce[1] + kl[2]) / 3
    assert torch.allclose(distillation_loss(ce, logits, labels, teacher, config), expected, atol=1e-6)

    # mse: centred logits against centred log-probabilities, so a constant shift of either costs nothing
    assert torch.allclose(teacher_term(teacher + 5.0, teacher, t, "mse"), torch.zeros(3), atol=1e-6)
    assert torch.all(teacher_term(logits, teacher, t, "mse") > 0)


def test_the_card_names_a_teacher_and_transfer_sources_without_the_machines_paths() -> None:
    from emotion_bilstm.card import distillation_context

    shown = distillation_context(
        {
            "teacher": "/home/me/runs/teachers/minilm-mean",
            "transfer": {"texts": 3, "sources": [{"source": "/data/goemotions"}, {"source": "/tmp/x/more.txt"}]},
            "alpha": 0.2,
        }
    )
    assert shown["teacher"] == "minilm-mean" and shown["alpha"] == 0.2
    assert [s["source"] for s in shown["transfer"]["sources"]] == ["GoEmotions train comments", "more.txt"]
    assert distillation_context({"teacher": "owner/emotion-model"})["teacher"] == "owner/emotion-model"  # a Hub id
    assert distillation_context({"teacher": "data/teachers/t1/outputs.safetensors"})["teacher"] == "t1"
