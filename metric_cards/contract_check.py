"""Check a warehouse against the data contract before any card query runs.

The columns a query needs are read from the compiled SQLAlchemy statement itself (every column
of a contract table it references, through any alias), so a card definition cannot need a column
the check forgets. Each one must exist with a compatible type; otherwise one line names the
table and the column. Without this check a missing ``tracking_events.exception_category`` can
resolve against something else in scope (DuckDB reads ``raw.tracking_events.x`` as a field of
the JSON ``raw`` column) and a card prints 0 % with status OK.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import text
from sqlalchemy import types as sqltypes
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import ColumnClause
from sqlalchemy.sql.schema import Column, Table

from metric_cards.connection import safe_url
from metric_cards.errors import WarehouseError

#: What a contract column's type must be compatible with, by kind.
KIND_LABELS = {"timestamp": "a timestamp", "date": "a date (or ISO 8601 date text)",
               "text": "text", "integer": "an integer",
               "boolean": "a boolean", "json": "JSON or text"}


def kind_of(column_type: Any) -> str:
    """The contract kind of a SQLAlchemy (declared) column type."""
    if isinstance(column_type, sqltypes.DateTime):
        return "timestamp"
    if isinstance(column_type, sqltypes.Date):
        return "date"
    if isinstance(column_type, sqltypes.Boolean):
        return "boolean"
    if isinstance(column_type, sqltypes.Integer):
        return "integer"
    if isinstance(column_type, sqltypes.JSON):
        return "json"
    return "text"


#: Words of a warehouse's type name (information_schema / SQLite declared type) per kind.
TYPE_WORDS = {
    "timestamp": ("timestamp", "datetime"),
    # target-duckdb 0.8.0 writes a JSON-Schema ``date`` as VARCHAR (read with ``as_date``)
    "date": ("date", "char", "text", "string"),
    "boolean": ("bool",),
    "integer": ("int", "numeric", "decimal", "number"),
    "json": ("json", "char", "text", "string", "clob"),
    "text": ("char", "text", "string", "clob", "enum"),
}
#: SQLite stores instants as ISO 8601 text and booleans as integers (its own conventions).
SQLITE_EXTRA = {"timestamp": ("char", "text", "string"), "boolean": ("int",)}


def compatible(expected: str, found: str, dialect: str) -> bool:
    """Whether a warehouse column of type name ``found`` can hold a column of kind ``expected``."""
    name = found.lower()
    words = TYPE_WORDS[expected] + (SQLITE_EXTRA.get(expected, ()) if dialect == "sqlite" else ())
    if dialect == "sqlite" and not name:
        return True  # a column without a declared type takes any value
    return any(word in name for word in words)


def warehouse_columns(conn: Connection, table: str, schema: str | None) -> dict[str, str]:
    """{column name (lower case): type name} of ``table`` ({} when it does not exist)."""
    if conn.dialect.name == "sqlite":
        quoted = table.replace('"', '""')
        prefix = f'"{schema}".' if schema else ""
        rows = conn.exec_driver_sql(f'PRAGMA {prefix}table_info("{quoted}")').fetchall()
        return {str(r[1]).lower(): str(r[2] or "") for r in rows}
    cols = text("select column_name, data_type from information_schema.columns "
                "where table_name = :t and table_schema = "
                + (":s" if schema else "current_schema()"))
    params = {"t": table, **({"s": schema} if schema else {})}
    return {str(r[0]).lower(): str(r[1]) for r in conn.execute(cols, params)}


def referenced_columns(statements: Iterable[Any]) -> dict[str, dict[str, Column[Any]]]:
    """{table: {column: Column}} of every contract-table column the statements reference.

    Columns of aliases and subqueries are followed back to their table through ``proxy_set``.
    """
    needed: dict[str, dict[str, Column[Any]]] = {}
    for statement in statements:
        for element in visitors.iterate(statement):
            if not isinstance(element, ColumnClause):
                continue
            for column in element.proxy_set:
                if isinstance(column, Column) and isinstance(column.table, Table):
                    needed.setdefault(column.table.name, {})[column.name] = column
    return needed


def check_contract(conn: Connection, schema: str | None, statements: Iterable[Any],
                   purpose: str) -> None:
    """Raise WarehouseError naming the first missing or mistyped column ``statements`` need."""
    needed = referenced_columns(statements)
    dialect = conn.dialect.name
    where = f"schema {schema!r}" if schema else "the default schema"
    for table in sorted(needed):
        try:
            reflected = warehouse_columns(conn, table, schema)
        except SQLAlchemyError as exc:
            raise WarehouseError(f"warehouse {safe_url(conn.engine)}: cannot list the columns "
                                 f"of {table!r} ({str(exc).splitlines()[0]})") from exc
        if not reflected:
            raise WarehouseError(f"warehouse {safe_url(conn.engine)}: table {table!r} not found "
                                 f"in {where} ({purpose} needs it; pass --schema to choose "
                                 "another schema)")
        for name in sorted(needed[table]):
            expected = kind_of(needed[table][name].type)
            found = reflected.get(name.lower())
            if found is None:
                raise WarehouseError(f"warehouse {safe_url(conn.engine)}: column "
                                     f"{table}.{name} is missing in {where} ({purpose} needs it "
                                     f"as {KIND_LABELS[expected]})")
            if not compatible(expected, found, dialect):
                raise WarehouseError(f"warehouse {safe_url(conn.engine)}: column "
                                     f"{table}.{name} has type {found or 'none'} in {where}; "
                                     f"{purpose} needs {KIND_LABELS[expected]}")
