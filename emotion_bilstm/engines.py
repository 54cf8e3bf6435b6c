"""How a model's logits are computed: the engines in one module, and logits -> probabilities.

ENGINES names them; `choose_engine` picks one for a model on this machine and `describe_engine` says
which and why. `reference_logits` is the reference engine (nn.LSTM, batched by length), which runs
on any device, is what training runs, and is what the fast engine is checked against. `fast_path`
gives the fast engine (`FastBiLSTM`): fast CPU inference, the same probabilities several times faster.
`probabilities` turns logits into scores, as `predict_proba` does.

Three things make the fast engine fast:
- The LSTM's input projection `embedding @ W_ih^T + b_ih + b_hh` depends only on the token id, so it
  is computed once per vocabulary entry (both directions, one table) and each token costs a row
  lookup instead of a matrix product. Only the recurrent product `h @ W_hh^T` is left per step.
- Both directions run in one batched product per time step, over rows sorted by length (longest
  first), so the active rows are always a prefix that shrinks as short texts end (like packing,
  without building packed sequences). The backward direction reads each text reversed within its
  own length, which needs no re-alignment for max/mean pooling and gives the final states for `last`.
- Gates are reordered to (input, forget, output, cell) at load time and one `sigmoid_` covers all four:
  tanh(x) = 2 * sigmoid(2x) - 1, with the 2x folded into the cell gate's weights. PyTorch's CPU tanh
  costs about 2.5x its sigmoid per element, so this, and the same identity for tanh(c), made the
  recurrence 12% faster (same labels; logits within 8e-6 of nn.LSTM's on the shipped weights). All
  per-step work is in place, into preallocated buffers.

`nn.LSTM` stays the reference (training uses it, and tests check that both agree on the shipped
weights). Models this path does not cover (more than one layer, extra modules, a non-CPU device)
return None from `fast_path` and keep using the reference path.

On CPUs with native bfloat16 matrix units (AVX512-BF16, AMX) the recurrent product can run in
bfloat16 (`fast-bf16`: inputs rounded to bfloat16, products summed in float32, gates, cell state and
pooling in float32). `choose_engine` picks it there and float32 elsewhere; see ENGINES.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import torch
from torch import nn

from .tokenizer import PAD_ID
from .training.sampling import pad_batch

# The modules `EmotionBiLSTM` is made of; anything else (say, extra per-token features) means the
# model computes something this path does not know about, so it must use the reference path.
KNOWN_MODULES = {"embedding", "embedding_dropout", "lstm", "dropout", "classifier"}
# How a model's logits are computed. `reference`: nn.LSTM, on any device (what training runs).
# `fast`: this module in float32. `fast-bf16`: this module with the recurrent product in bfloat16.
# `auto`: `fast-bf16` where the CPU has bfloat16 units, `fast` elsewhere, `reference` for models the
# fast path does not cover. The environment variable below forces a precision for `auto`.
ENGINES = ("auto", "fast", "fast-bf16", "reference")
PRECISION_VARIABLE = "EMOTION_BILSTM_PRECISION"  # float32 or bfloat16


def unsupported_reason(model: nn.Module) -> str | None:
    """Why `model` cannot use the fast path, or None when it can."""
    names = {name for name, _ in model.named_children()}
    if not names <= KNOWN_MODULES:
        return f"unknown modules {sorted(names - KNOWN_MODULES)}"
    lstm = model.lstm
    if not isinstance(lstm, nn.LSTM) or lstm.num_layers != 1 or not lstm.bidirectional or not lstm.bias:
        return "only one-layer bidirectional LSTMs with biases"
    if getattr(lstm, "proj_size", 0):
        return "LSTM projections"
    if not isinstance(model.embedding, nn.Embedding) or not isinstance(model.classifier, nn.Linear):
        return "unexpected embedding or classifier type"
    if model.embedding.weight.device.type != "cpu":
        return "the fast path is for CPU inference"
    if model.pooling not in ("max", "mean", "last"):
        return f"pooling {model.pooling!r}"
    return None


def _reorder_gates(tensor: torch.Tensor) -> torch.Tensor:
    """PyTorch's gate order (i, f, g, o) -> (i, f, o, g): the three sigmoid gates become contiguous."""
    i, f, g, o = tensor.chunk(4, dim=0)
    return torch.cat([i, f, o, g], dim=0)


