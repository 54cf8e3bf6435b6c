"""GPU check: train on CUDA (mixed precision "auto", i.e. bf16 on a GPU), then load and predict on CPU.

When to run it: on a machine with a CUDA GPU (a lent GPU), after a change to training, the engines
or the model folder format. CI has no GPU, so the suite cannot cover this path; run it there and
write its answer into docs/architecture.md ("On a GPU"). Without a GPU, `--allow-cpu` runs the same
checks on CPU as a dry run.

What it checks, on small synthetic fixtures made in a temporary folder:

1. single-label training with GoEmotions added (a dair-style `text;label` folder plus a GoEmotions
   release folder, `neutral_limit` 20, `neutral_recall` 0.5): the log says the device is cuda; the
   saved model has 7 labels with neutral as id 6; the summary holds `label_recall`; the model loads
   on CPU with `from_pretrained` and predicts; `predict_proba` with `engine="fast"` (the CPU engine) and
   `engine="reference"` (`nn.LSTM`) agree within 1e-5; the same model moved to CUDA gives the CPU
   probabilities within 1e-3 (cuDNN may use TF32);
2. multi-label training from JSON lines (`{"text", "labels": [names]}`): thresholds are stored in
   config.json (one per label) and `predict` returns `labels` lists;
3. (informational, issue 16) on this machine's CPU: whether it has bfloat16 units, the engine `auto`
   picks, and the shipped model's texts/s with the float32 and bfloat16 recurrences (data/everyday
   texts, medians of 3, one thread), with the share of labels they agree on.

It prints one JSON line with each check's result (and writes it to $OUT/gpu_check.json when OUT is
set), and exits 1 if any check fails, 2 when there is no CUDA device (unless --allow-cpu).

Run from the repository root, with the project importable from there (it is not installed):

    python scripts/gpu_check.py               # on a CUDA machine
    python scripts/gpu_check.py --allow-cpu   # a dry run of the same checks on CPU

On the device machine, with `datasets` and its missing needs carried as wheels in .whl/:

    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl \
        && PYTHONPATH=/tmp/site:. python3 scripts/gpu_check.py
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import random
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the project from the repo root; conftest's fixtures

import torch  # noqa: E402
from conftest import synthetic_examples, write_semicolon_file  # noqa: E402

from emotion_bilstm import goemotions  # noqa: E402
from emotion_bilstm.model import EmotionBiLSTM  # noqa: E402
from emotion_bilstm.training import TrainConfig, _mixed_precision, train  # noqa: E402

SMALL = {"epochs": 2, "batch_size": 32, "embedding_dim": 16, "hidden_size": 16, "learning_rate": 1e-2}
TEXTS = ["i feel so furious and bitter", "i am thrilled and delighted today", "the meeting is at 5", "lonely at home"]

# multi-label fixture: one cue word per label, one or two labels per row (as tests/test_multi_label.py)
CUES = {"admiration": ["impressive", "admire"], "anger": ["furious", "livid"], "gratitude": ["thanks", "grateful"]}
FILLER = ["the", "a", "this", "is", "was", "my", "your", "post", "comment", "really", "so", "about"]


def write_goemotions(folder: Path) -> Path:
    """A GoEmotions release folder: labels.txt (28 names) and `text<TAB>ids<TAB>id` train.tsv / dev.tsv."""
    folder.mkdir(parents=True)
    anger = ["WHY is the bus late AGAIN", "so annoying and infuriating", "this makes me furious"]
    love = ["I love this so much", "love you all", "my favourite person, love her"]
    train = [(text, "2") for text in anger * 4] + [(text, "18") for text in love * 4]
    train += [(f"the {thing} is at {i}", "27") for i, thing in enumerate(["bus", "meeting", "call"] * 15)]
    dev = [(f"the {thing} is at noon {i}", "27") for i, thing in enumerate(["train", "lunch", "review", "call"])]
    dev += [(anger[0], "2"), (love[0], "18")]
    (folder / "labels.txt").write_text("\n".join(goemotions.LABELS) + "\n", encoding="utf-8")
    for name, rows in (("train.tsv", train), ("dev.tsv", dev)):
        lines = "".join(f"{text}\t{ids}\tg{i}\n" for i, (text, ids) in enumerate(rows))
        (folder / name).write_text(lines, encoding="utf-8")
    return folder


def write_comments(path: Path, n: int, seed: int) -> Path:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        chosen = rng.sample(list(CUES), rng.choice([1, 1, 2]))
        words = rng.sample(FILLER, rng.randint(3, 6))
        for name in chosen:
            words.insert(rng.randint(0, len(words)), rng.choice(CUES[name]))
        rows.append({"text": " ".join(words), "labels": sorted(chosen)})
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


class Checks:
    """Named results; a check that raises records its traceback instead of stopping the run."""

    def __init__(self) -> None:
        self.results: dict[str, dict] = {}

    def run(self, name: str, check: Callable[[], object]) -> object:
        try:
            detail = check()
            self.results[name] = {"ok": True, **({"detail": detail} if detail is not None else {})}
            return detail
        except Exception as exc:
            self.results[name] = {
                "ok": False,
                "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(),
            }
            return None

    def expect(self, name: str, ok: bool, detail: object = None) -> None:
        self.results[name] = {"ok": bool(ok), **({"detail": detail} if detail is not None else {})}

    @property
    def ok(self) -> bool:
        return all(result["ok"] for result in self.results.values())


def train_logged(checks: Checks, name: str, config: TrainConfig, log: list[str]) -> dict | None:
    """Train as check `name`; its result notes the mixed precision used, and the log when it failed."""
    summary: dict = {}
    checks.run(name, lambda: summary.update(train(config, log=log.append, show_progress=False)))
    result = checks.results[name]
    result["mixed_precision"] = _mixed_precision(config)
    if not result["ok"]:
        result["log"] = log
        return None
    result["epochs"] = [
        {k: e[k] for k in ("epoch", "train_loss", "val_macro_f1", "seconds")} for e in summary.get("history", [])
    ]
    return summary


def single_label(work: Path, cpu: bool, checks: Checks) -> None:
    data = work / "dair"
    data.mkdir()
    write_semicolon_file(data / "train.txt", synthetic_examples(600, seed=1))
    write_semicolon_file(data / "validation.txt", synthetic_examples(120, seed=2))
    go = write_goemotions(work / "goemotions")
    output = work / "single"
    config = TrainConfig(
        data=str(data),
        output_dir=str(output),
        cpu=cpu,
        add_data=[str(go)],
        neutral_limit=20,
        neutral_recall=0.5,
        mixed_precision="auto",
        **SMALL,
    )
    log: list[str] = []
    summary = train_logged(checks, "single_train", config, log)
    if summary is None:
        return
    device_line = next((line for line in log if "device" in line), "")
    want = "cpu" if cpu else "cuda"
    checks.expect("single_log_device", f"device {want}" in device_line, device_line)
    saved = json.loads((output / "config.json").read_text())
    checks.expect(
        "single_seven_labels_neutral_6",
        saved["num_labels"] == 7 and saved["id2label"].get("6") == "neutral",
        saved["id2label"],
    )
    recall = summary.get("label_recall")
    checks.expect("single_label_recall", isinstance(recall, dict) and recall.get("label") == "neutral", recall)

    def load_and_predict() -> dict:
        model = EmotionBiLSTM.from_pretrained(output)
        devices = {str(p.device) for p in model.parameters()}
        assert devices == {"cpu"}, devices
        predictions = model.predict(TEXTS)
        assert len(predictions) == len(TEXTS) and all(p["label"] in saved["label2id"] for p in predictions), predictions
        fast = model.predict_proba(TEXTS, engine="fast")
        reference = model.predict_proba(TEXTS, engine="reference")
        difference = float((fast - reference).abs().max())
        assert difference < 1e-5, f"fast and nn.LSTM paths differ by {difference}"
        from emotion_bilstm.engines import unsupported_reason

        result = {
            "labels": [p["label"] for p in predictions],
            "fast_vs_reference": difference,
            "fast_path": unsupported_reason(model) or "used",
        }
        if not cpu:  # the saved model back on the GPU: same probabilities as on CPU (TF32 in cuDNN allowed)
            on_gpu = model.to("cuda").predict_proba(TEXTS, engine="reference")
            result["cuda_vs_cpu"] = float((on_gpu.cpu() - reference).abs().max())
            assert result["cuda_vs_cpu"] < 1e-3, f"CUDA and CPU probabilities differ by {result['cuda_vs_cpu']}"
        return result

    checks.run("single_load_cpu_predict", load_and_predict)


def multi_label(work: Path, cpu: bool, checks: Checks) -> None:
    data = work / "comments"
    data.mkdir()
    write_comments(data / "train.jsonl", 300, seed=1)
    write_comments(data / "validation.jsonl", 80, seed=2)
    output = work / "multi"
    config = TrainConfig(data=str(data), output_dir=str(output), cpu=cpu, **{**SMALL, "epochs": 4})
    log: list[str] = []
    if train_logged(checks, "multi_train", config, log) is None:
        return
    saved = json.loads((output / "config.json").read_text())
    thresholds = saved.get("thresholds")
    checks.expect(
        "multi_thresholds_in_config",
        saved.get("problem_type") == "multi_label_classification"
        and isinstance(thresholds, list)
        and len(thresholds) == saved["num_labels"],
        thresholds,
    )

    def predict_labels() -> list:
        model = EmotionBiLSTM.from_pretrained(output)
        predictions = model.predict(["thanks this is impressive", "so furious about this post"])
        assert all(isinstance(p["labels"], list) for p in predictions), predictions
        return [p["labels"] for p in predictions]

    checks.run("multi_predict_labels", predict_labels)


def cpu_bfloat16() -> dict:
    import csv
    import statistics
    import time

    from emotion_bilstm.engines import bfloat16_is_native, choose_engine
    from emotion_bilstm.model import load_default

    model = load_default()
    with open(Path(__file__).resolve().parent.parent / "data" / "everyday" / "test.tsv", encoding="utf-8") as handle:
        texts = [row["text"] for row in csv.DictReader(handle, delimiter="\t")] * 20
    ids = model.encode(texts)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    rates, labels = {}, {}
    try:
        for engine in ("fast", "fast-bf16", "fast", "fast-bf16"):  # the first pair warms up
            runs = []
            for _ in range(3):
                start = time.perf_counter()
                labels[engine] = model.logits(ids, engine=engine).argmax(-1)
                runs.append(len(ids) / (time.perf_counter() - start))
            rates[engine] = round(statistics.median(runs))
    finally:
        torch.set_num_threads(threads)
    return {
        "bfloat16_native": bfloat16_is_native(),
        "auto": choose_engine(model),
        "texts_per_s": rates,
        "bf16_vs_fp32": round(rates["fast-bf16"] / rates["fast"], 2),
        "same_labels": float((labels["fast"] == labels["fast-bf16"]).float().mean()),
    }


def versions() -> dict:
    names = ["torch", "accelerate", "datasets", "huggingface_hub", "pyarrow", "fsspec", "tokenizers", "numpy"]
    found = {}
    for name in names:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--allow-cpu", action="store_true", help="dry run on CPU (cpu=True) when there is no GPU")
    args = parser.parse_args()
    cuda = torch.cuda.is_available()
    report: dict = {"cuda": cuda, "gpu": torch.cuda.get_device_name(0) if cuda else None, "versions": versions()}
    if not cuda and not args.allow_cpu:
        report.update(ok=False, error="no CUDA device: this check needs a GPU (or --allow-cpu for a dry run)")
        print(json.dumps(report))
        return 2
    cpu = not cuda
    report["cpu"] = cpu
    checks = Checks()
    with tempfile.TemporaryDirectory(prefix="gpu_check_") as work:
        os.environ["HF_DATASETS_CACHE"] = str(Path(work, "hf_datasets"))  # read when `datasets` is first imported
        os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
        single_label(Path(work), cpu, checks)
        multi_label(Path(work), cpu, checks)
    checks.run("cpu_bfloat16", cpu_bfloat16)
    report.update(ok=checks.ok, checks=checks.results)
    line = json.dumps(report)
    print(line)
    if os.environ.get("OUT"):
        Path(os.environ["OUT"], "gpu_check.json").write_text(line + "\n", encoding="utf-8")
    return 0 if checks.ok else 1


if __name__ == "__main__":
    sys.exit(main())
