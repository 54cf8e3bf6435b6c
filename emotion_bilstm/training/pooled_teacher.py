"""A teacher that classifies the mean of its encoder's token vectors, as sentence encoders are trained to be read.

`transformers`' sequence classifiers read one token (BERT: [CLS] through its pooler), but sentence
encoders such as all-MiniLM-L6-v2 were trained for mean pooling, and their pooler never was: the
issue's probe teacher, a linear layer on mean pooling, scored 2.6 points above the same encoder as a
stock `AutoModelForSequenceClassification` after one epoch. No transformers class pools by mean, so this
small module is the whole head: the encoder as `AutoModel` saves it (config.json, model.safetensors,
with `id2label` naming the labels and `"emotion_bilstm_pooling": "mean"`), plus `classifier.safetensors`
(the linear layer). `teacher.load_teacher` reads such a folder through `from_pretrained` below; stock
transformers code would not, which the marker says. No remote code is run.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import torch

POOLING_KEY = "emotion_bilstm_pooling"  # config.json: "mean" marks a folder of this format
HEAD_FILE = "classifier.safetensors"


def is_mean_pooled(config: dict[str, Any]) -> bool:
    return config.get(POOLING_KEY) == "mean"


class MeanPooledClassifier(torch.nn.Module):
    """An encoder, the attention-masked mean of its last hidden states, dropout, and a linear layer."""

    def __init__(self, encoder: Any, num_labels: int, dropout: float = 0.1):
        super().__init__()
        self.encoder = encoder
        self.config = encoder.config
        self.dropout = torch.nn.Dropout(dropout)
        self.classifier = torch.nn.Linear(encoder.config.hidden_size, num_labels)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, **extra: Any) -> SimpleNamespace:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask, **extra).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        return SimpleNamespace(logits=self.classifier(self.dropout(pooled)))  # `.logits`, as transformers' models

    @classmethod
    def from_encoder(cls, encoder_path: str, labels: list[str]) -> MeanPooledClassifier:
        """A fresh head (seeded by torch's generator) on a pretrained encoder, to fine-tune."""
        from transformers import AutoModel

        return cls(AutoModel.from_pretrained(encoder_path), len(labels)).label(labels)

    def label(self, labels: list[str]) -> MeanPooledClassifier:
        self.config.id2label = dict(enumerate(labels))
        self.config.label2id = {name: i for i, name in enumerate(labels)}
        setattr(self.config, POOLING_KEY, "mean")
        return self

    def save_pretrained(self, folder: str | Path) -> None:
        from safetensors.torch import save_file

        self.encoder.save_pretrained(str(folder))
        head = {name: tensor.detach().contiguous() for name, tensor in self.classifier.state_dict().items()}
        save_file(head, str(Path(folder) / HEAD_FILE))

    @classmethod
    def from_pretrained(cls, folder: str | Path) -> MeanPooledClassifier:
        from safetensors.torch import load_file
        from transformers import AutoModel

        encoder = AutoModel.from_pretrained(str(folder))
        model = cls(encoder, len(encoder.config.id2label))
        model.classifier.load_state_dict(load_file(str(Path(folder) / HEAD_FILE)))
        return model.eval()
