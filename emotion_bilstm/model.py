"""The model: embeddings -> bidirectional LSTM over packed sequences -> pooling -> linear head.

`EmotionBiLSTM` carries its tokenizer and is a `PyTorchModelHubMixin`: `save_pretrained` and
`from_pretrained` take a folder or a Hub repo id, in the format `model_folder.py` defines and checks.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .atomic import staged_folder
from .card import build_model_card, hub_metadata
from .config import CONFIG_NAME, SINGLE_LABEL, ModelConfig
from .engines import choose_engine, fast_path, probabilities, reference_logits
from .errors import ModelLoadError, writing
from .explain import explain as explain_texts
from .fast_tokenize import word_lookup_for
from .folder_reads import (
    check_source,
    fetcher,
    loading,
    read_tokenizer,
    read_training_summary,
    shipped_model_folder,
)
from .model_folder import SAVE_DTYPES, load_weights, read_weights, write_files
from .predictions import check_inference_arguments, format_results
from .tokenizer import PAD_ID, encode_batch

if TYPE_CHECKING:
    from tokenizers import Tokenizer


class EmotionBiLSTM(
    nn.Module,
    PyTorchModelHubMixin,
    **hub_metadata(),
    repo_url="https://github.com/emotion-bilstm/emotion-bilstm",
):
    """A bidirectional LSTM emotion classifier. Every size is a constructor argument, held typed in
    `model.config` (a `ModelConfig`) and written to `config.json`.

    Example::

        >>> from emotion_bilstm import EmotionBiLSTM, load_default
        >>> model = load_default()  # the model shipped in the package; or EmotionBiLSTM.from_pretrained(dir_or_hub_id)
        >>> [result["label"] for result in model.predict(["i feel so alone tonight", "best day of my life!!"])]
        ['sadness', 'joy']
        >>> model.config.labels
        ['sadness', 'joy', 'love', 'anger', 'fear', 'surprise', 'neutral']
        >>> model.save_pretrained("runs/copy")  # config.json, model.safetensors, tokenizer.json, README.md
    """

    def __init__(
        self,
        vocab_size: int = ModelConfig.vocab_size,
        embedding_dim: int = ModelConfig.embedding_dim,
        hidden_size: int = ModelConfig.hidden_size,
        num_layers: int = ModelConfig.num_layers,
        dropout: float = ModelConfig.dropout,
        embedding_dropout: float = ModelConfig.embedding_dropout,
        pooling: str = ModelConfig.pooling,
        num_labels: int = ModelConfig.num_labels,
        max_length: int = ModelConfig.max_length,
        temperature: float = 1.0,
        id2label: dict | None = None,
        label2id: dict | None = None,
        problem_type: str = SINGLE_LABEL,
        thresholds: list[float] | None = None,
    ) -> None:
        super().__init__()
        # label2id stands in config.json beside id2label (as transformers writes it); it is derived, not read
        self.config = ModelConfig(
            vocab_size=vocab_size,
            embedding_dim=embedding_dim,
            hidden_size=hidden_size,
            num_layers=num_layers,
            dropout=dropout,
            embedding_dropout=embedding_dropout,
            pooling=pooling,
            num_labels=num_labels,
            max_length=max_length,
            temperature=temperature,
            id2label=id2label,
            problem_type=problem_type,
            thresholds=thresholds,
        )
        id2label = self.config.id2label
        self.id2label = id2label
        self.pooling = pooling
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=PAD_ID)
        self.embedding_dropout = nn.Dropout(embedding_dropout)
        self.lstm = nn.LSTM(
            embedding_dim,
            hidden_size,
            num_layers=num_layers,
            batch_first=True,
            bidirectional=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(2 * hidden_size, num_labels)
        self.tokenizer: Tokenizer | None = None
        # Set by training so that `save_pretrained` can write a model card from the real run.
        self.training_summary: dict[str, Any] | None = None

    @property
    def multi_label(self) -> bool:
        return self.config.multi_label

    @property
    def thresholds(self) -> list[float] | None:
        """Per-label decision thresholds of a multi-label model (None for a single-label one)."""
        return self.config.thresholds

    @thresholds.setter
    def thresholds(self, values: Sequence[float]) -> None:
        if not self.multi_label:
            raise ValueError("only a multi-label model has per-label thresholds")
        if len(values) != self.config.num_labels:
            raise ValueError(f"{len(values)} thresholds for {self.config.num_labels} labels")
        # 12 decimals: calibration moves thresholds to sigmoid(logit(t) / T), which must round-trip
        self.config.thresholds = [round(float(v), 12) for v in values]

    @property
    def temperature(self) -> float:
        return float(self.config.temperature)

    @temperature.setter
    def temperature(self, value: float) -> None:
        self.config.temperature = float(value)

    def forward(
        self, input_ids: torch.Tensor, lengths: torch.Tensor, with_features: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Logits of shape (batch, num_labels) for right-padded `input_ids` of true `lengths`.

        `with_features` also returns the features the classifier reads (pooled, after dropout): a
        training-only head (auxiliary.py) reads them too, through this call so that DDP sees it.
        """
        embedded = self.embedding_dropout(self.embedding(input_ids))
        packed = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True, enforce_sorted=False)
        outputs, (hidden, _) = self.lstm(packed)
        if self.pooling == "last":
            pooled = torch.cat([hidden[-2], hidden[-1]], dim=-1)  # last layer, forward and backward
        else:
            padded, _ = pad_packed_sequence(outputs, batch_first=True, total_length=input_ids.shape[1])
            mask = torch.arange(padded.shape[1], device=padded.device)[None, :] < lengths.to(padded.device)[:, None]
            mask = mask.unsqueeze(-1)
            if self.pooling == "max":
                pooled = padded.masked_fill(~mask, torch.finfo(padded.dtype).min).amax(dim=1)
            else:
                pooled = (padded * mask).sum(dim=1) / lengths.to(padded.device)[:, None].to(padded.dtype)
        features = self.dropout(pooled)
        logits = self.classifier(features)
        return (logits, features) if with_features else logits

    # ----- inference -------------------------------------------------------------------------

    def encode(self, texts: list[str]) -> list[list[int]]:
        if self.tokenizer is None:
            raise RuntimeError("this model has no tokenizer; load it with from_pretrained or set model.tokenizer")
        # Clean lower-case texts skip the Rust normaliser (same ids, see fast_tokenize.py); checked once per tokenizer.
        cached = self.__dict__.get("_word_lookup")
        if cached is None or cached[0] is not self.tokenizer:
            cached = (self.tokenizer, word_lookup_for(self.tokenizer))
            self.__dict__["_word_lookup"] = cached
        if cached[1] is not None:
            return cached[1].encode(texts)
        return encode_batch(self.tokenizer, texts)

    def logits(self, ids: list[list[int]], engine: str = "auto", batch_size: int = 512) -> torch.Tensor:
        """Logits before temperature, shape (len(ids), num_labels), in input order, for encoded texts.

        The one entry point to the network for inference: predict, explain, calibrate and `emo-cli
        evaluate` all come through here, so a temperature is fitted on the logits it is applied to
        (training's per-epoch validation runs `forward` on the training device). `engine`
        (see `engines.ENGINES`): `auto` runs `engines` where it covers the model, several times
        faster: `fast-bf16` where the CPU has bfloat16 units (probabilities within about 1e-3 of
        nn.LSTM's, same labels), `fast` elsewhere (float32, within 1e-5); `reference` runs nn.LSTM.
        `engines.describe_engine` says which one runs. Every row must hold at least one id.
        """
        check_inference_arguments(batch_size=batch_size)
        chosen = choose_engine(self, engine)
        if chosen == "reference":
            return reference_logits(self, ids, batch_size)
        return fast_path(self, bfloat16=chosen == "fast-bf16").logits_in_order(ids, batch_size)

    def predict_proba(self, texts: list[str], batch_size: int = 512, engine: str = "auto") -> torch.Tensor:
        """Calibrated class probabilities, shape (len(texts), num_labels), in input order.

        A multi-label model's rows are independent per-label probabilities (sigmoid), not a softmax.
        `engine` as in `logits`.
        """
        check_inference_arguments(batch_size=batch_size)
        return self._proba_for_ids(self.encode(list(texts)), batch_size, engine)

    def _proba_for_ids(self, ids: list[list[int]], batch_size: int = 512, engine: str = "auto") -> torch.Tensor:
        return probabilities(self.logits(ids, engine, batch_size), self.temperature, self.multi_label)

    def predict(
        self,
        texts: list[str] | str,
        top_k: int | None = None,
        batch_size: int = 512,
        threshold: float | None = None,
    ) -> list[dict[str, Any]]:
        """Label, score and per-label scores (best first) for each text.

        `top_k` keeps only the k best labels in `scores`; by default every label. With `top_k` or
        `threshold`, each result also has `top`: the k best labels (`{"label", "score"}`, best
        first) that score at least `threshold`, as fastText's `-k` and `-t`; both options apply
        together.

        A multi-label model returns `labels` (every label whose probability reaches its tuned
        threshold, or `threshold` when given; at most `top_k`; possibly none) and every label's score.

        A text with no word the model reads (empty, punctuation, unknown emoji, only URLs or @mentions,
        only words it never saw) gets `label: None` (`labels: None`) and a `reason`: any label would be
        a guess.

        Raises ValueError for a `batch_size` or `top_k` below 1 or a `threshold` outside 0..1.
        """
        check_inference_arguments(batch_size=batch_size, top_k=top_k, threshold=threshold)
        if isinstance(texts, str):
            texts = [texts]
        ids = self.encode(list(texts))
        probs = self._proba_for_ids(ids, batch_size)
        return format_results(probs.numpy(), ids, self.id2label, self.thresholds, top_k, threshold)

    def explain(self, texts: list[str] | str, top_k: int = 5, batch_size: int = 512) -> list[dict[str, Any]]:
        """Each word's contribution to the predicted label, by leaving one token out (see `explain.py`)."""
        check_inference_arguments(batch_size=batch_size, top_k=top_k)
        return explain_texts(self, texts, top_k=top_k, batch_size=batch_size)

    # ----- Hub format ------------------------------------------------------------------------

    def save_pretrained(
        self,
        save_directory: str | os.PathLike,
        *,
        config: dict | None = None,
        dtype: torch.dtype | None = None,
        extra_files: Sequence[str | os.PathLike] = (),
        **kwargs: Any,
    ):
        """Write the model folder atomically: a crash never leaves a half-written folder behind.

        Files go to a hidden sibling folder first, which then replaces `save_directory` by renames.
        `dtype=torch.float16` stores the floating-point weights in half precision (half the size);
        `from_pretrained` loads them back into float32 parameters. `extra_files` (a reliability
        diagram, say) are copied in first, so that the model card lists them with the rest.
        """
        if dtype is not None and dtype not in SAVE_DTYPES:
            raise ValueError(f"dtype must be one of {SAVE_DTYPES}, not {dtype!r}")
        target = Path(save_directory)
        push = kwargs.pop("push_to_hub", False)
        repo_id = kwargs.pop("repo_id", None)
        # a full disk or a read-only folder is one line naming the target, not a safetensors traceback
        with writing(target), staged_folder(target) as staging:
            # The card reads file sizes and the stored dtype from the folder, which is written before the card.
            kwargs["model_card_kwargs"] = {**(kwargs.get("model_card_kwargs") or {}), "folder": staging}
            for extra in extra_files:
                shutil.copy2(extra, staging / Path(extra).name)
            self._save_dtype = dtype
            try:
                super().save_pretrained(staging, config=config or self.config.to_json(), **kwargs)
            finally:
                self._save_dtype = None
        if push:
            return self.push_to_hub(repo_id or target.name, config=config or self.config.to_json(), **kwargs)
        return None

    def _save_pretrained(self, save_directory: Path) -> None:
        if self.tokenizer is None:
            raise RuntimeError("cannot save a model without its tokenizer")
        dtype = getattr(self, "_save_dtype", None)
        write_files(save_directory, self.state_dict(), self.tokenizer, self.training_summary, dtype)

    def generate_model_card(self, *args: Any, **kwargs: Any):
        return build_model_card(self, **kwargs)

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: str | os.PathLike, **kwargs: Any) -> EmotionBiLSTM:
        """Load a model folder or Hub repo id (through the Hub cache, so `HF_HUB_OFFLINE=1` works).

        Returns the model in eval mode, on CPU unless `map_location` says otherwise. Raises
        `ModelLoadError` with a one-line reason for anything missing, corrupt or absurd.
        """
        model_id = str(pretrained_model_name_or_path)
        check_source(model_id)
        with loading(model_id):
            return super().from_pretrained(pretrained_model_name_or_path, **kwargs)

    @classmethod
    def _from_pretrained(
        cls,
        *,
        model_id: str,
        revision: str | None,
        cache_dir: str | Path | None,
        force_download: bool,
        local_files_only: bool,
        token: str | bool | None,
        config: dict | None = None,
        map_location: str = "cpu",
        **model_kwargs: Any,
    ) -> EmotionBiLSTM:
        if config is None:
            raise ModelLoadError(f"{model_id}: {CONFIG_NAME} is missing")
        init_args = ModelConfig.from_json(model_id, config).init_kwargs()
        init_args.update({k: v for k, v in model_kwargs.items() if k in init_args})
        fetch = fetcher(
            model_id,
            revision=revision,
            cache_dir=cache_dir,
            force_download=force_download,
            token=token,
            local_files_only=local_files_only,
        )
        tokenizer = read_tokenizer(model_id, fetch, init_args["vocab_size"])
        state = read_weights(model_id, fetch)
        model = cls(**init_args)
        load_weights(model_id, model, state)
        model.tokenizer = tokenizer
        # Keep the real run's figures, so that saving this model again writes a card that is still true.
        model.training_summary = read_training_summary(fetch)
        return model.to(map_location).eval()


def load_default(**kwargs: Any) -> EmotionBiLSTM:
    """The default model shipped in the package (no network needed)."""
    return EmotionBiLSTM.from_pretrained(shipped_model_folder(), **kwargs)
