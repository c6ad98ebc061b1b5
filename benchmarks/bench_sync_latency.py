"""Benchmark 1: latency-bound first sync (sandbox with injected latency per call).

A world of ``sync_shipments`` new shipments (labels in the last 20 days); the tap syncs it from
scratch at each ``max_concurrency``. Floor = calls x latency / concurrency (with a configured
rate limit R the floor is also at least calls / R). Calls and 429s are counted by the sandbox.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.api_calls import parse_stats
from benchmarks.context import Context
from benchmarks.figures import Figure, median
from benchmarks.processes import ChildFailed
from benchmarks.report import BenchmarkResult
from benchmarks.sandbox_harness import Sandbox, WorldSpec, iso, recent_start, start_sandbox
from benchmarks.tap_runner import run_tap, write_config

NUMBER = 1
TITLE = "Latency-bound sync"
TARGET_AT_16 = 1.25
PROBE_TIMEOUT_FACTOR = 4.0  # the rate-limited probe is killed after 4x its floor
WORLD_DAYS = 20


def run(ctx: Context) -> BenchmarkResult:
    s = ctx.settings
    started = datetime.now(UTC)
    now = datetime.now(UTC)
    spec = WorldSpec("bulk", {"shipments": s.sync_shipments, "start": recent_start(WORLD_DAYS),
                              "days": WORLD_DAYS}, seed=s.seed, latency_ms=s.sync_latency_ms,
                     rate_limit=s.sync_rate_limit, now=now)
    work = ctx.scratch("sync_latency")
    figures: list[Figure] = []
    rows: list[str] = []
    with start_sandbox(spec, work) as sandbox:
        archive = sandbox.write_archive(now)
        tracking = {sh.tracking_number: sh.order_id for sh in sandbox.world.shipments}
        for conc in s.sync_concurrency:
            fig, row = concurrency_figure(ctx, sandbox, work, archive, tracking, conc)
            figures.append(fig)
            rows.append(row)
        figures.append(throttled_figure(ctx, figures))
        if s.rate_limit_probe:
            figures += rate_limited(ctx, sandbox, archive, tracking, s.rate_limit_probe)
    return BenchmarkResult(NUMBER, TITLE, s.size, started.strftime("%Y-%m-%d %H:%M UTC"),
                           (datetime.now(UTC) - started).total_seconds(), figures,
                           method_details(ctx, now, rows), extra=_extra(figures))


def concurrency_figure(ctx: Context, sandbox: Sandbox, work: Path, archive: str,
                       tracking: dict[str, int], conc: int) -> tuple[Figure, str]:
    """First syncs at one ``max_concurrency``: the wall-time figure and its table row."""
    s = ctx.settings
    config = write_config(work / f"c{conc}.json", api_url=sandbox.url,
                          archive_glob=archive, max_concurrency=conc)
    runs = 1 if conc == 1 and s.size == "full" else s.runs
    walls: list[float] = []
    floors: list[float] = []
    throttled: list[int] = []
    calls: list[int] = []
    records: dict[str, int] = {}
    for i in range(runs):
        sandbox.reset_stats()
        run_ = run_tap(work, config, label=f"c{conc}-r{i}")
        stats = parse_stats(sandbox.stats(), tracking)
        floor = stats.total * s.sync_latency_ms / 1000 / conc
        if s.sync_rate_limit:
            floor = max(floor, stats.total / s.sync_rate_limit)
        walls.append(run_.seconds)
        floors.append(floor)
        throttled.append(stats.throttled)
        calls.append(stats.total)
        records = run_.output.records if run_.output else {}
        ctx.log.info("sync c=%d run %d: %.2f s, %d calls (%s), %d x 429, floor %.2f s",
                     conc, i + 1, run_.seconds, stats.total, stats.by_method,
                     stats.throttled, floor)
    fig = Figure(NUMBER, f"first sync of {s.sync_shipments:,} shipments, "
                         f"max_concurrency {conc}", "s", walls, floor=median(floors),
                 floor_label=f"calls x {s.sync_latency_ms} ms / {conc}")
    if conc == max(s.sync_concurrency):
        fig.check_ratio(TARGET_AT_16)
    fig.extra = {"calls": calls, "throttled": throttled, "records": records}
    if fig.met is False:
        fig.note = (f"wall {fig.value:.1f} s vs floor {fig.floor:.1f} s at "
                    f"{conc} workers; see section 1")
    row = (f"| {conc} | {runs} | {median(calls):,.0f} | {max(throttled)} | "
           f"{', '.join(f'{k} {v:,}' for k, v in sorted(records.items()))} |")
    return fig, row


def throttled_figure(ctx: Context, figures: list[Figure]) -> Figure:
    """429 answers summed over every run of ``figures``; none allowed without a rate limit."""
    s = ctx.settings
    all_throttled = [t for f in figures for t in f.extra["throttled"]]
    limit_text = (f"sandbox rate limit {s.sync_rate_limit:g}/s" if s.sync_rate_limit
                  else "no sandbox rate limit configured")
    forced = 0 if not s.sync_rate_limit else None
    tf = Figure(NUMBER, f"429 answers over all runs ({limit_text})", "x 429",
                [float(sum(all_throttled))])
    if forced is not None:
        tf.check_at_most(forced, "0 (none forced)")
    return tf


def method_details(ctx: Context, now: datetime, rows: list[str]) -> str:
    """The report section's method paragraph and per-concurrency table."""
    s = ctx.settings
    return "\n".join([
        f"Method: sandbox world `bulk` with {s.sync_shipments:,} shipments labelled in the "
        f"{WORLD_DAYS} days up to now, {s.sync_latency_ms} ms injected per call, webhook archive "
        f"up to the sandbox clock ({iso(now)}); each run is a first sync (no state) of "
        "`tap-shipping-exceptions` as a subprocess, output to a file. Calls and 429s are "
        "counted by the sandbox (`/_sandbox/stats`).", "",
        "| max_concurrency | runs | calls per sync | max 429s in a run | records |",
        "|---|---|---|---|---|", *rows])


