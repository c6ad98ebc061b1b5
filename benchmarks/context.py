"""What every benchmark receives: the suite settings and a scratch directory for this run."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from benchmarks.settings import SuiteSettings

T = TypeVar("T")


@dataclass(frozen=True)
class Context:
    settings: SuiteSettings
    workdir: Path          # scratch space for this run (deleted afterwards)
    log: logging.Logger

    def scratch(self, name: str) -> Path:
        path = self.workdir / name
        path.mkdir(parents=True, exist_ok=True)
        return path


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    """Run ``fn`` once; return (seconds, result)."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def repeat(fn: Callable[[], T], runs: int) -> tuple[list[float], T]:
    """Run ``fn`` ``runs`` times; return every duration and the last result."""
    samples: list[float] = []
    seconds, result = timed(fn)
    samples.append(seconds)
    for _ in range(runs - 1):
        seconds, result = timed(fn)
        samples.append(seconds)
    return samples, result
