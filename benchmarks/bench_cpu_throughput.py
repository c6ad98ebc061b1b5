"""Benchmark 3: the tap's own CPU cost per record over loopback HTTP, beside two HTTP floors and
the SDK reference.

The tap syncs a fresh world of ``cpu_shipments`` shipments from the sandbox (first sync, zero
injected latency, output to a file). Costs are CPU-seconds (user + system, all threads, from
``wait4``) per 100k RECORD messages, so they hold on a shared machine where wall time does not:

* **HTTP floor** (``benchmarks.floor_client``): the same API calls on the same number of threads
  with ``http.client`` keep-alive, requests and bodies through msgspec (the tap's codec), and the
  same records written as JSON lines. The issue's 1.5x target is against this floor.
* **Strict HTTP floor** (``benchmarks.floor_loop``): the same calls and records with the least
  work for the HTTP part too - one thread, ``CONCURRENCY`` non-blocking keep-alive sockets on
  ``selectors``, each request one prebuilt write, responses parsed by ``httptools`` - so it pays
  for no costlier HTTP path than the tap's. Reported beside the other, with the tap's ratio to it.
* **SDK reference** (``benchmarks.sdk_floor``): vanilla singer-sdk writing the same records, no
  HTTP. Target: the tap's CPU above the HTTP floor is at most this.

The sandbox's own CPU (``/proc``) during each run is reported beside them. When the tap is more
than 1.5x the floor, the tap is run once under cProfile and the report says where the time goes.
"""

from __future__ import annotations

import json
import pstats
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.context import Context
from benchmarks.figures import Figure, median
from benchmarks.processes import process_cpu_seconds, run_measured
from benchmarks.report import BenchmarkResult
from benchmarks.sandbox_harness import Sandbox, WorldSpec, recent_start, start_sandbox
from benchmarks.tap_runner import TAP, read_output, run_tap, write_config

NUMBER = 3
TITLE = "CPU cost per record"
TARGET = 1.5  # tap CPU per record / HTTP floor CPU per record
FLOORS = {"floor": "benchmarks.floor_client", "strict": "benchmarks.floor_loop"}
CONCURRENCY = 4
WORLD_DAYS = 20
PER = 100_000  # figures are CPU-seconds per this many records
ROOT = Path(__file__).resolve().parents[1]


def call_plan(singer_output: Path) -> dict[str, Any]:
    """The calls the tap made, rebuilt from its shipments records (same order and params)."""
    output = read_output(singer_output, keep_shipments=True)
    shipments = []
    for shipment_id in sorted(output.shipments, key=int):
        rec = output.shipments[shipment_id]
        tracking: dict[str, Any] = {"Code": rec["tracking_number"]}
        if rec.get("carrier_name"):
            tracking["CarrierName"] = rec["carrier_name"]
        shipments.append([{"method": "GetOrder", "params": {"OrderID": int(shipment_id)}},
                          {"method": "GetTracking", "params": tracking}])
    return {"global": [{"method": "GetCarriers", "params": {}}], "shipments": shipments}


def run_floor(work: Path, url: str, plan: Path, records: Path, label: str,
              module: str = FLOORS["floor"]) -> dict[str, Any]:
    out = work / f"{label}.out"
    child = run_measured([sys.executable, "-m", module, "--url", url,
                          "--plan", str(plan), "--records", str(records), "--out",
                          str(work / f"{label}.jsonl"), "--concurrency", str(CONCURRENCY)],
                         stdout=out, stderr=work / f"{label}.log", cwd=ROOT)
    report = json.loads(out.read_text("utf-8").strip().splitlines()[-1])
    report["process_seconds"] = child.seconds
    report["cpu_seconds"] = child.cpu_seconds - report["load_cpu_seconds"]
    return report


