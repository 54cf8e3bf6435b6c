"""Issue 29's frontier: accuracy against raw-tweet texts/s and size, for distilled students of each size.

    python experiments/frontier.py [--models DIR ...] [--work-dir /tmp/everyday ...] [--texts 20000]
                                   [--repeats 3] [--threads 1] [--markdown FILE]

Models: the folders given, or else the folder (under the first --work-dir holding it) of every run in
everyday.jsonl that learnt from a teacher, and of the recipe's runs (the baseline); runs whose folder is
gone are skipped, and said. For each: model.safetensors and folder bytes, parameters (counted from the
safetensors header, no torch), and in-process texts/s of the NumPy engine (`emotion_bilstm.pipeline(folder)
.predict`, batches of 512) on dair-ai validation made raw (robustness.perturb_all) repeated to --texts,
after one warm-up, the median of --repeats runs interleaved across models so that the noise of a shared
machine falls on all alike, with OMP_NUM_THREADS (and the tokenizer's RAYON_NUM_THREADS) at --threads; and
its ratio to the shipped model's texts/s in the same run (only ratios compare across runs). Accuracy is the
run's everyday.jsonl row at the 60% neutral operating point. Writes experiments/frontier.json and prints a
markdown table.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "experiments"), str(ROOT / "scripts")]  # release_model lives in scripts/
OUT = ROOT / "experiments" / "frontier.json"
FIGURES = {  # table column: flat()'s key in the run's row at the recipe's operating point
    "GoEmotions dev": "goemotions_emotions_accuracy",
    "dair-ai val": "dair_validation_accuracy",
    "everyday": "everyday_test_accuracy",
}


def build_parser() -> argparse.ArgumentParser:
    """The command line of the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", type=Path, help="model folders (default: everyday.jsonl's runs)")
    parser.add_argument("--work-dir", nargs="+", type=Path, default=[Path("/tmp/everyday")])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "emotion")
    parser.add_argument("--texts", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    return parser


def complete(folder: Path) -> bool:
    """A finished model folder: training writes model.safetensors and config.json at its end."""
    return (folder / "model.safetensors").is_file() and (folder / "config.json").is_file()


def row_of(folder: Path, rows: list[dict]) -> dict | None:
    """The everyday.jsonl run trained into `folder`: the longest name its path ends with (names may hold "/")."""
    path = str(folder.resolve())
    return max((r for r in rows if path.endswith("/" + r["name"])), key=lambda r: len(r["name"]), default=None)


def given_folders(folders: list[Path]) -> list[Path]:
    """The `--models` folders that hold a finished model (one mid-training does not yet)."""
    for folder in folders:
        if not complete(folder):
            print(f"skipped {folder}: no model.safetensors and config.json in it", file=sys.stderr)
    return [folder for folder in folders if complete(folder)]


def everyday_folders(work_dirs: list[Path], rows: list[dict]) -> list[Path]:
    """The folders of the distilled runs and the recipe's, where a work dir still holds them."""
    from everyday import is_recipe

    folders = []
    for row in rows:
        if "teacher" in row["overrides"] or is_recipe(row):
            found = [d / row["name"] for d in work_dirs if complete(d / row["name"])]
            if found:
                folders.append(found[0])
            else:
                print(f"skipped {row['name']}: no model in {', '.join(map(str, work_dirs))}", file=sys.stderr)
    return folders


def size(folder: Path) -> dict:
    """Bytes on disk, and parameters and dtypes from model.safetensors' header (the tensors are not read)."""
    from emotion_bilstm.folder_reads import read_header

    weights = folder / "model.safetensors"
    with open(weights, "rb") as handle:
        head = handle.read(8)
        header = read_header(str(folder), head + handle.read(int.from_bytes(head, "little")))
    tensors = [entry for name, entry in header.items() if name != "__metadata__"]
    config = json.loads((folder / "config.json").read_text())
    return {
        "hidden_size": config["hidden_size"],
        "embedding_dim": config["embedding_dim"],
        "parameters": sum(math.prod(entry["shape"]) for entry in tensors),
        "dtypes": sorted({entry["dtype"] for entry in tensors}),
        "weights_bytes": weights.stat().st_size,
        "folder_bytes": sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()),
    }


