"""GoEmotions: the release's TSV layout, the Hub layout (a Sequence of ClassLabel), and the label mapping."""

from __future__ import annotations

from pathlib import Path

import pytest

from emotion_bilstm.data import goemotions
from emotion_bilstm.errors import DataError

ROWS = [
    ("WHY is the bus late AGAIN", "2", "a1"),  # anger
    ("I love this so much", "18", "a2"),  # love
    ("ok see you at 5", "27", "a3"),  # neutral
    ("that was scary and sad", "14,25", "a4"),  # fear + sadness: two of our emotions, left out
    ("thanks, great point", "15,4", "a5"),  # gratitude + approval: unmapped, left out
    ("so annoying and infuriating", "2,3", "a6"),  # anger + annoyance: both anger, kept
    ("not sure, maybe", "6,27", "a7"),  # neutral with another label: left out
]


def write_release(folder: Path, rows=ROWS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "labels.txt").write_text("\n".join(goemotions.LABELS) + "\n", encoding="utf-8")
    (folder / "train.tsv").write_text("".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    (folder / "dev.tsv").write_text("".join("\t".join(r) + "\n" for r in rows[:3]), encoding="utf-8")
    return folder


def test_release_folder_is_read_with_label_names(tmp_path: Path) -> None:
    folder = write_release(tmp_path / "go")
    assert goemotions.is_goemotions_folder(folder)
    splits = goemotions.read(folder)
    assert set(splits) == {"train", "validation"}
    assert splits["train"][3] == ("that was scary and sad", ("fear", "sadness"))
    assert len(splits["validation"]) == 3


def test_default_mapping_keeps_only_comments_with_one_target(tmp_path: Path) -> None:
    comments = goemotions.read(write_release(tmp_path / "go"))["train"]
    mapped = goemotions.map_comments(comments, goemotions.DEFAULT_MAPPING)
    assert mapped == [
        ("WHY is the bus late AGAIN", "anger"),
        ("I love this so much", "love"),
        ("ok see you at 5", "neutral"),
        ("so annoying and infuriating", "anger"),
    ]
    evaluation = goemotions.map_comments(comments, goemotions.EVALUATION_MAPPING)
    assert ("ok see you at 5", "neutral") not in evaluation  # neutral is not an emotion to score


def test_every_mapped_label_is_a_goemotions_label() -> None:
    assert set(goemotions.DEFAULT_MAPPING) <= set(goemotions.LABELS)
    emotions = {"sadness", "joy", "love", "anger", "fear", "surprise", "neutral"}
    assert set(goemotions.DEFAULT_MAPPING.values()) <= emotions


def test_limit_label_samples_one_label_only() -> None:
    rows = [(f"n{i}", "neutral") for i in range(10)] + [("a", "anger"), ("b", "joy")]
    kept = goemotions.limit_label(rows, "neutral", 3, seed=1)
    assert sum(label == "neutral" for _, label in kept) == 3 and ("a", "anger") in kept and ("b", "joy") in kept
    assert kept == goemotions.limit_label(rows, "neutral", 3, seed=1)  # seeded: the same rows every time


def test_hub_layout_through_datasets(tmp_path: Path) -> None:
    """The Hub's `simplified` configuration: `labels` is a Sequence(ClassLabel(28 names)), as a Parquet file."""
    from datasets import ClassLabel, Dataset, Features, Sequence, Value, load_dataset

    features = Features(
        {"text": Value("string"), "labels": Sequence(ClassLabel(names=list(goemotions.LABELS))), "id": Value("string")}
    )
    data = {"text": [r[0] for r in ROWS], "labels": [[int(i) for i in r[1].split(",")] for r in ROWS],
            "id": [r[2] for r in ROWS]}  # fmt: skip
    Dataset.from_dict(data, features=features).to_parquet(str(tmp_path / "train.parquet"))
    hub = load_dataset("parquet", data_files={"train": str(tmp_path / "train.parquet")}, features=features)
    splits = goemotions.from_datasets(hub)
    assert splits["train"][0] == ("WHY is the bus late AGAIN", ("anger",))
    assert splits["train"][3][1] == ("fear", "sadness")


@pytest.mark.parametrize(
    ("labels_txt", "train", "message"),
    [
        ("a\nb\n", "x\t0\tid\n", "not the 28 GoEmotions labels"),
        (None, "text only\n", "expected 'text<TAB>label ids"),
        (None, "text\t99\tid\n", "are not ids 0-27"),
    ],
)
def test_bad_release_files_name_the_line(tmp_path: Path, labels_txt, train: str, message: str) -> None:
    folder = write_release(tmp_path / "go")
    if labels_txt is not None:
        (folder / "labels.txt").write_text(labels_txt)
    (folder / "train.tsv").write_text(train)
    with pytest.raises(DataError, match=message):
        goemotions.read(folder)


@pytest.mark.shared_data
def test_shared_goemotions_counts(shared_goemotions: Path) -> None:
    splits = goemotions.read(shared_goemotions)
    assert (len(splits["train"]), len(splits["validation"])) == (43410, 5426)
    evaluation = goemotions.map_comments(
        [c for c in splits["validation"] if len(c[1]) == 1], goemotions.EVALUATION_MAPPING
    )
    assert len(evaluation) > 800


def test_goemotions_added_to_another_source_brings_neutral_as_id_6(tiny_dataset: Path, tmp_path: Path) -> None:
    from emotion_bilstm.data import load_splits

    go = write_release(tmp_path / "go", ROWS + [(f"the meeting is at {i}", "27", f"n{i}") for i in range(10)])
    splits = load_splits(tiny_dataset, add=[go], neutral_limit=4)
    assert splits["train"].features["label"].names == ["sadness", "joy", "love", "anger", "fear", "surprise", "neutral"]
    train = list(zip(splits["train"]["text"], splits["train"]["label"], strict=True))
    assert sum(label == 6 for _, label in train) == 4  # neutral_limit: a sample of the 11 neutral comments
    assert ("WHY is the bus late AGAIN", 3) in train and ("so annoying and infuriating", 3) in train
    assert not any(text == "that was scary and sad" for text, _ in train)  # two of our emotions: left out
    validation = splits["validation"]["text"]
    assert len(validation) == 120 + 3 and "ok see you at 5" in validation  # dev.tsv added, neutral not limited


@pytest.mark.slow
def test_training_with_goemotions_added_gives_a_seven_label_model(tiny_dataset: Path, tmp_path: Path) -> None:
    import json

    from conftest import train_tiny

    go = write_release(tmp_path / "go", ROWS * 4)
    output = tmp_path / "model"
    settings = {"add_data": [str(go)], "added_data_weight": 2.0, "keep_partly_mapped": True}
    summary = train_tiny(tiny_dataset, output, epochs=1, **settings)
    config = json.loads((output / "config.json").read_text())
    assert config["num_labels"] == 7 and config["id2label"]["6"] == "neutral"
    assert {key: summary["train_config"][key] for key in settings} == settings


def test_goemotions_folder_as_the_data_is_read_as_it_is(tmp_path: Path) -> None:
    """As --data (not added to other data), GoEmotions keeps its 28 labels in their order, several per comment."""
    from emotion_bilstm.data import is_multi_label, label_names, load_splits

    splits = load_splits(write_release(tmp_path / "go", ROWS * 3))
    names = label_names(splits["train"])
    assert is_multi_label(splits["train"]) and names == list(goemotions.LABELS)  # the Hub's ids, too
    assert sorted(names[i] for i in splits["train"][3]["label"]) == ["fear", "sadness"]


@pytest.mark.slow
def test_neutral_recall_shifts_the_neutral_logit_to_the_asked_share(tiny_dataset: Path, tmp_path: Path) -> None:
    from conftest import train_tiny

    from emotion_bilstm.model import EmotionBiLSTM

    neutral = [(f"the {thing} is at {i}", "27", f"n{i}") for i, thing in enumerate(["bus", "meeting", "call"] * 7)]
    go = write_release(tmp_path / "go", neutral[:20] + ROWS * 4)  # dev.tsv: the first 3 rows, all neutral
    output = tmp_path / "model"
    summary = train_tiny(tiny_dataset, output, add_data=[str(go)], neutral_recall=0.33, epochs=1)
    assert summary["label_recall"]["label"] == "neutral" and summary["label_recall"]["n"] == 3
    model = EmotionBiLSTM.from_pretrained(output)  # the shift is in the saved weights
    labels = [p["label"] for p in model.predict([text for text, _, _ in neutral[:3]])]
    assert labels.count("neutral") == 1, labels  # at least 33% of 3 texts: the one with the top margin


def test_keep_partly_mapped_ignores_unmapped_labels_but_not_beside_neutral() -> None:
    comments = [
        ("you are amazing, so happy for you", ("admiration", "joy")),  # joy, once admiration is ignored
        ("thanks, great point", ("gratitude", "approval")),  # nothing maps: still left out
        ("that was scary and sad", ("fear", "sadness")),  # two of our emotions: still left out
        ("not sure, maybe", ("confusion", "neutral")),  # neutral beside another label: still left out
        ("ok see you at 5", ("neutral",)),
    ]
    assert goemotions.map_comments(comments, goemotions.DEFAULT_MAPPING) == [("ok see you at 5", "neutral")]
    assert goemotions.map_comments(comments, goemotions.DEFAULT_MAPPING, keep_partly_mapped=True) == [
        ("you are amazing, so happy for you", "joy"),
        ("ok see you at 5", "neutral"),
    ]


def test_added_rows_carry_their_source_and_are_drawn_by_their_weight(tiny_dataset: Path, tmp_path: Path) -> None:
    from collections import Counter

    from emotion_bilstm.data import SOURCE_COLUMN, load_splits
    from emotion_bilstm.training import LengthBucketSampler

    go = write_release(tmp_path / "go")
    splits = load_splits(tiny_dataset, add=[go])
    sources = splits["train"][SOURCE_COLUMN]
    assert Counter(sources) == {0: 600, 1: 4} and sources[-1] == 1  # the four comments the mapping keeps
    assert set(splits["validation"][SOURCE_COLUMN]) == {0, 1}
    assert SOURCE_COLUMN not in load_splits(tiny_dataset).column_names["train"]  # one source: no column

    weights = [1.0] * 6 + [2.0] * 2 + [0.5] * 4
    sampler = LengthBucketSampler([5] * 12, batch_size=4, seed=3, weights=weights)
    epochs = []
    for epoch in (1, 2):
        sampler.set_epoch(epoch)
        drawn = Counter(i for batch in sampler for i in batch)
        assert sum(drawn.values()) == 6 + 4 + 2 and len(list(sampler)) == len(sampler) == 3
        assert all(drawn[i] == 1 for i in range(6)) and drawn[6] == drawn[7] == 2
        epochs.append(sorted(i for i in drawn if i >= 8))
        assert len(epochs[-1]) == 2  # half of the four 0.5-weighted rows
    sampler.set_epoch(1)
    assert sorted(i for batch in sampler for i in batch if i >= 8) == epochs[0]  # same epoch, same draw


def test_added_data_weight_needs_added_data(tiny_dataset: Path, tmp_path: Path) -> None:
    from conftest import train_tiny

    from emotion_bilstm.errors import EmotionBiLSTMError

    with pytest.raises(EmotionBiLSTMError, match="--add-data"):
        train_tiny(tiny_dataset, tmp_path / "m", added_data_weight=2.0)


def test_auxiliary_rows_cover_every_goemotions_comment_once(tiny_dataset: Path, tmp_path: Path) -> None:
    from emotion_bilstm.data import load_splits
    from emotion_bilstm.training.goemotions_head import auxiliary_rows

    go = write_release(tmp_path / "go")
    train_split = load_splits(tiny_dataset, add=[go])["train"]
    rows = auxiliary_rows([str(go)], train_split, with_validation=False)
    labelled = [vector for vector in rows.per_row if vector is not None]
    assert len(rows.per_row) == len(train_split) and len(labelled) == 4  # the comments the mapping keeps
    assert sorted(rows.extra_texts) == ["not sure, maybe", "thanks, great point", "that was scary and sad"]
    thanks = rows.extra_targets[rows.extra_texts.index("thanks, great point")]
    assert [goemotions.LABELS[i] for i, v in enumerate(thanks) if v] == ["approval", "gratitude"]
    assert auxiliary_rows([str(go)], train_split, with_validation=True).extra_texts == rows.extra_texts  # dev ⊂ train


@pytest.mark.slow
def test_auxiliary_loss_trains_a_head_that_is_not_saved(tiny_dataset: Path, tmp_path: Path) -> None:
    import json

    from conftest import train_tiny
    from safetensors import safe_open

    from emotion_bilstm.errors import EmotionBiLSTMError

    go = write_release(tmp_path / "go", ROWS * 4)
    output = tmp_path / "model"
    messages: list[str] = []
    summary = train_tiny(
        tiny_dataset, output, log=messages.append, epochs=1, add_data=[str(go)], goemotions_auxiliary_weight=0.5
    )
    assert summary["train_config"]["goemotions_auxiliary_weight"] == 0.5
    # ROWS * 4: repeats are dropped from training, so 4 mapped comments; the 3 the mapping leaves out join
    assert any("on 4 training comments and 3 more" in m for m in messages), messages
    with safe_open(str(output / "model.safetensors"), "pt") as weights:
        keys = list(weights.keys())
    assert "classifier.weight" in keys and not any(key.startswith(("auxiliary", "1.")) for key in keys), keys
    assert json.loads((output / "config.json").read_text())["num_labels"] == 7
    assert "also trained a second head" in (output / "README.md").read_text()  # the card says how it was trained
    with pytest.raises(EmotionBiLSTMError, match="GoEmotions"):
        train_tiny(tiny_dataset, tmp_path / "m", goemotions_auxiliary_weight=0.5)


def test_joint_loss_ignores_rows_without_a_label_and_masks_rows_without_targets() -> None:
    import torch

    from emotion_bilstm.training.goemotions_head import NO_LABEL, NUM_LABELS, joint_loss

    logits = torch.tensor([[2.0, 0.0], [0.0, 2.0]])
    labels = torch.tensor([0, NO_LABEL])
    main = torch.nn.CrossEntropyLoss(reduction="sum")
    batch = {"auxiliary_labels": torch.zeros(2, NUM_LABELS), "auxiliary_mask": torch.tensor([False, True])}
    head = torch.zeros(2, NUM_LABELS)
    head[0] = 50.0  # a huge loss on the masked row: must not count
    only_main = torch.nn.functional.cross_entropy(logits[:1], labels[:1])
    expected = only_main + 0.5 * torch.log(torch.tensor(2.0))  # the unmasked row: sigmoid(0) against 0, each label
    assert torch.isclose(joint_loss(main, logits, labels, head, batch, 0.5), expected)
    nothing = torch.tensor([NO_LABEL, NO_LABEL])  # a batch with no main label: 0, not 0/0
    assert torch.isfinite(joint_loss(main, logits, nothing, head, batch, 0.5))