class FastBiLSTM:
    """A frozen, inference-only copy of a one-layer `EmotionBiLSTM`'s computation."""

    def __init__(self, model: nn.Module, bfloat16: bool = False) -> None:
        lstm = model.lstm
        self.hidden_size = lstm.hidden_size
        self.pooling = model.pooling
        self.num_labels = model.classifier.out_features
        self.bfloat16 = bfloat16
        with torch.no_grad():
            embedding = model.embedding.weight.float()
            vocab_size = self.vocab_size = embedding.shape[0]
            # Rows 0..V-1: forward direction; V..2V-1: backward. One index_select fetches both.
            # Each half is written in place: two tables and their concatenation held the table twice
            # at once (36k words: 150 MB more peak memory for the whole process).
            self.input_table = torch.empty(2 * vocab_size, 4 * self.hidden_size)
            recurrent = []
            for direction, suffix in enumerate(("_l0", "_l0_reverse")):
                w_ih = _reorder_gates(getattr(lstm, "weight_ih" + suffix).float())
                bias = _reorder_gates((getattr(lstm, "bias_ih" + suffix) + getattr(lstm, "bias_hh" + suffix)).float())
                rows = self.input_table[direction * vocab_size : (direction + 1) * vocab_size]
                torch.addmm(bias, embedding, w_ih.T, out=rows)
                recurrent.append(_reorder_gates(getattr(lstm, "weight_hh" + suffix).float()).T.clone())
            # The cell gate's pre-activation doubled: its tanh comes out of the one sigmoid (see above).
            self.input_table[:, 3 * self.hidden_size :] *= 2
            for weight in recurrent:
                weight[:, 3 * self.hidden_size :] *= 2
            self.recurrent_weight = torch.stack(recurrent).contiguous()  # (2, H, 4H)
            if bfloat16:
                self.recurrent_weight = self.recurrent_weight.to(torch.bfloat16)
            self.classifier_weight = model.classifier.weight.float().T.contiguous()
            self.classifier_bias = model.classifier.bias.float().clone()

    def logits(self, rows: list[list[int]]) -> torch.Tensor:
        """Logits (before temperature) for token id lists sorted by length, longest first, none empty."""
        hidden = self.hidden_size
        batch = len(rows)
        lengths = torch.tensor([len(row) for row in rows], dtype=torch.long)
        steps = int(lengths[0])
        positions = torch.arange(steps)
        mask = positions[None, :] < lengths[:, None]
        forward_ids = torch.full((batch, steps), PAD_ID, dtype=torch.long)
        forward_ids[mask] = torch.tensor([token for row in rows for token in row], dtype=torch.long)
        # The backward direction reads row b as ids[L_b - 1], ..., ids[0]: a forward pass over this.
        backward_ids = forward_ids.gather(1, (lengths[:, None] - 1 - positions[None, :]).clamp(min=0))
        index = torch.stack([forward_ids.T, backward_ids.T + self.vocab_size], dim=1)  # (T, 2, B), time-major
        active_counts = mask.sum(dim=0).tolist()  # rows still running at each step: a shrinking prefix

        h = torch.zeros(2, batch, hidden)
        c = torch.zeros(2, batch, hidden)
        final_h = torch.empty(2, batch, hidden) if self.pooling == "last" else None
        maxed = torch.full((2, batch, hidden), float("-inf")) if self.pooling == "max" else None
        summed = torch.zeros(2, batch, hidden) if self.pooling == "mean" else None
        scratch = torch.empty(2, batch, hidden)
        for step in range(steps):
            n = active_counts[step]
            if n < h.shape[1]:  # rows n.. have ended: keep the running state contiguous for the product
                if final_h is not None:
                    final_h[:, n : h.shape[1]] = h[:, n:]
                h, c = h[:, :n].contiguous(), c[:, :n].contiguous()
            # Gathering each step's rows just before use keeps them in cache and skips padding.
            gates = self.input_table.index_select(0, index[step, :, :n].reshape(-1)).view(2, n, 4 * hidden)
            if self.bfloat16:  # bfloat16 in, float32 out: the rounding stays out of the state
                gates.add_(torch.bmm(h.to(torch.bfloat16), self.recurrent_weight))
            else:
                gates.baddbmm_(h, self.recurrent_weight)
            gates.sigmoid_()
            in_gate, forget_gate = gates[..., :hidden], gates[..., hidden : 2 * hidden]
            out_gate, cell_sigmoid = gates[..., 2 * hidden : 3 * hidden], gates[..., 3 * hidden :]
            # c = f * c + i * tanh(g), with tanh(g) = 2 * sigmoid(2g) - 1
            c.mul_(forget_gate).addcmul_(in_gate, cell_sigmoid, value=2).sub_(in_gate)
            tanh_c = scratch[:, :n]
            torch.mul(c, 2, out=tanh_c).sigmoid_().mul_(2).sub_(1)
            torch.mul(out_gate, tanh_c, out=h)
            if maxed is not None:
                torch.maximum(maxed[:, :n], h, out=maxed[:, :n])
            if summed is not None:
                summed[:, :n] += h
        if final_h is not None:
            final_h[:, : h.shape[1]] = h
        parts = []  # each (2, B, H) becomes (B, 2H) = [forward | backward], as nn.LSTM lays them out
        if maxed is not None:
            parts.append(maxed)
        if summed is not None:
            parts.append(summed / lengths[None, :, None].float())
        if self.pooling == "last":
            parts.append(final_h)
        features = torch.cat([part.permute(1, 0, 2).reshape(batch, 2 * hidden) for part in parts], dim=1)
        return torch.addmm(self.classifier_bias, features, self.classifier_weight)

    def logits_in_order(self, ids: list[list[int]], batch_size: int = 512) -> torch.Tensor:
        """Logits (before temperature) in input order for token id lists (each at least one id long).

        Batches run on `torch.get_num_threads()` Python threads, each with one intra-op thread: the
        per-step tensors are small, and OpenMP's barrier after every op costs more than it saves. On
        a busy machine (a descheduled OpenMP thread stalls every op) this was 10x faster than
        intra-op threads. The thread setting is process-wide, so it is restored afterwards.
        """
        logits = torch.empty(len(ids), self.num_labels)
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
        batches = [order[start : start + batch_size] for start in range(0, len(order), batch_size)]

        def run(rows: list[int]) -> tuple[list[int], torch.Tensor]:
            with torch.inference_mode():  # thread-local, so set in each worker
                return rows, self.logits([ids[i] for i in rows])

        workers = torch.get_num_threads()
        if workers > 1 and len(batches) > 1:
            torch.set_num_threads(1)
            try:
                with ThreadPoolExecutor(min(workers, len(batches))) as pool:
                    results = list(pool.map(run, batches))
            finally:
                torch.set_num_threads(workers)
        else:
            results = [run(rows) for rows in batches]
        for rows, batch_logits in results:
            logits[torch.tensor(rows, dtype=torch.long)] = batch_logits
        return logits


