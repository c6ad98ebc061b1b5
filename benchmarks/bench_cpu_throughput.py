"""Benchmark 3: CPU throughput of the tap with zero injected latency, against a no-SDK floor.

The tap syncs a fresh world of ``cpu_shipments`` shipments (first sync, output to a file);
records/s = RECORD messages / wall time. The floor (``benchmarks.floor_client``, its own
process) fetches the same calls with the same concurrency, parses them, and writes the same
records as JSON lines. When the tap is more than 2x slower than the floor, the tap is run once
under cProfile and the report says where the time goes.
"""

from __future__ import annotations

import json
import pstats
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.context import Context
from benchmarks.figures import Figure, median
from benchmarks.processes import run_measured
from benchmarks.report import BenchmarkResult
from benchmarks.sandbox_harness import WorldSpec, recent_start, start_sandbox
from benchmarks.tap_runner import TAP, read_output, run_tap, write_config

NUMBER = 3
TITLE = "CPU throughput"
TARGET = 2.0
CONCURRENCY = 4
WORLD_DAYS = 20


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


def run_floor(work: Path, url: str, plan: Path, records: Path, label: str) -> dict[str, Any]:
    out = work / f"{label}.out"
    child = run_measured([sys.executable, "-m", "benchmarks.floor_client", "--url", url,
                          "--plan", str(plan), "--records", str(records), "--out",
                          str(work / f"{label}.jsonl"), "--concurrency", str(CONCURRENCY)],
                         stdout=out, stderr=work / f"{label}.log",
                         cwd=Path(__file__).resolve().parents[1])
    report = json.loads(out.read_text("utf-8").strip().splitlines()[-1])
    report["process_seconds"] = child.seconds
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
    lines = [f"Profile of one tap run (cProfile, main thread only, {total:.2f} s of own time; "
             "worker threads doing HTTP are not in it). Own time by package:", "",
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
    if "tap_shipping_exceptions" in filename:
        return "tap_shipping_exceptions"
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins (C: json, I/O, locks, ...)"
    return "python stdlib"


def short_path(filename: str) -> str:
    for marker in ("site-packages/", "/work/main/", "/lib/python3.11/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def run(ctx: Context) -> BenchmarkResult:
    s = ctx.settings
    started = datetime.now(UTC)
    now = datetime.now(UTC)
    spec = WorldSpec("bulk", {"shipments": s.cpu_shipments, "start": recent_start(WORLD_DAYS),
                              "days": WORLD_DAYS}, seed=s.seed, now=now)
    work = ctx.scratch("cpu_throughput")
    tap_rates: list[float] = []
    floor_rates: list[float] = []
    floor_reports: list[dict[str, Any]] = []
    records = 0
    with start_sandbox(spec, work) as sandbox:
        archive = sandbox.write_archive(now)
        config = write_config(work / "config.json", api_url=sandbox.url, archive_glob=archive,
                              max_concurrency=CONCURRENCY)
        first = run_tap(work, config, label="tap-r0")
        assert first.output is not None
        records = first.output.total_records
        tap_rates.append(records / first.seconds)
        plan = work / "plan.json"
        plan.write_text(json.dumps(call_plan(work / "tap-r0.singer.jsonl")), "utf-8")
        for i in range(s.runs):
            if i:
                again = run_tap(work, config, label=f"tap-r{i}")
                assert again.output is not None
                tap_rates.append(again.output.total_records / again.seconds)
            report = run_floor(work, sandbox.url, plan, work / "tap-r0.singer.jsonl",
                               f"floor-r{i}")
            seconds = report["process_seconds"] - load_seconds(report)
            floor_rates.append(report["records"] / seconds)
            floor_reports.append(report)
            ctx.log.info("cpu run %d: tap %.0f rec/s, floor %.0f rec/s (%s)", i + 1,
                         tap_rates[-1], floor_rates[-1], report)
        fig = Figure(NUMBER, f"tap records/s, first sync of {s.cpu_shipments:,} shipments, "
                             "no latency", "rec/s", tap_rates, floor=median(floor_rates),
                     floor_label="fetch+parse+JSON lines, no SDK", higher_is_better=True)
        fig.check_ratio(TARGET)
        profile = ""
        if fig.met is False:
            profile = profile_tap(work, config)
            fig.note = "the tap is more than 2x the floor; the profile in section 3 shows where"
    floor_fig = Figure(NUMBER, "floor records/s (same calls and records, no SDK)", "rec/s",
                       floor_rates)
    fetch = median([r["fetch_seconds"] for r in floor_reports])
    ser = median([r["serialise_seconds"] for r in floor_reports])
    details = "\n".join([
        f"Method: sandbox world `bulk` ({s.cpu_shipments:,} shipments in the last {WORLD_DAYS} "
        f"days, no injected latency), first sync at max_concurrency {CONCURRENCY}, "
        f"{records:,} RECORD messages per sync. Tap figure = records / wall time of the tap "
        "process (start-up and SDK import included). Floor = `benchmarks/floor_client.py` in "
        "its own process: the same GetCarriers/GetOrder/GetTracking calls on "
        f"{CONCURRENCY} threads with `requests`, bodies parsed with `json`, then the tap's own "
        "records written as Singer RECORD lines with msgspec; its wall time minus reading the "
        f"records file. Floor split (median): fetch+parse {fetch:.2f} s, serialise {ser:.2f} s.",
        "", profile])
    return BenchmarkResult(NUMBER, TITLE, s.size, started.strftime("%Y-%m-%d %H:%M UTC"),
                           (datetime.now(UTC) - started).total_seconds(), [fig, floor_fig],
                           details)


def load_seconds(report: dict[str, Any]) -> float:
    """Floor-process time spent reading its inputs (start-up is kept in the floor, this is not)."""
    return float(report["load_seconds"])
