"""Sizes and run counts for each suite size (``full`` = the issue's targets, ``quick``, ``smoke``).

``full`` is what ``BENCHMARKS.md`` reports; ``quick`` is for developing on a shared machine;
``smoke`` is what the test suite runs to prove the harness works (a few seconds).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class SuiteSettings:
    size: str
    runs: int                           # repetitions per figure (median reported)
    sync_shipments: int                 # benchmark 1 (and the first sync of 2)
    sync_latency_ms: int
    sync_concurrency: tuple[int, ...]
    sync_rate_limit: float | None       # sandbox rate limit (calls/s) for benchmark 1, None = off
    rate_limit_probe: float | None      # extra benchmark-1 run at max concurrency with this limit
    economy_shipments: int              # benchmark 2 world size (a month of traffic)
    economy_days: int                   # simulated daily syncs
    cpu_shipments: int                  # benchmark 3
    memory_sizes: tuple[int, int]       # benchmark 4
    card_sizes: tuple[int, int]         # benchmark 5
    pandas_sizes: tuple[int, ...]       # benchmark 5: sizes also computed in pandas
    end_to_end: bool                    # benchmark 6 (meltano run of the worked example)
    seed: int = 7
    cache_dir: Path = field(default=ROOT / "output" / "benchmarks")


PRESETS: dict[str, SuiteSettings] = {
    "full": SuiteSettings(
        size="full", runs=3, sync_shipments=4000, sync_latency_ms=50,
        sync_concurrency=(1, 4, 16), sync_rate_limit=None, rate_limit_probe=100.0,
        economy_shipments=4000, economy_days=30, cpu_shipments=12000,
        memory_sizes=(4000, 64000), card_sizes=(1_000_000, 10_000_000),
        pandas_sizes=(1_000_000,), end_to_end=True),
    "quick": SuiteSettings(
        size="quick", runs=3, sync_shipments=400, sync_latency_ms=50,
        sync_concurrency=(1, 4, 16), sync_rate_limit=None, rate_limit_probe=100.0,
        economy_shipments=600, economy_days=7, cpu_shipments=3000,
        memory_sizes=(1000, 8000), card_sizes=(100_000, 1_000_000),
        pandas_sizes=(100_000,), end_to_end=True),
    "smoke": SuiteSettings(
        size="smoke", runs=1, sync_shipments=40, sync_latency_ms=5,
        sync_concurrency=(1, 4), sync_rate_limit=None, rate_limit_probe=200.0,
        economy_shipments=60, economy_days=2, cpu_shipments=60,
        memory_sizes=(40, 160), card_sizes=(2_000, 20_000),
        pandas_sizes=(2_000,), end_to_end=False),
}
