"""The reliability diagram: accuracy against confidence per bin, before and after temperature scaling, as a PNG.

`calibration.calibration_report` measures the bins; this draws them (with matplotlib, an optional
dependency: without it only the image is skipped) and puts the image into a model folder as it is saved.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .atomic import replacing

DIAGRAM_NAME = "reliability.png"


def save_with_diagram(
    model: Any,
    folder: str | os.PathLike,
    report: dict[str, Any] | None,
    log: Callable[[str], None],
    dtype: Any = None,
    extra_files: Sequence[Path] = (),
) -> None:
    """`model.save_pretrained(folder)` with the reliability diagram of `report` (when there is one and
    matplotlib can draw it) inside the folder before the card renders, so that the card lists it."""
    with tempfile.TemporaryDirectory(prefix="emotion-bilstm-diagram-") as scratch:
        diagram = Path(scratch) / DIAGRAM_NAME
        drawn = [diagram] if report is not None and write_reliability_diagram(report, diagram, log) else []
        model.save_pretrained(folder, dtype=dtype, extra_files=[*extra_files, *drawn])


def write_reliability_diagram(report: dict[str, Any], path: str | os.PathLike, log: Callable[[str], None]) -> bool:
    """Accuracy against confidence per bin, before and after scaling, as a PNG (for a multi-label
    report: the share of true labels against the label probability, over every (text, label) pair).

    Returns False (after telling `log`) when matplotlib is missing: only the image is skipped.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot as plt
    except ImportError:
        log("matplotlib is not installed (pip install 'emotion-bilstm[plots]'): no reliability diagram written")
        return False
    path = Path(path)
    multi = bool(report.get("multi_label"))
    observed, predicted = ("share true", "label probability") if multi else ("accuracy", "confidence")
    figure, axes = plt.subplots(1, 2, figsize=(9, 4.2), sharey=True)
    for axis, key, title in (
        (axes[0], "reliability_before", f"before (T=1): ECE {report['ece_before']:.4f}"),
        (axes[1], "reliability_after", f"after (T={report['temperature']:.3f}): ECE {report['ece_after']:.4f}"),
    ):
        rows = report[key]
        width = 1 / len(rows)
        lefts = [r["lower"] for r in rows]
        axis.bar(lefts, [r["accuracy"] for r in rows], width=width, align="edge", edgecolor="black", label=observed)
        axis.bar(
            lefts,
            [r["confidence"] - r["accuracy"] if r["count"] else 0 for r in rows],
            bottom=[r["accuracy"] for r in rows],
            width=width,
            align="edge",
            color="tab:red",
            alpha=0.35,
            label=f"gap to {predicted}",
        )
        axis.plot([0, 1], [0, 1], "k--", linewidth=1)
        axis.set(title=title, xlabel=predicted, xlim=(0, 1), ylim=(0, 1))
    axes[0].set_ylabel(observed)
    axes[0].legend(loc="upper left")
    pooled = " x every label" if multi else ""
    figure.suptitle(f"Reliability on {report['split']} ({report['n']} texts{pooled}, {report['bins']} bins)")
    figure.tight_layout()
    try:
        with replacing(path) as temporary:  # whose suffix is no image format: name it
            figure.savefig(temporary, dpi=110, format=path.suffix[1:] or None)
    finally:
        plt.close(figure)
    return True
