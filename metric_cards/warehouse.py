"""SQLAlchemy Core tables of the warehouse data contract, generated from its one declaration
(``shipping_core/contract.py``; prose in docs/data-contract.md).

Cards and reconciliation read only these tables and columns, so any Singer target's warehouse
works. ``contract_tables(schema)`` binds them to a schema (``raw`` for the DuckDB loader by
default; ``None`` for SQLite or an unqualified search path).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import JSON, Boolean, Column, Date, DateTime, Integer, MetaData, String, Table
from sqlalchemy.types import TypeEngine

from shipping_core.contract import CARRIERS, KINDS, SHIPMENTS, TRACKING_EVENTS, ContractTable

#: contract kind -> SQLAlchemy column type (instants are time-zone-aware: UTC, never naive)
SQL_TYPES: dict[str, Callable[[], TypeEngine]] = {
    "string": String,
    "timestamp": lambda: DateTime(timezone=True),
    "date": Date,
    "integer": Integer,
    "boolean": Boolean,
    "object": JSON,
    "string_array": JSON,
}
assert set(SQL_TYPES) == KINDS, "every contract kind needs a SQLAlchemy type"


@dataclass(frozen=True)
class ContractTables:
    shipments: Table
    tracking_events: Table
    carriers: Table


def _table(table: ContractTable, metadata: MetaData) -> Table:
    return Table(table.name, metadata, *(
        Column(column.name, SQL_TYPES[column.kind](), primary_key=column.key)
        for column in table.columns))


def contract_tables(schema: str | None = "raw") -> ContractTables:
    """Table objects for the contract, qualified with ``schema``."""
    md = MetaData(schema=schema)
    return ContractTables(_table(SHIPMENTS, md), _table(TRACKING_EVENTS, md),
                          _table(CARRIERS, md))
