"""The model card: `model_card.md` (a Jinja template) rendered with huggingface_hub's `ModelCard`.

Everything the card states comes from the model itself (config, parameter count), the folder it was
saved to (file sizes, stored dtype) and `model.training_summary` (what training wrote to
metrics.json). A section whose figures are absent is left out rather than filled with placeholders.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .folder_reads import CARD_NAME, WEIGHTS_NAME
from .labels import LABELS
from .metrics import model_labels
from .model_folder import stored_dtypes

DATASET_ID = "dair-ai/emotion"
# Training settings the card's table lists; the dropouts are under Architecture, read from config.json.
HYPERPARAMETERS = (
    "epochs",
    "batch_size",
    "learning_rate",
    "weight_decay",
    "warmup_ratio",
    "max_grad_norm",
    "label_smoothing",
    "class_weights",
    "pretrained_vectors",
    "extra_vocab",
    "patience",
    "tokenizer",
    "min_frequency",
    "seed",
    "mixed_precision",
)


def hub_metadata() -> dict[str, Any]:
    """The Hub metadata of every model: the card's YAML block, and the Hub mixin's class arguments.

    A fresh dict each call: the mixin appends its own tags to the list it is given.
    """
    return {
        "license": "mit",
        "language": "en",
        "library_name": "emotion-bilstm",
        "pipeline_tag": "text-classification",
        "tags": ["emotion", "bilstm", "text-classification", "pytorch"],
    }


def template_path() -> Path:
    """`model_card.md` ships inside the wheel; in a checkout it sits at the top level."""
    packaged = Path(__file__).parent / "model_card.md"
    return packaged if packaged.exists() else Path(__file__).parent.parent / "model_card.md"


def measured_split(summary: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The split the headline figures were measured on: test when training scored it, else validation."""
    for split in ("test", "validation"):
        metrics = summary.get(split)
        if isinstance(metrics, dict) and "accuracy" in metrics and "macro_f1" in metrics:
            return split, metrics
    return None


def dataset_of(labels: list[str], summary: dict[str, Any]) -> str:
    """The dataset the card names: dair-ai/emotion for the six emotions, else the data trained on.

    A model whose labels begin with the six (say, with `neutral` added) is dair-ai's label set, and
    the card describes that dataset; any other set names what training read (a Hub id or a file name).
    """
    if labels[: len(LABELS)] == list(LABELS):
        return DATASET_ID
    data = str((summary.get("train_config") or {}).get("data") or "")
    if re.fullmatch(r"[\w.-]+/[\w.-]+", data) and not Path(data).exists():
        return data  # a Hub dataset id
    return Path(data).name or "custom"


def eval_results(summary: dict[str, Any], dataset: str = DATASET_ID) -> list[Any] | None:
    """`EvalResult`s for accuracy and macro-F1, so the Hub shows its results box."""
    from huggingface_hub import EvalResult

    measured = measured_split(summary)
    if measured is None:
        return None
    per_dataset = per_dataset_results(summary)
    if per_dataset:
        return per_dataset
    split, metrics = measured
    # When the shipped weights also trained on the split, its figures come from a run that did not:
    # the results box must say so, since it shows no body text.
    qualifier = " (train-only run, same recipe and seed)" if split in str(summary.get("trained_on", "")) else ""
    common = {
        "task_type": "text-classification",
        "task_name": "Text Classification",
        "dataset_type": dataset,
        "dataset_name": "emotion" if dataset == DATASET_ID else dataset,
        **({"dataset_config": "split"} if dataset == DATASET_ID else {}),
        "dataset_split": split,
    }
    if metrics.get("multi_label"):  # GoEmotions' own figures: micro- and macro-averaged F1
        return [
            EvalResult(
                metric_type="f1",
                metric_name=f"Micro F1{qualifier}",
                metric_value=round(metrics["micro_f1"], 4),
                metric_args={"average": "micro"},
                **common,
            ),
            EvalResult(
                metric_type="f1",
                metric_name=f"Macro F1{qualifier}",
                metric_value=round(metrics["macro_f1"], 4),
                metric_args={"average": "macro"},
                **common,
            ),
        ]
    return [
        EvalResult(
            metric_type="accuracy",
            metric_name=f"Accuracy{qualifier}",
            metric_value=round(metrics["accuracy"], 4),
            **common,
        ),
        EvalResult(
            metric_type="f1",
            metric_name=f"Macro F1{qualifier}",
            metric_value=round(metrics["macro_f1"], 4),
            metric_args={"average": "macro"},
            **common,
        ),
    ]


