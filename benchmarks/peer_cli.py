"""A small command line for the peer models, the counterpart of `emo-cli classify FILE --format jsonl`.

    python benchmarks/peer_cli.py svm MODEL.pkl INPUT.txt OUTPUT.jsonl
    python benchmarks/peer_cli.py fasttext MODEL.bin INPUT.txt OUTPUT.jsonl

It reads the file in chunks, predicts each chunk and writes one JSON object a line (text, label and,
for fastText, the score), so that the benchmark can time both systems end to end, process start and
imports included. Blank lines get `label: null`, as in emo-cli.
"""

from __future__ import annotations

import json
import pickle
import sys
from itertools import islice

CHUNK_LINES = 8192


def main(kind: str, model_path: str, input_path: str, output_path: str) -> None:
    if kind == "svm":
        with open(model_path, "rb") as handle:
            pipeline = pickle.load(handle)  # written by bench.py in this same run; never a downloaded file

        def predict(texts: list[str]) -> list[dict]:
            return [{"label": str(label)} for label in pipeline.predict(texts)]

    elif kind == "fasttext":
        import fasttext

        model = fasttext.load_model(model_path)

        def predict(texts: list[str]) -> list[dict]:
            labels, scores = model.predict(texts)  # a list: a single string fails with numpy 2
            return [
                {"label": lab[0].removeprefix("__label__"), "score": round(float(s[0]), 6)}
                for lab, s in zip(labels, scores, strict=True)
            ]

    else:
        raise SystemExit(f"unknown peer {kind!r}")
    encoder = json.JSONEncoder(ensure_ascii=False)
    with open(input_path, encoding="utf-8") as source, open(output_path, "w", encoding="utf-8") as sink:
        while chunk := [line.rstrip("\n") for line in islice(source, CHUNK_LINES)]:
            texts = [line for line in chunk if line.strip()]
            predictions = iter(predict(texts) if texts else [])
            for line in chunk:
                result = {"text": line, **next(predictions)} if line.strip() else {"text": line, "label": None}
                sink.write(encoder.encode(result) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:5])
