"""Build a synthetic contract warehouse in DuckDB with SQL only (``range()`` + hash-based noise).

Tables ``raw.shipments`` and ``raw.tracking_events`` have the data contract's columns with the
types target-duckdb 0.8.0 writes (naive TIMESTAMP in UTC, BOOLEAN, VARCHAR, JSON ``raw``), so
the cards read them exactly as they read a loaded warehouse. About 6 events per shipment
(4..8), about 3 % of outbound shipments with at least one exception event, labels spread over
the ``span_days`` before ``as_of`` (so both the card window and its prior window are full).
Primary keys are not declared (target-duckdb declares them; at 60 M rows the index only costs
build time and memory, and no card query uses it).

Files are cached: ``ensure_warehouse`` rebuilds only when the recipe (``RECIPE_VERSION``,
size, seed, as_of) changed.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

log = logging.getLogger(__name__)
RECIPE_VERSION = 2  # 2: promised_delivery_date (day promises)

# (carrier key, name as the API spells it, cumulative share in 1/1000)
CARRIERS = (("brt", "BRT", 300), ("poste_italiane", "Poste Italiane", 550), ("gls", "GLS", 700),
            ("dhl_express", "DHL Express", 800), ("ups", "UPS", 880), ("sda", "SDA", 950),
            ("fedex", "FedEx", 1000))
CATEGORIES = ("address", "recipient", "depot_network", "customs_border", "damage_lost", "other")
CLASSES = ("transient", "conditional", "real")


@dataclass(frozen=True)
class WarehouseRecipe:
    shipments: int
    as_of: datetime
    seed: int = 7
    span_days: int = 75
    exception_per_mille: int = 30
    return_per_mille: int = 60

    @property
    def key(self) -> str:
        return (f"v{RECIPE_VERSION}-n{self.shipments}-s{self.seed}-d{self.span_days}-"
                f"e{self.exception_per_mille}-r{self.return_per_mille}-"
                f"{self.as_of.strftime('%Y%m%dT%H%M%S')}")


def _noise(expr: str, salt: int, modulus: int) -> str:
    """SQL for a deterministic pseudo-random integer in ``[0, modulus)`` from ``expr``."""
    return f"CAST(hash({expr}, {salt}) % {modulus} AS BIGINT)"


def _case(value_expr: str, choices: tuple[tuple[str, int], ...]) -> str:
    """SQL CASE picking a label by cumulative thresholds on ``value_expr`` (0..999)."""
    arms = " ".join(f"WHEN {value_expr} < {limit} THEN '{label}'" for label, limit in choices)
    return f"CASE {arms} END"


def shipments_sql(recipe: WarehouseRecipe) -> str:
    s = recipe.seed
    as_of = recipe.as_of.strftime("%Y-%m-%d %H:%M:%S")
    span_s = recipe.span_days * 86400
    pick = _noise("i", s + 1, 1000)
    carrier = _case(pick, tuple((k, limit) for k, _, limit in CARRIERS))
    name = _case(pick, tuple((n, limit) for _, n, limit in CARRIERS))
    return f"""
    CREATE OR REPLACE TABLE raw.shipments AS
    WITH base AS (
        SELECT i,
               TIMESTAMP '{as_of}' - to_seconds(1 + {_noise('i', s + 2, span_s)}) AS created_at,
               {carrier} AS carrier, {name} AS carrier_name,
               {_noise('i', s + 3, 1000)} < {recipe.return_per_mille} AS is_return,
               {_noise('i', s + 4, 1000)} AS fate
        FROM range({recipe.shipments}) t(i)
    )
    SELECT CAST(100000000 + i AS VARCHAR) AS shipment_id,
           'ORD-' || CAST(i AS VARCHAR) AS order_ref,
           carrier, carrier_name,
           CASE WHEN i % 3 = 0 THEN 'Express' ELSE 'Standard' END AS carrier_service,
           'TN' || CAST(900000000 + i AS VARCHAR) AS tracking_number,
           created_at,
           created_at + INTERVAL 6 HOUR AS shipped_at,
           'IT' AS origin_country,
           CASE WHEN i % 10 = 0 THEN 'DE' ELSE 'IT' END AS destination_country,
           is_return,
           CASE WHEN fate < 900 THEN 'delivered' ELSE 'in_transit' END AS status,
           CAST(NULL AS TIMESTAMP) AS promised_delivery_at,
           CASE WHEN fate < 900 THEN created_at + INTERVAL 70 HOUR END AS delivered_at,
           fate < 900 AS is_terminal,
           created_at + INTERVAL 70 HOUR AS updated_at,
           CAST('{{"OrderID": ' || CAST(100000000 + i AS VARCHAR) || '}}' AS JSON) AS raw,
           -- a day promise, as target-duckdb lands a JSON-Schema date (text)
           CAST(CAST(created_at + INTERVAL 3 DAY AS DATE) AS VARCHAR) AS promised_delivery_date,
           -- helpers for the events table, dropped below
           4 + {_noise('i', s + 5, 5)} AS n_events,
           {_noise('i', s + 6, 1000)} < {recipe.exception_per_mille} AS has_exception,
           {_noise('i', s + 7, 1000)} < 150 AS has_second_exception
    FROM base
    """


def events_sql(recipe: WarehouseRecipe) -> str:
    s = recipe.seed
    key = "shipment_id || '-' || CAST(k AS VARCHAR)"
    category = _case(_noise(key, s + 8, 1000),
                     (("address", 300), ("recipient", 560), ("depot_network", 800),
                      ("customs_border", 920), ("damage_lost", 1000)))
    klass = _case(_noise(key, s + 9, 1000),
                  (("transient", 350), ("conditional", 650), ("real", 1000)))
    is_exc = "(has_exception AND (k = 2 OR (k = 4 AND has_second_exception)))"
    return f"""
    CREATE OR REPLACE TABLE raw.tracking_events AS
    WITH ev AS (
        SELECT shipment_id, tracking_number, carrier, created_at, n_events, is_terminal,
               unnest(range(n_events)) AS k, has_exception, has_second_exception
        FROM raw.shipments
    )
    SELECT 'ev-' || shipment_id || '-' || CAST(k AS VARCHAR) AS event_id,
           shipment_id, tracking_number, carrier,
           created_at + to_seconds(k * 36000 + {_noise(key, s + 10, 3600)}) AS occurred_at,
           CASE WHEN {is_exc} THEN 5 WHEN k = n_events - 1 AND is_terminal THEN 6
                WHEN k = 0 THEN 1 ELSE 2 END AS shippypro_code,
           NULL::VARCHAR AS carrier_code,
           CASE WHEN {is_exc} THEN 'Giacenza' ELSE 'In transito' END AS message,
           'Milano' AS city,
           CASE WHEN {is_exc} THEN 'exception' WHEN k = n_events - 1 AND is_terminal
                THEN 'delivered' WHEN k = 0 THEN 'info_received' ELSE 'in_transit' END
                AS milestone,
           CASE WHEN {is_exc} THEN {category} END AS exception_category,
           CASE WHEN {is_exc} THEN {category} || '.synthetic' END AS exception_reason,
           CASE WHEN {is_exc} THEN {klass} END AS exception_class,
           CASE WHEN {is_exc} THEN 'message' ELSE 'shippypro_code' END AS classified_by,
           'bench-1' AS taxonomy_version,
           created_at + INTERVAL 80 HOUR AS synced_at,
           CAST('{{"k": ' || CAST(k AS VARCHAR) || '}}' AS JSON) AS raw
    FROM ev
    """


def build_warehouse(path: Path, recipe: WarehouseRecipe, *, threads: int = 2,
                    memory_limit: str = "8GB") -> float:
    """(Re)build the warehouse at ``path``; return the build time in seconds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    started = time.perf_counter()
    with duckdb.connect(str(tmp)) as con:
        con.execute("SET enable_progress_bar = false")
        con.execute(f"SET threads = {threads}")
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute("SET preserve_insertion_order = false")
        con.execute("CREATE SCHEMA IF NOT EXISTS raw")
        con.execute(shipments_sql(recipe))
        con.execute(events_sql(recipe))
        con.execute("ALTER TABLE raw.shipments DROP COLUMN n_events")
        con.execute("ALTER TABLE raw.shipments DROP COLUMN has_exception")
        con.execute("ALTER TABLE raw.shipments DROP COLUMN has_second_exception")
        con.execute("CREATE TABLE raw.bench_recipe AS SELECT ? AS recipe", [recipe.key])
        con.execute("CHECKPOINT")
    tmp.rename(path)
    seconds = time.perf_counter() - started
    log.info("built synthetic warehouse %s (%s shipments) in %.1f s", path, recipe.shipments,
             seconds)
    return seconds


def cached_recipe(path: Path) -> str | None:
    if not path.exists():
        return None
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            return con.execute("SELECT recipe FROM raw.bench_recipe").fetchone()[0]
    except duckdb.Error:
        return None


def ensure_warehouse(path: Path, recipe: WarehouseRecipe) -> float | None:
    """Build ``path`` unless it already holds ``recipe``; return build seconds or None (cached)."""
    if cached_recipe(path) == recipe.key:
        log.info("reusing synthetic warehouse %s", path)
        return None
    return build_warehouse(path, recipe)


def table_counts(path: Path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {t: con.execute(f"SELECT count(*) FROM raw.{t}").fetchone()[0]
                for t in ("shipments", "tracking_events")}
