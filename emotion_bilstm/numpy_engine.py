"""The model's forward pass in NumPy (float32): the engine `emotion_bilstm.pipeline` runs, with no torch.

It computes what `EmotionBiLSTM.forward` computes in eval mode, from the arrays of its state dict
(`light.read_arrays` reads them with `safetensors.numpy`), and is held to the float32 reference
(`nn.LSTM`) within 1e-5 on probabilities (tests/test_numpy_engine.py). It runs like `engines.py`'s
`fast` engine:

- Texts are sorted by length (longest first) and cut into batches; each batch runs one step per time
  position over all its rows at once, the rows still running a shrinking prefix. Both directions run
  in one batched product per step; the backward direction reads each text reversed within its own
  length, so max/mean pooling need no re-alignment and `last` is each row's state when it ends.
- The first layer's input projection `embedding @ W_ih^T + b_ih + b_hh` depends only on the token id:
  it is computed per vocabulary row and each token costs a row lookup. For a small input only the rows
  its tokens use are projected (a one-line `predict` does not pay for 40k rows), for a big one the
  whole table, once.
- Gates are stored gate-major, (direction, gate, row, unit), so that every per-step operation runs over
  contiguous blocks (NumPy's loops pay per contiguous run, unlike torch's).
- One `tanh` covers all four gates: sigmoid(x) = (1 + tanh(x / 2)) / 2. With t = tanh of each gate,
  c' = ((1 + t_f) c + (1 + t_i) t_g) / 2 and the state is kept doubled, 2h = (1 + t_o) tanh(c'): no
  pass turns tanh into sigmoid. The halvings are folded into the weights (powers of two: exact), the
  doubled state's into the weights that read it (recurrent, next layer, classifier).
- Batches spread over one worker thread per core, BLAS limited to one thread meanwhile: these
  products are small, and OpenBLAS's own threads spin against the workers (4x slower on a busy
  machine).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

FLOAT = np.float32
GATES = 4  # stored in the order (input, forget, output, cell); PyTorch's is (input, forget, cell, output)
# Each gate's pre-activation scale: x / 2 for the sigmoid gates (their tanh(x / 2)), x for the cell gate.
GATE_SCALES = np.array([0.5, 0.5, 0.5, 1.0], dtype=FLOAT)
# Gate inputs of the first n rows at a step: (step, n) -> a writable (2, GATES, n, H) array.
Inputs = Callable[[int, int], np.ndarray]


def _gate_major(array: np.ndarray, hidden: int, reads_state: bool = False) -> np.ndarray:
    """A PyTorch LSTM weight (4H, D) or bias (4H,) as (GATES, D, H) or (GATES, 1, H), scaled (see above);
    `reads_state`: its input is the doubled state, so it is halved too."""
    i, f, g, o = (array[k * hidden : (k + 1) * hidden] for k in range(GATES))
    scales = GATE_SCALES * (0.5 if reads_state else 1.0)
    gates = np.stack([gate * scale for gate, scale in zip((i, f, o, g), scales, strict=True)]).astype(FLOAT)
    return np.ascontiguousarray(gates.transpose(0, 2, 1) if gates.ndim == 3 else gates[:, None, :])


class _Layer:
    """One bidirectional layer: input weights (2, GATES, D, H), biases (2, GATES, 1, H), recurrent (2, GATES, H, H)."""

    def __init__(self, weights: Mapping[str, np.ndarray], layer: int, hidden: int) -> None:
        names = [f"l{layer}", f"l{layer}_reverse"]
        self.input_weight = np.stack([_gate_major(weights[f"lstm.weight_ih_{n}"], hidden, layer > 0) for n in names])
        self.bias = np.stack(
            [_gate_major(weights[f"lstm.bias_ih_{n}"] + weights[f"lstm.bias_hh_{n}"], hidden) for n in names]
        )
        self.recurrent_weight = np.stack([_gate_major(weights[f"lstm.weight_hh_{n}"], hidden, True) for n in names])

    def project(self, vectors: np.ndarray, direction: int, out: np.ndarray) -> np.ndarray:
        """`vectors` (..., D) @ W_ih^T + biases into `out` (GATES, ..., H), gate by gate."""
        for gate in range(GATES):
            np.matmul(vectors, self.input_weight[direction, gate], out=out[gate])
            out[gate] += self.bias[direction, gate, 0]
        return out


class NumpyBiLSTM:
    """An `EmotionBiLSTM`'s inference computation over its state dict's arrays; logits before temperature."""

    def __init__(self, weights: Mapping[str, np.ndarray], hidden_size: int, num_layers: int, pooling: str) -> None:
        if pooling not in ("max", "mean", "last"):
            raise ValueError(f"pooling {pooling!r}")
        self.hidden_size, self.pooling = hidden_size, pooling
        self.embedding = np.ascontiguousarray(weights["embedding.weight"], dtype=FLOAT)
        self.layers = [_Layer(weights, layer, hidden_size) for layer in range(num_layers)]
        # features are pooled from the doubled state
        self.classifier_weight = np.ascontiguousarray(weights["classifier.weight"].T * 0.5, dtype=FLOAT)
        self.classifier_bias = np.asarray(weights["classifier.bias"], dtype=FLOAT)
        self.num_labels = self.classifier_bias.shape[0]
        self.table: np.ndarray | None = None  # (2, GATES, V, H): every row's first-layer projection, once built

    def projected_rows(self, tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(a table of first-layer input projections (2, GATES, R, H), each token's row in it).

        The whole vocabulary's table is built (once) when an input holds at least as many tokens as the
        vocabulary has rows: it costs no more than projecting each token. Smaller inputs project only the
        rows they use."""
        if self.table is None and tokens.size >= self.embedding.shape[0]:
            self.table = self._project(self.embedding)
        if self.table is not None:
            return self.table, tokens
        used, rows = np.unique(tokens, return_inverse=True)
        return self._project(self.embedding[used]), rows.reshape(tokens.shape)

    def _project(self, vectors: np.ndarray) -> np.ndarray:
        table = np.empty((2, GATES, vectors.shape[0], self.hidden_size), dtype=FLOAT)
        for direction in range(2):
            self.layers[0].project(vectors, direction, table[direction])
        return table

    def logits_in_order(self, ids: Sequence[Sequence[int]], batch_size: int = 512) -> np.ndarray:
        """Logits (len(ids), num_labels) in input order for token id lists, each at least one id long."""
        from threadpoolctl import threadpool_limits

        logits = np.empty((len(ids), self.num_labels), dtype=FLOAT)
        if not len(ids):
            return logits
        lengths = np.fromiter((len(row) for row in ids), dtype=np.int64, count=len(ids))
        flat = np.fromiter((token for row in ids for token in row), dtype=np.int64, count=int(lengths.sum()))
        if lengths.min() < 1 or flat.min() < 0 or flat.max() >= self.embedding.shape[0]:
            raise ValueError(f"every row needs at least one token id, each in 0..{self.embedding.shape[0] - 1}")
        table, flat = self.projected_rows(flat)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        order = np.argsort(-lengths, kind="stable")
        batches = [order[start : start + batch_size] for start in range(0, len(order), batch_size)]

        def run(rows: np.ndarray) -> None:
            logits[rows] = self.batch_logits(table, flat, starts[rows], lengths[rows])

        workers = min(worker_count(), len(batches))
        with threadpool_limits(limits=1, user_api="blas"):
            if workers > 1:
                with ThreadPoolExecutor(workers) as pool:
                    list(pool.map(run, batches))
            else:
                for rows in batches:
                    run(rows)
        return logits

    def batch_logits(self, table: np.ndarray, flat: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Logits for one batch: rows of `flat` at `starts` with `lengths`, sorted longest first."""
        steps, hidden = int(lengths[0]), self.hidden_size
        positions = np.arange(steps)
        mask = positions[None, :] < lengths[:, None]  # (B, T)
        forward = np.zeros(mask.shape, dtype=np.int64)
        forward[mask] = flat[(starts[:, None] + positions[None, :])[mask]]
        # the backward direction reads row b as ids[L_b - 1], ..., ids[0]: this index is its own inverse
        reverse = np.clip(lengths[:, None] - 1 - positions[None, :], 0, None)
        index = np.stack([forward.T, np.take_along_axis(forward, reverse, axis=1).T], axis=1)  # (T, 2, B)
        active = mask.sum(axis=0).tolist()  # rows still running at each step: a shrinking prefix
        gates_buffer = np.empty(2 * GATES * len(lengths) * hidden, dtype=FLOAT)

        def first_layer_inputs(step: int, n: int) -> np.ndarray:
            gates = gates_buffer[: 2 * GATES * n * hidden].reshape(2, GATES, n, hidden)  # contiguous
            for direction in range(2):  # ids were checked (logits_in_order): "clip" skips a slow check
                np.take(table[direction], index[step, direction, :n], axis=1, out=gates[direction], mode="clip")
            return gates

        inputs: Inputs = first_layer_inputs
        for layer, following in zip(self.layers, self.layers[1:], strict=False):
            inputs = self._next_layer_inputs(following, self._recur(layer, inputs, active, True), reverse)
        pooled = self._recur(self.layers[-1], inputs, active, False)
        if self.pooling == "mean":
            pooled /= lengths[None, :, None].astype(FLOAT)
        features = pooled.transpose(1, 0, 2).reshape(len(lengths), 2 * hidden)  # [forward | backward]
        return features @ self.classifier_weight + self.classifier_bias

    def _recur(self, layer: _Layer, inputs: Inputs, active: list[int], keep_outputs: bool) -> np.ndarray:
        """Run both directions of `layer` over the steps. Returns every step's (doubled) states (T, 2, B, H)
        with `keep_outputs`, else the pooled states (2, B, H)."""
        hidden, batch = self.hidden_size, active[0]
        h, c = np.zeros((2, batch, hidden), dtype=FLOAT), np.zeros((2, batch, hidden), dtype=FLOAT)
        products = np.empty(2 * GATES * batch * hidden, dtype=FLOAT)
        scratch, tanh_c = np.empty((2, batch, hidden), dtype=FLOAT), np.empty((2, batch, hidden), dtype=FLOAT)
        outputs = np.zeros((len(active), 2, batch, hidden), dtype=FLOAT) if keep_outputs else None
        pooled = np.full((2, batch, hidden), -np.inf if self.pooling == "max" else 0, dtype=FLOAT)
        for step, n in enumerate(active):
            gates = inputs(step, n)
            product = products[: 2 * GATES * n * hidden].reshape(2, GATES, n, hidden)
            gates += np.matmul(h[:, None, :n], layer.recurrent_weight, out=product)
            np.tanh(gates, out=gates)
            t_in, t_forget, t_out, t_cell = gates[:, 0], gates[:, 1], gates[:, 2], gates[:, 3]
            state, temporary, squashed = c[:, :n], scratch[:, :n], tanh_c[:, :n]
            state += np.multiply(t_forget, state, out=temporary)  # (1 + t_f) c
            state += np.multiply(t_in, t_cell, out=temporary)  # + (1 + t_i) t_g
            state += t_cell
            state *= 0.5
            np.tanh(state, out=squashed)
            np.multiply(t_out, squashed, out=h[:, :n])
            h[:, :n] += squashed  # 2h = (1 + t_o) tanh(c)
            if outputs is not None:
                outputs[step, :, :n] = h[:, :n]
            elif self.pooling == "max":
                np.maximum(pooled[:, :n], h[:, :n], out=pooled[:, :n])
            elif self.pooling == "mean":
                pooled[:, :n] += h[:, :n]
        if outputs is not None:
            return outputs
        return h if self.pooling == "last" else pooled  # a row's h stops changing when the row ends

    def _next_layer_inputs(self, layer: _Layer, outputs: np.ndarray, reverse: np.ndarray) -> Inputs:
        """The input gates of the layer after one whose step outputs are `outputs` (T, 2, B, H).

        Position t of row b reads [forward state at step t | backward state at step L_b - 1 - t]; the
        backward direction of the next layer reads the positions in reverse order again."""
        steps, _, batch, hidden = outputs.shape
        batch_index, step_reverse = np.arange(batch)[None, :], reverse.T  # (T, B)
        by_position = np.concatenate([outputs[:, 0], outputs[step_reverse, 1, batch_index]], axis=-1)  # (T, B, 2H)
        projected = np.empty((2, GATES, steps, batch, hidden), dtype=FLOAT)
        layer.project(by_position, 0, projected[0])
        layer.project(by_position[step_reverse, batch_index], 1, projected[1])
        return lambda step, n: projected[:, :, step, :n]


def worker_count() -> int:
    """Worker threads for big inputs: the cores this process may use, or OMP_NUM_THREADS where set (as torch)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        return max(1, min(cores, int(os.environ.get("OMP_NUM_THREADS", cores))))
    except ValueError:
        return cores


def probabilities(logits: np.ndarray, temperature: float = 1.0, multi_label: bool = False) -> np.ndarray:
    """Softmax of `logits / temperature` in float32, as `engines.probabilities`; a sigmoid per label for multi-label."""
    scaled = np.asarray(logits, dtype=FLOAT) / FLOAT(temperature)
    if multi_label:
        small = np.exp(-np.abs(scaled))  # never overflows: sigmoid(x) = 1 / (1 + e^-x) = e^x / (1 + e^x)
        return np.where(scaled >= 0, 1 / (1 + small), small / (1 + small)).astype(FLOAT)
    exponentials = np.exp(scaled - scaled.max(axis=-1, keepdims=True))
    return exponentials / exponentials.sum(axis=-1, keepdims=True)
