"""Benchmark 7: every card on Postgres beside DuckDB, on the worked example.

The tap syncs the sandbox's worked-example month once; its Singer output is loaded into a DuckDB
file and into a Postgres database in the loaders' physical form (naive ``timestamp`` holding
UTC, JSON ``raw``; Postgres gets the documented ``tracking_events (shipment_id)`` index). Each
card is then evaluated through ``metric_cards.evaluate`` on one warm engine per warehouse. The
floor of the Postgres figure is DuckDB's time for the same cards in the same run; the target is
at most 3x. The payloads of both warehouses must be identical.

Postgres: ``TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``); a
database named ``tse_bench_<pid>_<random>`` is created there and dropped afterwards.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from sqlalchemy import Engine, MetaData, Table, create_engine, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import JSON, DateTime

from benchmarks.context import Context, timed
from benchmarks.figures import Figure, median
from benchmarks.postgres_scratch import configured_url, scratch_database
from benchmarks.report import BenchmarkResult
from benchmarks.sandbox_harness import WorldSpec, start_sandbox
from benchmarks.tap_runner import run_tap, write_config
from metric_cards.evaluate import evaluate
from metric_cards.registry import packaged_cards
from metric_cards.warehouse import contract_tables

NUMBER = 7
TITLE = "Cards on Postgres beside DuckDB (worked example)"
RATIO_LIMIT = 3.0
STREAMS = ("shipments", "tracking_events", "carriers")


def read_records(path: Path) -> dict[str, list[dict[str, Any]]]:
    records: dict[str, list[dict[str, Any]]] = {s: [] for s in STREAMS}
    with path.open("rb") as handle:
        for line in handle:
            message = json.loads(line)
            if message.get("type") == "RECORD" and message["stream"] in records:
                records[message["stream"]].append(message["record"])
    return records


def loader_tables(schema: str, json_type: Any) -> list[Table]:
    """The contract tables as the loaders create them: naive timestamps, JSON ``raw``."""
    source = contract_tables(schema)
    md = MetaData(schema=schema)
    out = []
    for table in (source.shipments, source.tracking_events, source.carriers):
        columns = []
        for column in table.columns:
            copy = column._copy()
            if isinstance(copy.type, DateTime):
                copy.type = DateTime(timezone=False)
            elif isinstance(copy.type, JSON):
                copy.type = json_type
            columns.append(copy)
        out.append(Table(table.name, md, *columns))
    return out


def table_rows(table: Table, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records as a loader writes them: naive UTC datetimes, every contract column present."""
    out = []
    for record in records:
        row: dict[str, Any] = {}
        for column in table.columns:
            value = record.get(column.name)
            if isinstance(column.type, DateTime) and value:
                value = (datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
                         .replace(tzinfo=None))
            row[column.name] = value
        out.append(row)
    return out


def load_duckdb(path: Path, records: dict[str, list[dict[str, Any]]]) -> None:
    engine = create_engine(f"duckdb:///{path}")
    tables = loader_tables("raw", JSON())
    with engine.begin() as conn:
        conn.execute(text("create schema if not exists raw"))
    tables[0].metadata.create_all(engine)
    engine.dispose()
    with duckdb.connect(str(path)) as con:
        for table in tables:
            rows = table_rows(table, records[table.name])
            df = pd.DataFrame({  # noqa: F841 - read by DuckDB by name
                c.name: pd.Series([json.dumps(r[c.name]) if c.name in ("raw", "services")
                                   and r[c.name] is not None else r[c.name] for r in rows],
                                  dtype=object)
                for c in table.columns})
            con.execute(f"insert into raw.{table.name} select * from df")


def load_postgres(url: str, records: dict[str, list[dict[str, Any]]]) -> None:
    engine = create_engine(url)
    tables = loader_tables("raw", JSONB())
    try:
        with engine.begin() as conn:
            conn.execute(text("create schema if not exists raw"))
        tables[0].metadata.create_all(engine)
        with engine.begin() as conn:
            for table in tables:
                rows = table_rows(table, records[table.name])
                if rows:
                    conn.execute(table.insert(), rows)
            conn.execute(text("create index if not exists tracking_events_shipment_id "
                              "on raw.tracking_events (shipment_id)"))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("analyze"))
    finally:
        engine.dispose()


