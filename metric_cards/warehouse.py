"""SQLAlchemy Core tables for the warehouse data contract (docs/data-contract.md).

Cards and reconciliation read only these tables and columns, so any Singer target's warehouse
works. ``contract_tables(schema)`` binds them to a schema (``raw`` for the DuckDB loader by
default; ``None`` for SQLite or an unqualified search path).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import JSON, Boolean, Column, DateTime, Integer, MetaData, String, Table


@dataclass(frozen=True)
class ContractTables:
    shipments: Table
    tracking_events: Table
    carriers: Table


def contract_tables(schema: str | None = "raw") -> ContractTables:
    """Table objects for the contract, qualified with ``schema``."""
    md = MetaData(schema=schema)
    shipments = Table(
        "shipments", md,
        Column("shipment_id", String, primary_key=True),
        Column("order_ref", String),
        Column("carrier", String),
        Column("carrier_name", String),
        Column("carrier_service", String),
        Column("tracking_number", String),
        Column("created_at", DateTime(timezone=True)),
        Column("shipped_at", DateTime(timezone=True)),
        Column("origin_country", String),
        Column("destination_country", String),
        Column("is_return", Boolean),
        Column("status", String),
        Column("promised_delivery_at", DateTime(timezone=True)),
        Column("delivered_at", DateTime(timezone=True)),
        Column("is_terminal", Boolean),
        Column("updated_at", DateTime(timezone=True)),
        Column("raw", JSON),
    )
    tracking_events = Table(
        "tracking_events", md,
        Column("event_id", String, primary_key=True),
        Column("shipment_id", String),
        Column("tracking_number", String),
        Column("carrier", String),
        Column("occurred_at", DateTime(timezone=True)),
        Column("shippypro_code", Integer),
        Column("carrier_code", String),
        Column("message", String),
        Column("city", String),
        Column("milestone", String),
        Column("exception_category", String),
        Column("exception_reason", String),
        Column("exception_class", String),
        Column("classified_by", String),
        Column("taxonomy_version", String),
        Column("synced_at", DateTime(timezone=True)),
        Column("raw", JSON),
    )
    carriers = Table(
        "carriers", md,
        Column("carrier", String, primary_key=True),
        Column("carrier_name", String),
        Column("services", JSON),
        Column("taxonomy_version", String),
    )
    return ContractTables(shipments, tracking_events, carriers)