def run_sdk(work: Path, records: Path, label: str) -> dict[str, Any]:
    report_path = work / f"{label}.report.json"
    child = run_measured([sys.executable, "-m", "benchmarks.sdk_floor", "--records",
                          str(records), "--report", str(report_path)],
                         stdout=work / f"{label}.singer.jsonl", stderr=work / f"{label}.log",
                         cwd=ROOT)
    report = json.loads(report_path.read_text("utf-8"))
    report["cpu_seconds"] = child.cpu_seconds - report["load_cpu_seconds"]
    return report


def profile_tap(work: Path, config: Path) -> str:
    """Run the tap once under cProfile; markdown summary of where the main thread's time goes."""
    prof = work / "tap.prof"
    run_measured([sys.executable, "-m", "cProfile", "-o", str(prof), str(TAP), "--config",
                  str(config)], stdout=work / "profiled.singer.jsonl",
                 stderr=work / "profiled.log")
    stats = pstats.Stats(str(prof))
    total = stats.total_tt  # type: ignore[attr-defined]
    by_package: dict[str, float] = {}
    rows = []
    for (filename, line, func), (_cc, _nc, tt, ct, _callers) in \
            stats.stats.items():  # type: ignore[attr-defined]
        by_package[package_of(filename)] = by_package.get(package_of(filename), 0.0) + tt
        rows.append((tt, ct, f"{short_path(filename)}:{line}({func})"))
    rows.sort(reverse=True)
    lines = [f"Profile of one tap run (cProfile, main thread, {total:.2f} s of own time; the "
             "tap's API calls run on it too, in its fetch loop). Own time by package:", "",
             "| package | own s | share |", "|---|---|---|"]
    for pkg, secs in sorted(by_package.items(), key=lambda kv: -kv[1])[:10]:
        lines.append(f"| {pkg} | {secs:.2f} | {secs / total:.0%} |")
    lines += ["", "Top functions by own time:", "", "| own s | cumulative s | function |",
              "|---|---|---|"]
    lines += [f"| {tt:.2f} | {ct:.2f} | `{name}` |" for tt, ct, name in rows[:15]]
    return "\n".join(lines)


def package_of(filename: str) -> str:
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0]
    if "tap_shipping_exceptions/" in filename:
        return "tap_shipping_exceptions"
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins (C: json, I/O, locks, ...)"
    return "python stdlib"


