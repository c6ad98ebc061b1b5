"""Write hand-made contract rows into a Postgres warehouse, as SQLAlchemy or target-postgres would.

``timestamptz``: the contract tables' own DDL (``timestamp with time zone``, JSON ``raw``).
``naive``: what target-postgres 0.8.1 creates (``timestamp without time zone`` holding UTC,
``jsonb`` ``raw``), filled with naive UTC values.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.dialects.postgresql import JSONB

from metric_cards.warehouse import contract_tables


def _naive(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: (v.replace(tzinfo=None) if isinstance(v, datetime) else v)
             for k, v in r.items()} for r in rows]


def build_postgres(url: str, rows: Any, kind: str, schema: str = "raw") -> None:
    """Create ``schema``'s contract tables in ``url`` (``kind``: timestamptz or naive)."""
    tables = contract_tables(schema)
    if kind == "naive":
        for table in (tables.shipments, tables.tracking_events, tables.carriers):
            for column in table.columns:
                if column.type.__class__.__name__ == "DateTime":
                    column.type = column.type.__class__(timezone=False)
                elif column.name in ("raw", "services"):
                    column.type = JSONB()
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(f'create schema if not exists "{schema}"'))
        tables.shipments.metadata.create_all(engine)
        ships = _naive(rows.shipments) if kind == "naive" else rows.shipments
        events = _naive(rows.events) if kind == "naive" else rows.events
        with engine.begin() as conn:
            if ships:
                conn.execute(tables.shipments.insert(), ships)
            if events:
                conn.execute(tables.tracking_events.insert(), events)
            conn.execute(text(f'create index on "{schema}".tracking_events (shipment_id)'))
    finally:
        engine.dispose()