def per_dataset_results(summary: dict[str, Any]) -> list[Any] | None:
    """A model trained on dair-ai and GoEmotions together: one result per dataset, never the blend.

    Its validation split joins both datasets, so one accuracy over it describes neither; the results
    box shows dair-ai validation accuracy and GoEmotions validation emotion accuracy (of the
    train-only run when the shipped weights saw validation).
    """
    from huggingface_hub import EvalResult

    robustness = summary.get("robustness") or {}
    figures = robustness.get("heldout_model") or robustness
    real = figures.get("goemotions_validation")
    clean = (figures.get("perturbed_validation") or {}).get("clean")
    if not isinstance(real, dict) or not isinstance(clean, (int, float)):
        return None
    qualifier = " (train-only run, same recipe and seed)" if "heldout_model" in robustness else ""
    task = {"task_type": "text-classification", "task_name": "Text Classification", "dataset_split": "validation"}
    return [
        EvalResult(
            metric_type="accuracy",
            metric_name=f"Accuracy{qualifier}",
            metric_value=round(clean, 4),
            dataset_type=DATASET_ID,
            dataset_name="emotion",
            dataset_config="split",
            **task,
        ),
        EvalResult(
            metric_type="accuracy",
            metric_name=f"Accuracy on the six emotions' comments, neutral answers wrong{qualifier}",
            metric_value=round(real["emotions_accuracy"], 4),
            dataset_type="google-research-datasets/go_emotions",
            dataset_name="go_emotions",
            dataset_config="simplified",
            **task,
        ),
    ]


