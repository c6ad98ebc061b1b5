"""Command line of the suite: ``python -m benchmarks [--quick] [--only N ...]``.

Runs the selected benchmarks, prints the figures as a table, stores the results as JSON and
writes the markdown report (``BENCHMARKS.md`` at the repository root for the full size;
``output/benchmarks/BENCHMARKS-<size>.md`` for the smaller ones unless ``--output`` is given).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import shlex
import shutil
import sys
import tempfile
import traceback
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import machine
from benchmarks.context import Context
from benchmarks.report import (
    BenchmarkResult,
    console_table,
    load_results,
    render_markdown,
    save_results,
)
from benchmarks.settings import PRESETS, ROOT

# number -> module implementing ``run(ctx) -> BenchmarkResult`` and ``TITLE``
MODULES = {
    1: "benchmarks.bench_sync_latency",
    2: "benchmarks.bench_api_economy",
    3: "benchmarks.bench_cpu_throughput",
    4: "benchmarks.bench_memory",
    5: "benchmarks.bench_cards",
    6: "benchmarks.bench_end_to_end",
    7: "benchmarks.bench_postgres_cards",
}
TITLES = {
    1: "Latency-bound sync",
    2: "API economy",
    3: "CPU cost per record",
    4: "Memory",
    5: "Cards at scale (synthetic DuckDB warehouse)",
    6: "End to end (meltano run into DuckDB)",
    7: "Cards on Postgres beside DuckDB (worked example)",
}
log = logging.getLogger("benchmarks")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure sync latency, API economy, CPU throughput, memory, cards at scale "
                    "and the end-to-end pipeline, each beside its floor; print a table and "
                    "write BENCHMARKS.md.")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--size", choices=sorted(PRESETS), default="full",
                      help="sizes to run at (default: full, the issue's targets)")
    size.add_argument("--quick", action="store_const", const="quick", dest="size",
                      help="small sizes (same as --size quick)")
    parser.add_argument("--only", type=int, action="append", choices=sorted(MODULES),
                        metavar="N", help="run only benchmark N (repeatable; 1..7)")
    parser.add_argument("--runs", type=int, help="repetitions per figure (median reported)")
    parser.add_argument("--output", type=Path,
                        help="markdown report to write (default: BENCHMARKS.md for --size full, "
                             "output/benchmarks/BENCHMARKS-<size>.md otherwise)")
    parser.add_argument("--cache-dir", type=Path,
                        help="where synthetic warehouses are cached (default output/benchmarks)")
    parser.add_argument("--keep-workdir", action="store_true",
                        help="keep the scratch directory (tap outputs, logs) for inspection")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    args = parser.parse_args(argv)
    if args.runs is not None and args.runs < 1:
        parser.error(f"--runs: expected a positive integer, got {args.runs}")
    return args


def default_output(size: str) -> Path:
    if size == "full":
        return ROOT / "BENCHMARKS.md"
    return ROOT / "output" / "benchmarks" / f"BENCHMARKS-{size}.md"


def run_one(number: int, ctx: Context) -> BenchmarkResult:
    """Run benchmark ``number``; a failure becomes a result carrying the error, not a crash."""
    started = datetime.now(UTC)
    try:
        module = importlib.import_module(MODULES[number])
        return module.run(ctx)
    except Exception as exc:  # reported in the table and the markdown, with the traceback logged
        log.error("benchmark %d (%s) failed: %s\n%s", number, TITLES[number], exc,
                  traceback.format_exc())
        return BenchmarkResult(number, TITLES[number], ctx.settings.size,
                               started.strftime("%Y-%m-%d %H:%M UTC"),
                               (datetime.now(UTC) - started).total_seconds(), [],
                               error=f"{type(exc).__name__}: {exc}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    if not args.verbose:
        logging.getLogger("metric_cards").setLevel(logging.WARNING)
    settings = PRESETS[args.size]
    if args.runs:
        settings = replace(settings, runs=args.runs)
    if args.cache_dir:
        settings = replace(settings, cache_dir=args.cache_dir.resolve())
    output = (args.output or default_output(args.size)).resolve()
    results_path = settings.cache_dir / f"{output.stem}.json"
    selected = sorted(set(args.only or MODULES))
    settings.cache_dir.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="bench-", dir=settings.cache_dir))
    ctx = Context(settings, workdir, log)
    fresh: list[BenchmarkResult] = []
    try:
        for number in selected:
            log.info("benchmark %d: %s (size %s)", number, TITLES[number], settings.size)
            fresh.append(run_one(number, ctx))
    finally:
        if args.keep_workdir:
            log.info("scratch files kept in %s", workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    info = machine.describe()
    results = load_results(results_path)
    results.update({r.number: r for r in fresh})
    save_results(results_path, info, results)
    command = "python -m benchmarks" + (f" --size {args.size}" if args.size != "full" else "")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render_markdown(info, results, TITLES, command), "utf-8")
    print(console_table(fresh))
    print(f"\nwrote {output} (results: {results_path})")
    log.debug("argv: %s", shlex.join(sys.argv))
    return 1 if any(r.error for r in fresh) else 0