def raw_texts(data: Path, count: int) -> list[str]:
    """dair-ai validation made raw (as the release's perturbed check), repeated to `count` texts."""
    from release_model import read_split

    from emotion_bilstm.data.robustness import perturb_all

    texts = perturb_all(read_split(data / "validation.txt")[0], seed=0)
    return (texts * (count // len(texts) + 1))[:count]


def throughput(folders: list[Path], texts: list[str], repeats: int) -> list[list[float]]:
    """Texts/s of each folder's NumPy pipeline, each run after one warm-up, the models taking turns."""
    import emotion_bilstm

    pipelines = [emotion_bilstm.pipeline(folder) for folder in folders]
    for light in pipelines:
        light.predict(texts, batch_size=512)
    rates: list[list[float]] = [[] for _ in folders]
    for _ in range(repeats):
        for light, runs in zip(pipelines, rates, strict=True):
            start = time.perf_counter()
            light.predict(texts, batch_size=512)
            runs.append(len(texts) / (time.perf_counter() - start))
    return rates


def figures(row: dict | None) -> dict:
    """The run's accuracy figures at the recipe's neutral operating point, or none for a folder without a run."""
    from everyday import EVERYDAY_SETTINGS, RECIPE_OVERRIDES, flat, overrides_named

    if row is None:
        return {"model": None, "seed": None, **dict.fromkeys(FIGURES.values())}
    point = flat(row[f"neutral_recall_{EVERYDAY_SETTINGS['neutral_recall']}"])
    return {
        "model": overrides_named(row["overrides"], RECIPE_OVERRIDES) or "recipe",
        "seed": row["seed"],
        **{key: point[key] for key in FIGURES.values()},
    }


def machine() -> str:
    """The CPU by name, its cores, and how busy the machine was as timing began."""
    info = Path("/proc/cpuinfo")
    lines = info.read_text().splitlines() if info.exists() else []
    cpu = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), platform.machine())
    return f"{cpu}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start"


def table(rows: list[dict], setup: dict) -> str:
    """The markdown table, its caption saying on what text and machine it was timed."""

    def cell(value: float | None) -> str:
        return "" if value is None else f"{100 * value:.1f}"

    lines = [
        f"Raw-tweet throughput: {setup['texts']:,} texts (dair-ai validation through perturb_all, repeated), "
        f"NumPy engine, batches of 512, {setup['threads']} thread(s), median of {setup['repeats']} interleaved "
        f"runs after a warm-up, on {setup['machine']}. x shipped: texts/s over the shipped model's, all "
        "ratios from this one run. MB: model.safetensors as stored. Accuracy (%) from everyday.jsonl at 60% "
        "GoEmotions neutral recall; none for the shipped model (trained on validation: the recipe rows are "
        "its train-only twins).",
        "",
        "| model | seed | hidden | embedding | parameters | MB | texts/s | x shipped | " + " | ".join(FIGURES) + " |",
        "|---|---:|---:|---:|---:|---:|---:|---:|" + "---:|" * len(FIGURES),
    ]
    for r in rows:
        dtype = "/".join(d.lower() for d in r["dtypes"])
        lines.append(
            f"| {r['model']} | {r['seed'] or ''} | {r['hidden_size']} | {r['embedding_dim']} | {r['parameters']:,} "
            f"| {r['weights_bytes'] / 1e6:.1f} {dtype} | {r['texts_per_s']:,.0f} | {r['x_shipped']:.2f} | "
            + " | ".join(cell(r[key]) for key in FIGURES.values())
            + " |"
        )
    return "\n".join(lines) + "\n"


def pin_threads(threads: int) -> None:
    """Every thread pool at `threads`, before NumPy or the tokenizer start one, so that runs compare."""
    for name in ("OMP_NUM_THREADS", "RAYON_NUM_THREADS"):
        os.environ[name] = str(threads)


def main() -> None:
    args = build_parser().parse_args()
    pin_threads(args.threads)
    from everyday import RESULTS, read_rows

    from emotion_bilstm.folder_reads import default_model_dir

    rows = read_rows(RESULTS)
    folders = given_folders(args.models) if args.models else everyday_folders(args.work_dir, rows)
    texts = raw_texts(args.data, args.texts)
    setup = {"texts": len(texts), "threads": args.threads, "repeats": args.repeats, "machine": machine()}
    folders = [default_model_dir(), *folders]
    print(f"timing {len(folders)} models on {len(texts):,} texts, {args.repeats} repeats", file=sys.stderr)
    rates = throughput(folders, texts, args.repeats)
    shipped = statistics.median(rates[0])
    results = []
    for folder, runs in zip(folders, rates, strict=True):
        row = {"folder": str(folder), **figures(row_of(folder, rows)), **size(folder)}
        row["model"] = "shipped" if folder == folders[0] else row["model"] or folder.name
        median = statistics.median(runs)
        results.append({**row, "texts_per_s": median, "runs": runs, "x_shipped": median / shipped})
    args.out.write_text(json.dumps({"setup": setup, "rows": results}, indent=2) + "\n")
    markdown = table(results, setup)
    print(markdown)
    if args.markdown:
        args.markdown.write_text(markdown)


if __name__ == "__main__":
    main()
