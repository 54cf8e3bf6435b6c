"""The model card: `model_card.md` (a Jinja template) rendered with huggingface_hub's `ModelCard`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .labels import LABELS


def template_path() -> Path:
    """`model_card.md` ships inside the wheel; in a checkout it sits at the top level."""
    packaged = Path(__file__).parent / "model_card.md"
    return packaged if packaged.exists() else Path(__file__).parent.parent / "model_card.md"


def build_model_card(model: Any, **kwargs: Any):
    from huggingface_hub import ModelCard, ModelCardData

    summary = model.training_summary or {}
    data = ModelCardData(
        model_name=kwargs.pop("model_name", "emotion-bilstm"),
        license="mit",
        language="en",
        library_name="emotion-bilstm",
        pipeline_tag="text-classification",
        tags=["emotion", "bilstm", "text-classification", "pytorch"],
        datasets=["dair-ai/emotion"],
        metrics=["accuracy", "f1"],
    )
    return ModelCard.from_template(
        data,
        template_str=template_path().read_text(encoding="utf-8"),
        config=model.config,
        summary=summary,
        labels=LABELS,
        **kwargs,
    )
