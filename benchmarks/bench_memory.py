"""Benchmark 4: peak RSS of the tap for a small and a 16x larger first sync.

Both worlds label their shipments over the last 30 days (all inside the active window), no
injected latency, max_concurrency 4. Peak RSS is the tap process's ``ru_maxrss`` from
``os.wait4``. Target: the large sync within 1.5x of the small one (streaming; per-shipment memory
only in the active-set state).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from benchmarks.context import Context
from benchmarks.figures import Figure, median
from benchmarks.processes import run_measured
from benchmarks.report import BenchmarkResult
from benchmarks.sandbox_harness import WorldSpec, recent_start, start_sandbox
from benchmarks.tap_runner import TAP, bookkeeping, run_tap, write_config

NUMBER = 4
TITLE = "Memory"
TARGET = 1.5
CONCURRENCY = 4
WORLD_DAYS = 30


@dataclass
class MemoryRuns:
    shipments: int
    rss: list[float]
    seconds: list[float]
    active: int
    records: int

    def row(self) -> str:
        return (f"| {self.shipments:,} | {self.records:,} | {self.active:,} | "
                f"{median(self.rss):.1f} | {median(self.seconds):.1f} |")


def measure(ctx: Context, shipments: int) -> MemoryRuns:
    now = datetime.now(UTC)
    spec = WorldSpec("bulk", {"shipments": shipments, "start": recent_start(WORLD_DAYS),
                              "days": WORLD_DAYS}, seed=ctx.settings.seed, now=now)
    work = ctx.scratch(f"memory-{shipments}")
    rss: list[float] = []
    seconds: list[float] = []
    active = records = 0
    with start_sandbox(spec, work) as sandbox:
        archive = sandbox.write_archive(now)
        config = write_config(work / "config.json", api_url=sandbox.url, archive_glob=archive,
                              max_concurrency=CONCURRENCY)
        for i in range(ctx.settings.runs):
            last = i == ctx.settings.runs - 1
            run_ = run_tap(work, config, label=f"r{i}", discard_output=not last)
            rss.append(run_.child.peak_rss_mib)
            seconds.append(run_.seconds)
            if last and run_.output is not None:
                active = len(bookkeeping(run_.output.state).get("active", {}))
                records = run_.output.total_records
            ctx.log.info("memory %d shipments run %d: peak RSS %.1f MiB in %.1f s", shipments,
                         i + 1, run_.child.peak_rss_mib, run_.seconds)
    return MemoryRuns(shipments, rss, seconds, active, records)


def baseline_rss(ctx: Context) -> float:
    """Peak RSS of ``tap-shipping-exceptions --about`` (interpreter + SDK + tap imports)."""
    work = ctx.scratch("memory-baseline")
    child = run_measured([str(TAP), "--about", "--format", "json"], stdout=work / "about.json",
                         stderr=work / "about.log")
    return child.peak_rss_mib


def run(ctx: Context) -> BenchmarkResult:
    s = ctx.settings
    started = datetime.now(UTC)
    small_n, large_n = s.memory_sizes
    base = baseline_rss(ctx)
    small = measure(ctx, small_n)
    large = measure(ctx, large_n)
    small_fig = Figure(NUMBER, f"tap peak RSS, first sync of {small_n:,} shipments", "MiB",
                       small.rss)
    large_fig = Figure(NUMBER, f"tap peak RSS, first sync of {large_n:,} shipments", "MiB",
                       large.rss, floor=small_fig.value, floor_label=f"{small_n:,} shipments")
    large_fig.check_ratio(TARGET)
    if large_fig.met is False:
        large_fig.note = (f"{large_n:,} shipments take {large_fig.ratio:.2f}x the memory of "
                          f"{small_n:,}; the active set held {large.active:,} shipments at "
                          "the end (see section 4)")
    details = "\n".join([
        f"Method: sandbox world `bulk` labelled over the last {WORLD_DAYS} days, no latency, "
        f"first sync at max_concurrency {CONCURRENCY}; peak RSS of the tap process "
        "(`ru_maxrss` via `os.wait4` in the small launcher `benchmarks/measure_child.py`, so "
        "the image the tap was forked from is not counted). Import baseline "
        f"(`tap-shipping-exceptions --about`): {base:.1f} MiB.", "",
        "| shipments | records | active set at the end | peak RSS (median MiB) | wall (median s) |",
        "|---|---|---|---|---|",
        small.row(), large.row(),
    ])
    return BenchmarkResult(NUMBER, TITLE, s.size, started.strftime("%Y-%m-%d %H:%M UTC"),
                           (datetime.now(UTC) - started).total_seconds(),
                           [small_fig, large_fig], details)