def rate_limited(ctx: Context, sandbox: Sandbox, archive: str, tracking: dict[str, int],
                 rate: float) -> list[Figure]:
    """One sync at max concurrency against a token-bucket limit below the offered rate."""
    s = ctx.settings
    conc = max(s.sync_concurrency)
    work = ctx.scratch("sync_latency")
    config = write_config(work / "limited.json", api_url=sandbox.url, archive_glob=archive,
                          max_concurrency=conc)
    expected_calls = 2 * len(tracking) + 1
    timeout = max(60.0, PROBE_TIMEOUT_FACTOR * expected_calls / rate)
    sandbox.set_rate_limit(rate)
    finished = True
    try:
        sandbox.reset_stats()
        started = time.perf_counter()
        try:
            run_tap(work, config, label="limited", parse=False, timeout=timeout)
        except ChildFailed as exc:
            if "did not finish" not in str(exc):
                raise
            finished = False
        seconds = time.perf_counter() - started
        stats = parse_stats(sandbox.stats(), tracking)
    finally:
        sandbox.set_rate_limit(None)
    answered = stats.total - stats.throttled
    calls = answered if finished else expected_calls
    floor = max(calls * s.sync_latency_ms / 1000 / conc, calls / rate)
    ctx.log.info("rate-limited sync (%g/s) c=%d: %.2f s%s, %d calls, %d x 429, floor %.2f s",
                 rate, conc, seconds, "" if finished else " (killed)", stats.total,
                 stats.throttled, floor)
    wall = Figure(NUMBER, f"first sync, max_concurrency {conc}, sandbox limit {rate:g} calls/s",
                  "s", [seconds], floor=floor, floor_label=f"calls / {rate:g} per s")
    share = stats.throttled / stats.total if stats.total else 0.0
    achieved = answered / seconds if seconds else 0.0
    wall.note = (f"{stats.throttled} x 429 for {answered:,} answered calls ({share:.1%}); "
                 f"achieved {achieved:.1f} answered calls/s against a limit of {rate:g}/s")
    bursts = throttle_bursts(work / "limited.log")
    if bursts:
        wall.note += (f"; the 429s came in {len(bursts)} burst(s) of up to {max(bursts)} "
                      "simultaneous answers (tap log lines 'HTTP 429' within 1 s)")
    if not finished:
        wall.note = (f"NOT FINISHED: killed after {seconds:.0f} s ({PROBE_TIMEOUT_FACTOR:g}x "
                     f"the rate floor) with {answered:,} of ~{expected_calls:,} calls answered; "
                     + wall.note)
    throttled = Figure(NUMBER, f"429 answers under the {rate:g} calls/s limit", "x 429",
                       [float(stats.throttled)], floor=None)
    throttled.extra = {"calls": stats.total, "answered": answered}
    return [wall, throttled]


def throttle_bursts(log: Path, gap: float = 1.0) -> list[int]:
    """Sizes of clusters of 'HTTP 429' warnings in the tap's log (lines within ``gap`` s)."""
    if not log.exists():
        return []
    moments = []
    for line in log.read_text(errors="replace").splitlines():
        if "HTTP 429" in line:
            try:
                moments.append(datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f"))
            except ValueError:
                continue
    bursts: list[int] = []
    last: datetime | None = None
    for moment in moments:
        if last is not None and (moment - last).total_seconds() <= gap:
            bursts[-1] += 1
        else:
            bursts.append(1)
        last = moment
    return bursts


def _extra(figures: list[Figure]) -> dict[str, Any]:
    return {f.name: f.extra for f in figures}