def bfloat16_is_native() -> bool:
    """Whether this CPU multiplies bfloat16 matrices in hardware (AVX512-BF16 or AMX); elsewhere
    PyTorch emulates it, slower than float32."""
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")  # private, so looked up with care
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in checks)


def choose_engine(model: nn.Module, engine: str = "auto") -> str:
    """The engine that computes `model`'s logits for `engine` on this machine (see ENGINES)."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r} (choose from {', '.join(ENGINES)})")
    if engine == "reference":
        return engine
    reason = unsupported_reason(model)
    if engine != "auto":
        if reason is not None:
            raise ValueError(f"engine {engine!r} cannot run this model: {reason}")
        return engine
    if reason is not None:
        return "reference"
    precision = forced_precision()
    if precision == "bfloat16" or (not precision and bfloat16_is_native()):
        return "fast-bf16"
    return "fast"


def forced_precision() -> str:
    """The precision PRECISION_VARIABLE forces on `auto` ("float32" or "bfloat16"), or "" when unset."""
    precision = os.environ.get(PRECISION_VARIABLE, "").strip().lower()
    if precision not in ("", "float32", "bfloat16"):
        raise ValueError(f"{PRECISION_VARIABLE}={precision!r}: use float32 or bfloat16")
    return precision


def describe_engine(model: nn.Module, engine: str = "auto") -> str:
    """A short phrase for logs: the engine `engine` runs for `model` on this machine, and why.

    For example "fast-bf16 (bfloat16 recurrent products: this CPU has AVX512-BF16/AMX)", "fast (float32)"
    or "reference (nn.LSTM)". Raises ValueError as `choose_engine` does.
    """
    chosen = choose_engine(model, engine)
    precision = forced_precision() if engine == "auto" else ""
    if chosen == "reference":
        reason = unsupported_reason(model) if engine == "auto" else None
        return (
            f"reference (nn.LSTM; the fast path cannot run this model: {reason})" if reason else "reference (nn.LSTM)"
        )
    if chosen == "fast":
        return f"fast (float32: {PRECISION_VARIABLE}=float32)" if precision else "fast (float32)"
    native = bfloat16_is_native()
    if precision:
        why = f"{PRECISION_VARIABLE}=bfloat16"
    elif engine == "auto":
        why = "this CPU has AVX512-BF16/AMX"
    else:
        why = "asked for"
    if not native:
        why += "; emulated on this CPU, slower than float32"
    return f"fast-bf16 (bfloat16 recurrent products: {why})"


def _weights_key(model: nn.Module, bfloat16: bool) -> tuple:
    """Changes whenever a parameter is replaced or modified in place (optimizer steps, load_state_dict)."""
    return (*((id(p), p._version) for p in model.parameters()), bfloat16)


def fast_path(model: nn.Module, bfloat16: bool = False) -> FastBiLSTM | None:
    """The model's fast inference engine, built once and rebuilt only when its weights change."""
    if unsupported_reason(model) is not None:
        return None
    key = _weights_key(model, bfloat16)
    cached = model.__dict__.get("_fast_lstm")
    if cached is None or cached[0] != key:
        model.__dict__.pop("_fast_lstm", None)  # free the stale table before building its replacement
        cached = (key, FastBiLSTM(model, bfloat16))
        model.__dict__["_fast_lstm"] = cached
    return cached[1]


def reference_logits(model: nn.Module, ids: list[list[int]], batch_size: int = 512) -> torch.Tensor:
    """The reference engine: logits (len(ids), num_labels) in input order, in eval mode, with no temperature applied.

    Every row must hold at least one id (packed LSTMs refuse empty sequences).
    """
    logits = torch.empty(len(ids), model.config.num_labels)
    if not ids:
        return logits
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                rows = order[start : start + batch_size]
                input_ids, lengths = pad_batch([ids[i] for i in rows])
                logits[rows] = model(input_ids.to(device), lengths).float().cpu()
    finally:
        model.train(was_training)
    return logits


def probabilities(logits: torch.Tensor, temperature: float = 1.0, multi_label: bool = False) -> torch.Tensor:
    """Softmax of `logits / temperature`, as `predict_proba` computes it; a sigmoid per label for multi-label."""
    if multi_label:
        return torch.sigmoid(logits.float() / temperature)
    return torch.softmax(logits.float() / temperature, dim=-1)