def human_size(num_bytes: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if num_bytes < 1000 or unit == "GB":
            return f"{num_bytes:.0f} {unit}" if unit == "B" else f"{num_bytes:.1f} {unit}"
        num_bytes /= 1000
    raise AssertionError("unreachable")


def folder_facts(folder: Path | None) -> dict[str, Any]:
    """File sizes and the dtype the weights are stored in, read from a saved model folder."""
    if folder is None or not (folder / WEIGHTS_NAME).exists():
        return {}
    # The card is README.md itself, so it does not list its own size.
    files = [
        {"name": p.name, "size": human_size(p.stat().st_size)}
        for p in sorted(folder.iterdir())
        if p.is_file() and not p.name.startswith(".") and p.name != CARD_NAME
    ]
    return {
        "files": files,
        "weights_size": human_size((folder / WEIGHTS_NAME).stat().st_size),
        "weights_dtype": ", ".join(stored_dtypes(folder / WEIGHTS_NAME)),
    }


def card_context(model: Any, summary: dict[str, Any], folder: Path | None) -> dict[str, Any]:
    """The values the template reads, computed here so that the template stays plain markdown."""
    labels = model_labels(model)
    context: dict[str, Any] = {
        "config": model.config.to_json(),  # config.json as the template has always read it
        "labels": labels,
        "emotion_six": labels[: len(LABELS)] == list(LABELS),
        "multi_label": bool(getattr(model, "multi_label", False)),
        "thresholds": display_thresholds(getattr(model, "thresholds", None)),
        "dataset_name": dataset_of(labels, summary),
        "parameters": f"{sum(p.numel() for p in model.parameters()):,}",
        **folder_facts(folder),
    }
    measured = measured_split(summary)
    if measured is not None:
        split, metrics = measured
        context["split"] = split
        context["results"] = metrics
        per_class = metrics.get("per_class") or {}
        if per_class:
            weakest = min(per_class, key=lambda name: per_class[name]["f1"])
            context["weakest"] = {"label": weakest, "f1": per_class[weakest]["f1"]}
        matrix = metrics.get("confusion_matrix")
        if matrix:
            names = metrics.get("labels", labels)
            context["confusion"] = list(zip(names, matrix, strict=False))
            count, true, predicted = max(
                (matrix[i][j], i, j) for i in range(len(matrix)) for j in range(len(matrix)) if i != j
            )
            if count:
                context["most_confused"] = {"true": names[true], "predicted": names[predicted], "count": count}
    for key in ("trained_on", "validation_note"):
        if isinstance(summary.get(key), str) and summary[key]:
            context[key] = summary[key]
    train_config = summary.get("train_config") or {}
    context["hyperparameters"] = [
        # a vectors folder by its name, as a teacher's
        (name, shown_source(value) if name == "pretrained_vectors" else value)
        for name in HYPERPARAMETERS
        if (value := train_config.get(name)) is not None
    ]
    if train_config.get("pretrained_vectors"):
        context["pretrained_vectors"] = shown_source(train_config["pretrained_vectors"])
        context["extra_vocab"] = train_config.get("extra_vocab", 0)
    calibration = summary.get("calibration")
    if isinstance(calibration, dict) and isinstance(calibration.get("temperature"), (int, float)):
        context["calibration"] = calibration
    if isinstance(summary.get("recipe_selection"), dict) and summary["recipe_selection"].get("levers"):
        context["recipe_selection"] = summary["recipe_selection"]
    if any(is_goemotions_source(source) for source in train_config.get("add_data") or []):
        context["goemotions"] = goemotions_context(train_config)
    if isinstance(summary.get("label_recall"), dict):
        context["label_recall"] = summary["label_recall"]
    if isinstance(summary.get("distillation"), dict):
        context["distillation"] = distillation_context(summary["distillation"])
    if isinstance(summary.get("everyday_selection"), dict) and summary["everyday_selection"].get("recipe"):
        context["everyday_selection"] = summary["everyday_selection"]
    for key in ("robustness", "speed"):
        rows = figure_rows(summary.get(key))
        if rows:
            context[key] = rows
    return context


def display_thresholds(thresholds: list[float] | None) -> list[float] | None:
    """Thresholds for the labels table, to 4 decimals (calibration stores them to 12: sigmoid(logit(t) / T))."""
    return None if thresholds is None else [round(float(t), 4) for t in thresholds]


def is_goemotions_source(source: str) -> bool:
    """Whether a recorded `--add-data` source was GoEmotions; by name too, since a card may be rendered
    again where the training data no longer is."""
    from .data.goemotions import HUB_ID, is_goemotions_folder

    return source == HUB_ID or is_goemotions_folder(source) or Path(source).name == "goemotions"


def shown_source(source: str) -> str:
    """A path recorded in metrics.json as a card reader can use it: a Hub id as it is, GoEmotions by
    name, a local path by its last part (the machine's folders mean nothing on the Hub, and leak)."""
    if is_goemotions_source(source):
        return "GoEmotions train comments"
    path = Path(source)
    looks_local = path.is_absolute() or source.startswith(".") or source.count("/") != 1 or path.exists()
    if not looks_local:
        return source
    return path.parent.name if path.suffix == ".safetensors" else path.name  # a teacher's outputs: its folder


def distillation_context(distillation: dict[str, Any]) -> dict[str, Any]:
    """metrics.json's distillation summary, with the teacher and transfer sources named by `shown_source`."""
    shown = {**distillation, "teacher": shown_source(str(distillation.get("teacher", "")))}
    transfer = distillation.get("transfer")
    if isinstance(transfer, dict) and isinstance(transfer.get("sources"), list):
        sources = [{**item, "source": shown_source(str(item.get("source", "")))} for item in transfer["sources"]]
        shown["transfer"] = {**transfer, "sources": sources}
    return shown


def goemotions_context(train_config: dict[str, Any]) -> dict[str, Any]:
    """The GoEmotions -> default labels mapping as table rows, and what was left out."""
    from .data.goemotions import DEFAULT_MAPPING, LABELS

    targets: dict[str, list[str]] = {}
    for source, target in DEFAULT_MAPPING.items():
        targets.setdefault(target, []).append(source)
    return {
        "mapping": sorted(targets.items(), key=lambda item: list(DEFAULT_MAPPING.values()).index(item[0])),
        "left_out": [name for name in LABELS if name not in DEFAULT_MAPPING],
        "neutral_limit": train_config.get("neutral_limit"),
        "keep_partly_mapped": bool(train_config.get("keep_partly_mapped")),
        "auxiliary_weight": train_config.get("goemotions_auxiliary_weight") or 0,
    }


def figure_rows(figures: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Flatten a nested dict of figures into (name, value) table rows, leaving out empty values."""
    if not isinstance(figures, dict):
        return []
    rows = []
    for name, value in figures.items():
        label = f"{prefix}{name}".replace("_", " ")
        if isinstance(value, dict):
            rows += figure_rows(value, f"{prefix}{name} / ")
        elif isinstance(value, bool) or value is None or value == "":
            continue
        elif isinstance(value, float):
            rows.append((label, f"{value:.4f}".rstrip("0").rstrip(".") if value == value else "n/a"))
        elif isinstance(value, (int, str)):
            rows.append((label, f"{value:,}" if isinstance(value, int) else value))
    return rows


def build_model_card(model: Any, folder: str | Path | None = None, **kwargs: Any):
    """Render `model_card.md` for `model`; `folder` is where its files were written (for sizes)."""
    from huggingface_hub import ModelCard, ModelCardData

    summary = model.training_summary or {}
    model_name = kwargs.pop("model_name", "emotion-bilstm")
    dataset = dataset_of(model_labels(model), summary)
    datasets = [dataset] if "/" in dataset else []
    if any(is_goemotions_source(source) for source in (summary.get("train_config") or {}).get("add_data") or []):
        datasets.append("google-research-datasets/go_emotions")
    data = ModelCardData(
        model_name=model_name,
        **hub_metadata(),
        datasets=datasets or None,
        metrics=["accuracy", "f1"],
        eval_results=eval_results(summary, dataset),
    )
    context = card_context(model, summary, Path(folder) if folder is not None else None)
    card = ModelCard.from_template(
        data,
        template_str=template_path().read_text(encoding="utf-8"),
        model_name=model_name,
        summary=summary,
        **context,
        **kwargs,
    )
    # Optional sections leave runs of blank lines behind; markdown needs at most one.
    return ModelCard(re.sub(r"\n{3,}", "\n\n", str(card)))
