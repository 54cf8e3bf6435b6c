"""What would a torch-free inference path (NumPy over the same safetensors) give small inputs? (issue 16)

    python experiments/torch_free.py [--data ../shared/data/emotion]

`import torch` is most of a one-line `emo-cli classify`. This script measures, in the same run:
- the wall time of `emo-cli classify` on a 1-line and a 100-line file (process start included);
- the same job done by `numpy_classify` below in a fresh process (NumPy, safetensors' NumPy loader and
  `tokenizers`; only the input rows of the words a text holds are computed, not the whole table);
- parity: labels and the largest probability difference against the torch engine on dair-ai
  validation, its perturbed copy and data/everyday/test.tsv.
It is a measurement, not a second engine: the package does not use it (see the closing note of issue 16).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "emotion_bilstm" / "pretrained"


def numpy_classify(model_dir: Path, texts: list[str]):
    """(labels, probabilities) for `texts` with NumPy only: the shipped model's one-layer BiLSTM, max pooling."""
    import numpy as np
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    config = json.loads((model_dir / "config.json").read_text())
    weights = {k: v.astype(np.float32) for k, v in load_file(str(model_dir / "model.safetensors")).items()}
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    hidden = config["hidden_size"]
    limit = config["max_length"] * 24
    encodings = tokenizer.encode_batch([t[:limit] for t in texts], add_special_tokens=False)
    sigmoid = lambda x: 1.0 / (1.0 + np.exp(-x))  # noqa: E731
    probabilities = []
    for encoding in encodings:
        ids = np.array(encoding.ids or [1])
        outputs = []
        for suffix, order in (("_l0", ids), ("_l0_reverse", ids[::-1])):
            x = weights["embedding.weight"][order] @ weights["lstm.weight_ih" + suffix].T
            x += weights["lstm.bias_ih" + suffix] + weights["lstm.bias_hh" + suffix]
            h = np.zeros(hidden, np.float32)
            c = np.zeros(hidden, np.float32)
            states = []
            for step in range(len(order)):
                gates = x[step] + weights["lstm.weight_hh" + suffix] @ h
                i, f, g, o = np.split(gates, 4)
                c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
                h = sigmoid(o) * np.tanh(c)
                states.append(h)
            outputs.append(np.max(states, axis=0))
        logits = weights["classifier.weight"] @ np.concatenate(outputs) + weights["classifier.bias"]
        scaled = logits / config["temperature"]
        exp = np.exp(scaled - scaled.max())
        probabilities.append(exp / exp.sum())
    probs = np.array(probabilities)
    return [config["id2label"][str(i)] for i in probs.argmax(1)], probs


def child(model_dir: str, input_path: str) -> None:
    texts = Path(input_path).read_text(encoding="utf-8").splitlines()
    labels, probs = numpy_classify(Path(model_dir), texts)
    for text, label, row in zip(texts, labels, probs, strict=True):
        print(json.dumps({"text": text, "label": label, "score": round(float(row.max()), 6)}))


def wall(command: list[str], repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "emotion"))
    args = parser.parse_args()
    import csv

    from emotion_bilstm.model import load_default
    from emotion_bilstm.robustness import perturb_all

    validation = [line.rpartition(";")[0] for line in (Path(args.data) / "validation.txt").read_text().splitlines()]
    with (ROOT / "data" / "everyday" / "test.tsv").open(encoding="utf-8") as handle:
        everyday = [row["text"] for row in csv.DictReader(handle, delimiter="\t")]
    model = load_default()
    print("| set | texts | same label | largest probability difference |")
    print("| --- | --- | --- | --- |")
    for name, texts in (
        ("dair-ai validation", validation),
        ("perturbed", perturb_all(validation)),
        ("everyday", everyday),
    ):
        labels, probs = numpy_classify(MODEL, texts)
        reference = model.predict_proba(texts).numpy()
        same = sum(a == model.id2label[int(b)] for a, b in zip(labels, reference.argmax(1), strict=True)) / len(texts)
        print(f"| {name} | {len(texts)} | {100 * same:.2f}% | {abs(probs - reference).max():.2e} |")
    cli = [str(Path(sys.executable).parent / "emo-cli"), "classify"]
    with tempfile.TemporaryDirectory() as folder:
        print("\n| input | emo-cli classify (torch) | NumPy path | ratio |")
        print("| --- | --- | --- | --- |")
        for count in (1, 100):
            path = Path(folder) / f"{count}.txt"
            path.write_text("\n".join(everyday[:count]) + "\n", encoding="utf-8")
            ours = wall([*cli, str(path), "-f", "jsonl"])
            numpy_path = wall([sys.executable, __file__, "--child", str(MODEL), str(path)])
            print(f"| {count} line(s) | {ours:.2f} s | {numpy_path:.2f} s | {ours / numpy_path:.1f}x |")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(*sys.argv[2:4])
    else:
        main()
