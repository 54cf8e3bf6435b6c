"""The transfer set of `--transfer`: unlabelled texts that only the teacher labels.

Distillation's gain comes mostly from text no human labelled (Tang et al. 2019; issue 29's probe:
+2 points on GoEmotions dev with 30k such comments, against +1 from the labelled rows alone). A source
is one of:
- a `.txt` file: one text per line (blank lines skipped; not the `text;label` format of split files);
- a CSV, TSV, JSON lines or Parquet file with a text column (text, sentence, content or tweet; any
  label column is ignored);
- a GoEmotions release folder (or its Hub id): its train comments, of which those already trained on
  are dropped below, so with GoEmotions in --add-data exactly those its mapping (and --neutral-limit)
  leave out; never its dev or test comments;
- a folder of split files: its train split's texts.

Texts are deduplicated by their normalised form (as the data check and --dedupe normalise): against
each other, against every text of the data's splits (training, validation, test) and against the
hand-written everyday sets in data/everyday (a test set and a supplement kept out of training).
Texts the model reads as nothing are dropped. Each source's counts are logged and recorded.
Augmented copies of the training texts (`--transfer-augment`, augment.py) follow the sources, deduplicated
the same way.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..data import TEXT_COLUMNS, find_split_files, goemotions, read_raw_rows
from ..data.formats import FORMATS, load_table
from ..data.hygiene import normaliser
from ..errors import DataError, first_line

EVERYDAY = Path(__file__).resolve().parents[2] / "data" / "everyday"  # in a source checkout only


@dataclass
class TransferSet:
    """The kept texts, and per source how many were read and kept; why the others were dropped."""

    texts: list[str] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    dropped: dict[str, int] = field(
        default_factory=lambda: {"repeated": 0, "in_the_data": 0, "in_everyday": 0, "empty": 0}
    )
    copies_kept: int = 0  # of the augmented copies (--transfer-augment), the last of `texts`

    def describe(self) -> dict[str, Any]:
        return {"sources": self.sources, "texts": len(self.texts), "dropped": self.dropped}


def read_transfer_texts(source: str | os.PathLike) -> list[str]:
    """The texts of one --transfer source (see the module docstring), not yet deduplicated."""
    path = Path(source).expanduser()
    if goemotions.is_goemotions_folder(path) or str(source) == goemotions.HUB_ID:
        return [text for text, _ in goemotions.read(source).get("train", [])]
    if path.is_dir():
        texts, _, _, _ = read_raw_rows(find_split_files(path)["train"])
        return [text for text in texts if isinstance(text, str)]
    if not path.is_file():
        raise DataError(f"--transfer {source}: no such file or folder")
    if path.suffix.lower() == ".txt":
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise DataError(f"--transfer {source}: cannot be read as UTF-8 text ({first_line(exc)})") from None
        return [line.strip() for line in lines if line.strip()]
    return _text_column(path)


def _text_column(path: Path) -> list[str]:
    """The text column of a CSV/TSV/JSON lines/Parquet file, read with its `datasets` builder."""

    builder = FORMATS.get(path.suffix.lower())
    if builder is None or builder == "text":
        raise DataError(f"--transfer {path}: unknown format {path.suffix!r} (use .txt, .csv, .tsv, .jsonl or .parquet)")
    raw = load_table(path, builder, f"--transfer {path}")
    column = next((c for c in TEXT_COLUMNS if c in raw.column_names), None)
    if column is None:
        raise DataError(
            f"--transfer {path}: no text column (expected one of {', '.join(TEXT_COLUMNS)}; "
            f"found {', '.join(raw.column_names)})"
        )
    return [text.strip() for text in raw[column] if isinstance(text, str) and text.strip()]


def everyday_texts(folder: Path = EVERYDAY) -> list[str]:
    """The texts of data/everyday/*.tsv (`text<TAB>label` with a header); none where the folder is absent."""
    texts: list[str] = []
    for file in sorted(folder.glob("*.tsv")) if folder.is_dir() else []:
        with file.open(encoding="utf-8", newline="") as handle:
            texts += [row["text"] for row in csv.DictReader(handle, delimiter="\t") if row.get("text")]
    return texts


def _dropped_because(key: str, kept: set[str], in_data: set[str], in_everyday: set[str]) -> str | None:
    """Why a transfer text (normalised to `key`) is dropped, or None to keep it."""
    if not key:
        return "empty"
    if key in kept:
        return "repeated"
    if key in in_data:
        return "in_the_data"
    return "in_everyday" if key in in_everyday else None


def transfer_set(
    sources: Sequence[str | os.PathLike],
    data_texts: Iterable[str],
    say: Callable[[str], None],
    everyday: Path = EVERYDAY,
    copies: Sequence[str] = (),
) -> TransferSet:
    """The texts of every source, in order, then the augmented `copies`, without repeats, texts of the data,
    everyday texts or empty ones."""
    normalise = normaliser()
    in_data = {normalise(text) for text in data_texts}
    if not everyday.is_dir():
        say(f"--transfer: {everyday} not found (an installed package): not deduplicated against it")
    in_everyday = {normalise(text) for text in everyday_texts(everyday)}
    kept: set[str] = set()
    found = TransferSet()

    def keep_new(texts: Sequence[str]) -> int:
        """Append the texts not dropped; how many were."""
        before = len(found.texts)
        for text in texts:
            key = normalise(text)
            reason = _dropped_because(key, kept, in_data, in_everyday)
            if reason is None:
                kept.add(key)
                found.texts.append(text)
            else:
                found.dropped[reason] += 1
        return len(found.texts) - before

    for source in sources:
        texts = read_transfer_texts(source)
        added = keep_new(texts)
        found.sources.append({"source": os.fspath(source), "read": len(texts), "kept": added})
        say(f"--transfer {source}: {len(texts)} texts, kept {added}, dropped {len(texts) - added}")
    found.copies_kept = keep_new(copies)
    if (sources or copies) and not found.texts:
        raise DataError("--transfer: no text left once texts of the data and data/everyday were dropped")
    drops = ", ".join(f"{n} {reason.replace('_', ' ')}" for reason, n in found.dropped.items() if n)
    say(f"transfer set: {len(found.texts)} texts" + (f" (dropped: {drops})" if drops else ""))
    return found
