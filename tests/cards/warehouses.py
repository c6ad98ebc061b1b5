"""Small hand-made test warehouses written through ``contract_tables()``.

DuckDB files get schema ``raw`` (TIMESTAMPTZ via SQLAlchemy DDL, or naive TIMESTAMP as
target-duckdb 0.8.0 writes them); SQLite files use no schema (timestamps as text).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text

from metric_cards.warehouse import contract_tables

_ids = itertools.count(1)


def ts(text_: str) -> datetime:
    """ISO instant with offset → aware UTC datetime."""
    return datetime.fromisoformat(text_.replace("Z", "+00:00")).astimezone(UTC)


@dataclass
class Rows:
    shipments: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    def ship(self, sid: str, created: str, *, carrier: str = "brt", is_return: bool = False,
             origin: str = "IT", destination: str = "IT", promised: str | None = None,
             delivered: str | None = None, status: str = "in_transit",
             promised_day: str | None = None) -> str:
        self.shipments.append({
            "shipment_id": sid, "order_ref": f"o-{sid}", "carrier": carrier,
            "carrier_name": carrier.upper(), "carrier_service": None,
            "tracking_number": f"T{sid}", "created_at": ts(created), "shipped_at": None,
            "origin_country": origin, "destination_country": destination,
            "is_return": is_return, "status": status,
            "promised_delivery_at": ts(promised) if promised else None,
            "promised_delivery_date": date.fromisoformat(promised_day) if promised_day else None,
            "delivered_at": ts(delivered) if delivered else None,
            "is_terminal": delivered is not None, "updated_at": ts(created), "raw": {}})
        return sid

    def event(self, sid: str, at: str, milestone: str = "exception",
              category: str | None = None, cls: str | None = None,
              synced: str | None = None) -> None:
        if category is not None and cls is None:
            cls = "real"
        self.events.append({
            "event_id": f"e{next(_ids)}", "shipment_id": sid, "tracking_number": f"T{sid}",
            "carrier": "brt", "occurred_at": ts(at), "shippypro_code": 3,
            "carrier_code": None, "message": None, "city": None, "milestone": milestone,
            "exception_category": category,
            "exception_reason": f"{category}.x" if category else None,
            "exception_class": cls, "classified_by": "carrier_code", "taxonomy_version": "t1",
            "synced_at": ts(synced or at), "raw": {}})


NAIVE_DDL = {
    "shipments": """create table raw.shipments (shipment_id varchar, order_ref varchar,
        carrier varchar, carrier_name varchar, carrier_service varchar,
        tracking_number varchar, created_at timestamp, shipped_at timestamp,
        origin_country varchar, destination_country varchar, is_return boolean,
        status varchar, promised_delivery_at timestamp, delivered_at timestamp,
        is_terminal boolean, updated_at timestamp, raw json,
        promised_delivery_date varchar)""",
    "tracking_events": """create table raw.tracking_events (event_id varchar,
        shipment_id varchar, tracking_number varchar, carrier varchar,
        occurred_at timestamp, shippypro_code integer, carrier_code varchar, message varchar,
        city varchar, milestone varchar, exception_category varchar, exception_reason varchar,
        exception_class varchar, classified_by varchar, taxonomy_version varchar,
        synced_at timestamp, raw json)""",
}


def _naive(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # as target-duckdb 0.8.0 writes them: naive UTC timestamps, dates as ISO text
    return [{k: (v.replace(tzinfo=None) if isinstance(v, datetime)
                 else v.isoformat() if isinstance(v, date) else v)
             for k, v in r.items()} for r in rows]


def build(kind: str, directory: Path, rows: Rows) -> tuple[Engine, str | None]:
    """Write ``rows`` into a fresh warehouse; returns (engine, schema)."""
    if kind == "sqlite":
        engine = create_engine(f"sqlite:///{directory / 'wh.sqlite'}")
        schema = None
        tables = contract_tables(schema)
        tables.shipments.metadata.create_all(engine)
        ship_rows, event_rows = rows.shipments, rows.events
    else:
        engine = create_engine(f"duckdb:///{directory / 'wh.duckdb'}")
        schema = "raw"
        tables = contract_tables(schema)
        with engine.begin() as conn:
            conn.execute(text("create schema if not exists raw"))
            if kind == "duckdb_naive":
                for ddl in NAIVE_DDL.values():
                    conn.execute(text(ddl))
            else:
                conn.execute(text("SET TimeZone = 'UTC'"))
        if kind != "duckdb_naive":
            tables.shipments.metadata.create_all(engine)
        naive = kind == "duckdb_naive"
        ship_rows = _naive(rows.shipments) if naive else rows.shipments
        event_rows = _naive(rows.events) if naive else rows.events
    with engine.begin() as conn:
        if ship_rows:
            conn.execute(tables.shipments.insert(), ship_rows)
        if event_rows:
            conn.execute(tables.tracking_events.insert(), event_rows)
    return engine, schema
