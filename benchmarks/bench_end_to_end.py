"""Benchmark 6: ``meltano run tap-shipping-exceptions target-duckdb`` on the worked-example month.

Each run uses a fresh Meltano system database (state) and a fresh DuckDB file. Beside the
pipeline's wall time: the tap alone (output to a file) and the loader alone (target-duckdb
reading that file, with the loader settings of ``meltano.yml``), both timed; a perfectly
overlapped pipe cannot beat the slower of the two, which is the floor. Loader rows/s = rows
landed / loader-alone wall time; the loader's peak RSS and both halves' CPU-seconds are reported
beside (CPU holds on a shared machine where wall time does not).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from benchmarks.context import Context
from benchmarks.figures import Figure, median
from benchmarks.processes import process_cpu_seconds, run_measured
from benchmarks.report import BenchmarkResult
from benchmarks.sandbox_harness import Sandbox, WorldSpec, start_sandbox
from benchmarks.settings import ROOT
from benchmarks.tap_runner import API_KEY, run_tap, write_config

NUMBER = 6
TITLE = "End to end (meltano run into DuckDB)"
BIN = Path(sys.executable).parent
LOADER_BIN = ROOT / ".meltano" / "loaders" / "target-duckdb" / "venv" / "bin" / "target-duckdb"
TABLES = ("carriers", "shipments", "tracking_events")
WALL_TARGET_S = 45.0
LOADER_RSS_TARGET_MIB = 350.0


def loader_config(work: Path) -> dict[str, object]:
    """target-duckdb's configuration as Meltano resolves it from meltano.yml (batch size, the
    schema named by the project's ``WAREHOUSE_SCHEMA`` etc.), the warehouse path left out."""
    env = {**os.environ, "MELTANO_DATABASE_URI": f"sqlite:///{work / 'meltano-config.db'}",
           "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false"}
    for name in [k for k in env if k.startswith("TARGET_DUCKDB_")]:
        del env[name]  # the file's settings, not this shell's
    printed = subprocess.run([str(BIN / "meltano"), "config", "--unsafe", "print",
                              "--plugin-type=loader", "target-duckdb"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=300)
    if printed.returncode != 0:
        raise RuntimeError(f"meltano config print target-duckdb failed: {printed.stderr[-2000:]}")
    config = json.loads(printed.stdout)
    return {k: v for k, v in config.items() if k != "path"}


def loader_name() -> str:
    """``target-duckdb <version>`` as installed in Meltano's plugin venv."""
    site = LOADER_BIN.parent.parent / "lib"
    for info in site.glob("python*/site-packages/target_duckdb-*.dist-info"):
        return "target-duckdb " + info.name.removesuffix(".dist-info").split("-")[-1]
    return "target-duckdb"


def table_rows(path: Path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {t: con.execute(f"SELECT count(*) FROM raw.{t}").fetchone()[0] for t in TABLES}


def private_sys_dir(work: Path) -> Path:
    """A ``.meltano`` of our own whose plugin venvs link to the project's installed ones.

    Meltano writes each invocation's config under ``.meltano/run/<plugin>/`` and removes it
    afterwards, so two ``meltano run`` in one project at the same time (tests, other users)
    can delete each other's config; a private sys dir keeps this run's files to itself.
    """
    sys_dir = work / "meltano-sys"
    sys_dir.mkdir(parents=True, exist_ok=True)
    for kind in ("extractors", "loaders", "utilities"):
        link = sys_dir / kind
        if not link.exists() and (ROOT / ".meltano" / kind).exists():
            link.symlink_to(ROOT / ".meltano" / kind, target_is_directory=True)
    return sys_dir


def meltano_env(work: Path, url: str, archive: str, warehouse: Path) -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
            "MELTANO_SYS_DIR_ROOT": str(private_sys_dir(work)),
            "MELTANO_ENVIRONMENT": "sandbox",
            "MELTANO_DATABASE_URI": f"sqlite:///{work / 'meltano.db'}",
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "TAP_SHIPPING_EXCEPTIONS_API_URL": url,
            "TAP_SHIPPING_EXCEPTIONS_API_KEY": API_KEY,
            "TAP_SHIPPING_EXCEPTIONS_WEBHOOK_ARCHIVE": archive,
            "TARGET_DUCKDB_PATH": str(warehouse)}


def install_plugins(work: Path) -> None:
    env = {**os.environ, "PATH": f"{BIN}:{os.environ.get('PATH', '')}"}
    for kind, name in (("extractor", "tap-shipping-exceptions"), ("loader", "target-duckdb")):
        run_measured([str(BIN / "meltano"), "install", "--plugin-type", kind, name],
                     stdout=work / f"install-{name}.log", stderr=work / f"install-{name}.err",
                     cwd=ROOT, env=env, timeout=1800)


@dataclass
class Samples:
    """What each run measured, one entry per run (seconds, CPU-seconds, MiB)."""

    pipeline: list[float] = field(default_factory=list)
    tap_alone: list[float] = field(default_factory=list)
    loader_alone: list[float] = field(default_factory=list)
    tap_cpu: list[float] = field(default_factory=list)
    loader_cpu: list[float] = field(default_factory=list)
    loader_rss: list[float] = field(default_factory=list)
    pipeline_cpu: list[float] = field(default_factory=list)
    loads: list[tuple[float, float]] = field(default_factory=list)  # 1-min load before / after
    server_cpu: list[float] = field(default_factory=list)  # the sandbox answering meltano run
    rows: dict[str, int] = field(default_factory=dict)  # rows landed by the last run


def run(ctx: Context) -> BenchmarkResult:
    s = ctx.settings
    started = datetime.now(UTC)
    work = ctx.scratch("end_to_end")
    install_plugins(work)
    spec = WorldSpec("worked_example", {}, seed=s.seed)
    samples = Samples()
    settings = loader_config(work)
    with start_sandbox(spec, work) as sandbox:
        as_of = datetime.fromtimestamp(sandbox.world.as_of, UTC)
        sandbox.set_clock(as_of)
        archive = sandbox.write_archive(as_of)
        for i in range(s.runs):
            measure_run(ctx, sandbox, archive, settings, work / f"run{i}", samples)
    name = loader_name()
    figures = pipeline_figures(samples, name)
    return BenchmarkResult(NUMBER, TITLE, s.size, started.strftime("%Y-%m-%d %H:%M UTC"),
                           (datetime.now(UTC) - started).total_seconds(), figures,
                           method_details(ctx, samples, settings, name))


def measure_run(ctx: Context, sandbox: Sandbox, archive: str, settings: dict[str, object],
                run_dir: Path, samples: Samples) -> None:
    """One ``meltano run``, then the tap alone and the loader alone on the same data."""
    run_dir.mkdir()
    warehouse = run_dir / "warehouse.duckdb"
    env = meltano_env(run_dir, sandbox.url, archive, warehouse)
    load_before = os.getloadavg()[0]
    server_before = process_cpu_seconds(sandbox.process.pid)
    child = run_measured([str(BIN / "meltano"), "run", "tap-shipping-exceptions",
                          "target-duckdb"], stdout=run_dir / "meltano.out",
                         stderr=run_dir / "meltano.log", cwd=ROOT, env=env,
                         timeout=3600)
    samples.pipeline.append(child.seconds)
    # wait4 of meltano counts the tap and the loader it waited for
    samples.pipeline_cpu.append(child.cpu_seconds)
    samples.server_cpu.append(process_cpu_seconds(sandbox.process.pid) - server_before)
    samples.loads.append((load_before, os.getloadavg()[0]))
    samples.rows = table_rows(warehouse)
    # the two halves alone, on the same data
    config = write_config(run_dir / "tap.json", api_url=sandbox.url,
                          archive_glob=archive, max_concurrency=4)
    tap_run = run_tap(run_dir, config, label="tap-alone", parse=False)
    samples.tap_alone.append(tap_run.seconds)
    samples.tap_cpu.append(tap_run.child.cpu_seconds)
    loader_cfg = run_dir / "loader.json"
    loader_cfg.write_text(json.dumps({
        **settings, "path": str(run_dir / "loader-alone.duckdb")}), "utf-8")
    loaded = run_measured([str(LOADER_BIN), "--config", str(loader_cfg)],
                          stdin=run_dir / "tap-alone.singer.jsonl",
                          stdout=run_dir / "loader.out", stderr=run_dir / "loader.log",
                          timeout=3600)
    samples.loader_alone.append(loaded.seconds)
    samples.loader_cpu.append(loaded.cpu_seconds)
    samples.loader_rss.append(loaded.peak_rss_mib)
    alone_rows = table_rows(run_dir / "loader-alone.duckdb")
    if alone_rows != samples.rows:
        raise RuntimeError(f"loader alone landed {alone_rows}, meltano run {samples.rows}")
    ctx.log.info("end to end run %d: meltano %.1f s, tap alone %.1f s, loader alone "
                 "%.1f s, rows %s", len(samples.pipeline), child.seconds, tap_run.seconds,
                 loaded.seconds, samples.rows)


def pipeline_figures(samples: Samples, name: str) -> list[Figure]:
    """Wall, loader RSS, CPU of each half and of the whole, least wall time, rows/s."""
    total_rows = sum(samples.rows.values())
    floor = max(median(samples.tap_alone), median(samples.loader_alone))
    wall = Figure(NUMBER, "meltano run, worked-example month (16,000 shipments) into DuckDB",
                  "s", samples.pipeline, floor=floor,
                  floor_label="slower of tap alone / loader alone")
    wall.check_at_most(WALL_TARGET_S)
    rss = Figure(NUMBER, f"loader peak RSS ({name}, alone, worked example)", "MiB",
                 samples.loader_rss)
    rss.check_at_most(LOADER_RSS_TARGET_MIB)
    cpu_tap = Figure(NUMBER, "tap alone CPU, worked example", "CPU-s", samples.tap_cpu)
    cpu_loader = Figure(NUMBER, "loader alone CPU, worked example", "CPU-s", samples.loader_cpu)
    loader = Figure(NUMBER, f"loader rows/s ({name}, alone)", "rows/s",
                    [total_rows / x for x in samples.loader_alone])
    through = Figure(NUMBER, "pipeline rows/s (rows landed / meltano run wall)", "rows/s",
                     [total_rows / x for x in samples.pipeline])
    cpu_pipeline = Figure(NUMBER, "meltano run CPU (meltano + tap + loader), worked example",
                          "CPU-s", samples.pipeline_cpu,
                          floor=median(samples.tap_cpu) + median(samples.loader_cpu),
                          floor_label="tap alone + loader alone CPU")
    cores = os.cpu_count() or 1
    least = Figure(NUMBER, f"least wall time on {cores} idle cores (CPU of meltano run + the "
                           f"sandbox answering it, / {cores})", "s",
                   least_wall(samples, cores))
    return [wall, rss, cpu_tap, cpu_loader, cpu_pipeline, least, loader, through]


def least_wall(samples: Samples, cores: int) -> list[float]:
    """Per run: CPU of meltano run plus the sandbox answering it, spread over ``cores``."""
    return [(a + b) / cores
            for a, b in zip(samples.pipeline_cpu, samples.server_cpu, strict=True)]


def method_details(ctx: Context, samples: Samples, settings: dict[str, object],
                   name: str) -> str:
    """The report section's method paragraph and the CPU-bound explanation."""
    s = ctx.settings
    rows = samples.rows
    total_rows = sum(rows.values())
    cores = os.cpu_count() or 1
    shown_loads = ", ".join(f"{a:.1f}->{b:.1f}" for a, b in samples.loads)
    least = median(least_wall(samples, cores))
    return "\n".join([
        f"Method: sandbox world `worked_example` (seed {s.seed}) at its reading instant, "
        "`meltano run tap-shipping-exceptions target-duckdb` with environment `sandbox`, a "
        "fresh Meltano state database and DuckDB file per run. Loader: "
        f"{name} from Meltano's plugin venv (meltano.yml settings: "
        + ", ".join(f"{k} {v}" for k, v in settings.items()) + "). "
        "Rows landed per run: " + ", ".join(f"{t} {n:,}" for t, n in rows.items())
        + f" = {total_rows:,}. Tap alone median {median(samples.tap_alone):.1f} s, loader "
        f"alone median {median(samples.loader_alone):.1f} s.",
        "",
        f"The run is CPU-bound: meltano run used {median(samples.pipeline_cpu):.1f} CPU-s and "
        f"the sandbox answering the tap {median(samples.server_cpu):.1f} CPU-s (medians), so on "
        f"this machine's {cores} cores no schedule finishes it in less than "
        f"{least:.1f} s even with the machine to itself; 1-minute load "
        f"average before -> after each run: {shown_loads} (other jobs take their share of the "
        "cores, and the wall figure grows with them).",
    ])