def time_cards(engine: Engine, as_of: datetime, runs: int) -> tuple[list[float], dict[str, Any]]:
    """Total seconds for every packaged card per run, and the payloads of the last run."""
    cards = list(packaged_cards())
    for card_id in cards:  # warm-up: caches, connection pool, compiled SQL
        evaluate(card_id, engine, as_of)
    totals: list[float] = []
    payloads: dict[str, Any] = {}
    for _ in range(runs):
        total = 0.0
        for card_id in cards:
            seconds, payloads[card_id] = timed(lambda c=card_id: evaluate(c, engine, as_of))
            total += seconds
        totals.append(total)
    return totals, payloads


def run(ctx: Context) -> BenchmarkResult:
    s = ctx.settings
    started = datetime.now(UTC)
    work = ctx.scratch("postgres_cards")
    spec = WorldSpec("worked_example", {}, seed=s.seed)
    as_of = datetime.fromtimestamp(spec.world().as_of, UTC)
    singer = s.cache_dir / f"worked-example-{s.seed}.singer.jsonl"
    if not singer.exists():  # the tap's output is deterministic per seed: sync once, reuse
        with start_sandbox(spec, work) as sandbox:
            sandbox.set_clock(as_of)
            archive = sandbox.write_archive(as_of)
            config = write_config(work / "tap.json", api_url=sandbox.url,
                                  archive_glob=archive, max_concurrency=4)
            run_tap(work, config, label="tap", parse=False)
        singer.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(work / "tap.singer.jsonl", singer)
    records = read_records(singer)
    counts = {k: len(v) for k, v in records.items()}
    ctx.log.info("postgres cards: tap emitted %s", counts)
    duck_path = work / "warehouse.duckdb"
    load_duckdb(duck_path, records)
    runs = max(s.runs, 5) if s.size != "smoke" else 1
    duck_engine = create_engine(f"duckdb:///{duck_path}", connect_args={"read_only": True})
    try:
        duck_times, duck_payloads = time_cards(duck_engine, as_of, runs)
    finally:
        duck_engine.dispose()
    with scratch_database(configured_url(), "tse_bench") as url:
        load_postgres(url, records)
        pg_engine = create_engine(url)
        try:
            pg_times, pg_payloads = time_cards(pg_engine, as_of, runs)
        finally:
            pg_engine.dispose()
    differing = sorted(c for c in duck_payloads if duck_payloads[c] != pg_payloads[c])
    n = len(duck_payloads)
    pg = Figure(NUMBER, f"all {n} cards on Postgres, worked example", "s", pg_times,
                floor=median(duck_times), floor_label="DuckDB, same cards")
    pg.check_ratio(RATIO_LIMIT)
    duck = Figure(NUMBER, f"all {n} cards on DuckDB, worked example", "s", duck_times)
    agree = Figure(NUMBER, "Postgres payload = DuckDB payload", f"of {n} cards",
                   [float(n - len(differing))], target=f"{n} of {n}", met=not differing,
                   note="" if not differing else "differ: " + ", ".join(differing))
    rate = pg_payloads["exception_rate"]
    details = "\n".join([
        f"Method: sandbox world `worked_example` (seed {s.seed}) synced once by the tap at its "
        "reading instant; the Singer output loaded into DuckDB (naive `TIMESTAMP`, as "
        "target-duckdb 0.8.0 writes it) and into Postgres (naive `timestamp` and `jsonb`, as "
        "target-postgres 0.8.1 writes it, plus the index `tracking_events (shipment_id)` and "
        "`ANALYZE`). Every packaged card evaluated through `metric_cards.evaluate.evaluate` "
        f"on one warm engine per warehouse, {runs} runs; figures are the total for all cards.",
        f"- rows: {counts}; exception_rate on Postgres {rate['numerator']:,} / "
        f"{rate['denominator']:,}",
        "- per run (s): DuckDB " + ", ".join(f"{x:.3f}" for x in duck_times)
        + "; Postgres " + ", ".join(f"{x:.3f}" for x in pg_times),
    ])
    return BenchmarkResult(NUMBER, TITLE, s.size, started.strftime("%Y-%m-%d %H:%M UTC"),
                           (datetime.now(UTC) - started).total_seconds(), [duck, pg, agree],
                           details)
