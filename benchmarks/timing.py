"""How the bench summarises and logs what it measures: median, min-max and every run of a timing.

`stats` is the shape of every timing in results.json; `rate_runs` times in-process work as items
per second; `log` writes progress to stderr, since stdout gets RESULTS.md at the end.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from typing import Any


def stats(values: list[float]) -> dict[str, Any]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": values}


def rate_runs(count: int, work: Callable[[], Any], repeats: int, warm_up: bool = True) -> dict[str, Any]:
    """Items per second over `repeats` runs of `work` (after one warm-up run unless told otherwise)."""
    if warm_up:
        work()
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        rates.append(count / (time.perf_counter() - start))
    return stats(rates)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