def short_path(filename: str) -> str:
    for marker in ("site-packages/", "tap_shipping_exceptions/", "/lib/python3.11/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


@dataclass
class Samples:
    """Per-run figures of one benchmark-3 measurement (CPU-s per ``PER`` records unless noted)."""

    tap_cpu: list[float] = field(default_factory=list)
    floor_cpu: list[float] = field(default_factory=list)
    strict_cpu: list[float] = field(default_factory=list)  # the strict HTTP floor
    sdk_cpu: list[float] = field(default_factory=list)
    above: list[float] = field(default_factory=list)  # tap minus HTTP floor, same run
    server_tap: list[float] = field(default_factory=list)  # sandbox CPU-s while the tap ran
    server_floor: list[float] = field(default_factory=list)  # ... while the floor ran
    server_strict: list[float] = field(default_factory=list)  # ... while the strict floor ran
    tap_rates: list[float] = field(default_factory=list)  # records/s, wall clock
    records: int = 0  # RECORD messages per sync
    calls: int = 0  # API calls per sync


def measure_round(ctx: Context, i: int, work: Path, sandbox: Sandbox, config: Path,
                  plan: Path, samples: Samples) -> None:
    """Run ``i``: the tap, then the two HTTP floors and the SDK reference on the tap's
    records."""
    server = sandbox.process.pid
    before = process_cpu_seconds(server)
    tap = run_tap(work, config, label=f"tap-r{i}")
    samples.server_tap.append(process_cpu_seconds(server) - before)
    assert tap.output is not None
    samples.records = records = tap.output.total_records
    if i == 0:
        plan.write_text(json.dumps(call_plan(work / "tap-r0.singer.jsonl")), "utf-8")
    samples.tap_cpu.append(tap.child.cpu_seconds / records * PER)
    samples.tap_rates.append(records / tap.seconds)
    before = process_cpu_seconds(server)
    floor = run_floor(work, sandbox.url, plan, work / "tap-r0.singer.jsonl", f"floor-r{i}")
    samples.server_floor.append(process_cpu_seconds(server) - before)
    samples.calls = floor["calls"]
    samples.floor_cpu.append(floor["cpu_seconds"] / floor["records"] * PER)
    before = process_cpu_seconds(server)
    strict = run_floor(work, sandbox.url, plan, work / "tap-r0.singer.jsonl", f"strict-r{i}",
                       FLOORS["strict"])
    samples.server_strict.append(process_cpu_seconds(server) - before)
    samples.strict_cpu.append(strict["cpu_seconds"] / strict["records"] * PER)
    sdk = run_sdk(work, work / "tap-r0.singer.jsonl", f"sdk-r{i}")
    samples.sdk_cpu.append(sdk["cpu_seconds"] / sdk["records"] * PER)
    samples.above.append(samples.tap_cpu[-1] - samples.floor_cpu[-1])
    ctx.log.info("cpu run %d: tap %.2f, http floor %.2f, strict floor %.2f, sdk %.2f "
                 "CPU-s/100k records; server %.2f / %.2f / %.2f CPU-s", i + 1,
                 samples.tap_cpu[-1], samples.floor_cpu[-1], samples.strict_cpu[-1],
                 samples.sdk_cpu[-1], samples.server_tap[-1], samples.server_floor[-1],
                 samples.server_strict[-1])


def headline_figures(shipments: int, samples: Samples) -> tuple[Figure, Figure]:
    """The two targets: tap CPU against the HTTP floor, and the tap's CPU above the floor
    against vanilla singer-sdk's."""
    main = Figure(NUMBER, f"tap CPU per 100k records, first sync of {shipments:,} "
                          "shipments over loopback HTTP", "CPU-s", samples.tap_cpu,
                  floor=median(samples.floor_cpu),
                  floor_label="http.client keep-alive, same calls + JSON lines")
    main.check_ratio(TARGET)
    over = Figure(NUMBER, "tap CPU above the HTTP floor, per 100k records", "CPU-s",
                  samples.above, floor=median(samples.sdk_cpu),
                  floor_label="vanilla singer-sdk writing the same records")
    over.check_ratio(1.0)
    return main, over


def reference_figures(samples: Samples) -> list[Figure]:
    """The references on their own, the sandbox's CPU and the wall-clock rate."""
    per_record = PER / samples.records
    return [
        Figure(NUMBER, "HTTP floor CPU per 100k records (same calls and records, no SDK)",
               "CPU-s", samples.floor_cpu),
        Figure(NUMBER, "strict HTTP floor CPU per 100k records (one thread, non-blocking "
               "sockets, httptools + msgspec)", "CPU-s", samples.strict_cpu),
        Figure(NUMBER, "tap CPU per 100k records / strict floor", "CPU-s", samples.tap_cpu,
               floor=median(samples.strict_cpu), floor_label="strict HTTP floor, same runs",
               target="— (the issue's 1.5x is against the http.client floor)",
               extra={"per_run_ratio": per_run_ratios(samples.tap_cpu, samples.strict_cpu)}),
        Figure(NUMBER, "vanilla singer-sdk CPU per 100k records (same records, no HTTP)",
               "CPU-s", samples.sdk_cpu),
        Figure(NUMBER, "sandbox server CPU per 100k records while the tap ran", "CPU-s",
               [x * per_record for x in samples.server_tap],
               floor=median(samples.server_floor) * per_record,
               floor_label="server CPU while the HTTP floor ran"),
        Figure(NUMBER, "tap records/s (wall; noisy on a shared machine)", "rec/s",
               samples.tap_rates, higher_is_better=True),
    ]


def per_run_ratios(tap: list[float], floor: list[float]) -> list[float]:
    return [round(t / f, 3) for t, f in zip(tap, floor, strict=True)]


def per_run_text(samples: Samples) -> str:
    """Each run's figures (CPU-s per 100k records) and the tap's ratios to both floors."""
    lines = ["Per run (CPU-s per 100k records; server = sandbox CPU-s over the run):", "",
             "| run | tap | HTTP floor | strict floor | tap / HTTP floor | tap / strict floor "
             "| server: tap / floor / strict |", "|---|---|---|---|---|---|---|"]
    for i, (tap, floor, strict) in enumerate(zip(samples.tap_cpu, samples.floor_cpu,
                                                 samples.strict_cpu, strict=True)):
        lines.append(f"| {i + 1} | {tap:.2f} | {floor:.2f} | {strict:.2f} | {tap / floor:.2f}x "
                     f"| {tap / strict:.2f}x | {samples.server_tap[i]:.2f} / "
                     f"{samples.server_floor[i]:.2f} / {samples.server_strict[i]:.2f} |")
    return "\n".join(lines)


def method_text(shipments: int, samples: Samples) -> str:
    return (
        f"Method: sandbox world `bulk` ({shipments:,} shipments in the last {WORLD_DAYS} "
        f"days, no injected latency) in its own process, first sync at max_concurrency "
        f"{CONCURRENCY}: {samples.records:,} RECORD messages and {samples.calls:,} API calls "
        "per sync. CPU = user + system seconds of the process and all its threads (``wait4``), "
        "start-up and imports included; for the two references, minus the CPU of reading their "
        "input files. The HTTP floor (`benchmarks/floor_client.py`) makes the tap's calls with "
        f"`http.client` keep-alive on {CONCURRENCY} threads, writes each request and parses "
        "each body with msgspec (the tap's codec) and writes the tap's own records as Singer "
        "RECORD lines with msgspec - no retries, pacing, "
        "validation, classification or state. The strict HTTP floor (`benchmarks/floor_loop.py`) "
        "does the same with the least work for the HTTP part too: one thread driving "
        f"{CONCURRENCY} non-blocking keep-alive sockets with `selectors`, each request one "
        "prebuilt write (msgspec body), responses parsed by `httptools` and decoded by msgspec; "
        "it shares no code with the tap. The issue's 1.5x target is against the `http.client` "
        "floor; the tap's ratio to the strict floor is reported beside it. The SDK reference "
        "(`benchmarks/sdk_floor.py`) is "
        "vanilla singer-sdk (default conformance, record path and writer) emitting the same "
        "records from memory. Server CPU is the sandbox process's `/proc` counters over each "
        "run. Wall-clock records/s is reported for completeness only: other processes shared "
        "the 2 cores while this ran.")


def run(ctx: Context) -> BenchmarkResult:
    s = ctx.settings
    started = datetime.now(UTC)
    now = datetime.now(UTC)
    spec = WorldSpec("bulk", {"shipments": s.cpu_shipments, "start": recent_start(WORLD_DAYS),
                              "days": WORLD_DAYS}, seed=s.seed, now=now)
    work = ctx.scratch("cpu_throughput")
    samples = Samples()
    with start_sandbox(spec, work) as sandbox:
        archive = sandbox.write_archive(now)
        config = write_config(work / "config.json", api_url=sandbox.url, archive_glob=archive,
                              max_concurrency=CONCURRENCY)
        for i in range(s.runs):
            measure_round(ctx, i, work, sandbox, config, work / "plan.json", samples)
        main, over = headline_figures(s.cpu_shipments, samples)
        profile = ""
        if main.met is False:
            profile = profile_tap(work, config)
            main.note = "the tap is more than 1.5x the floor; the profile below shows where"
    details = "\n".join([method_text(s.cpu_shipments, samples), "", per_run_text(samples), "",
                         profile])
    return BenchmarkResult(NUMBER, TITLE, s.size, started.strftime("%Y-%m-%d %H:%M UTC"),
                           (datetime.now(UTC) - started).total_seconds(),
                           [main, over, *reference_figures(samples)], details)
