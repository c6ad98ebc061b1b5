"""Check a warehouse against the data contract before any card query runs.

The columns a query needs are read from the compiled SQLAlchemy statement itself (every column
of a contract table it references, through any alias), so a card definition cannot need a column
the check forgets. Each one must exist with a compatible type (``metric_cards.contract_rules``);
otherwise one line names the table and the column. Without this check a missing
``tracking_events.exception_category`` can resolve against something else in scope (DuckDB reads
``raw.tracking_events.x`` as a field of the JSON ``raw`` column) and a card prints 0 % with
status OK.
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
from metric_cards.contract_rules import check_columns, columns_sql
from metric_cards.errors import WarehouseError


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


def warehouse_columns(conn: Connection, table: str, schema: str | None) -> dict[str, str]:
    """{column name (lower case): type name} of ``table`` ({} when it does not exist)."""
    if conn.dialect.name == "sqlite":
        quoted = table.replace('"', '""')
        prefix = f'"{schema}".' if schema else ""
        rows = conn.exec_driver_sql(f'PRAGMA {prefix}table_info("{quoted}")').fetchall()
        return {str(r[1]).lower(): str(r[2] or "") for r in rows}
    cols = text(columns_sql(":t", ":s" if schema else None))
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


def needed_kinds(statements: Iterable[Any]) -> dict[str, dict[str, str]]:
    """{table: {column: contract kind}} the statements need (what a plan records)."""
    return {table: {name: kind_of(column.type) for name, column in columns.items()}
            for table, columns in referenced_columns(statements).items()}


def check_contract(conn: Connection, schema: str | None, statements: Iterable[Any],
                   purpose: str) -> None:
    """Raise WarehouseError naming the first missing or mistyped column ``statements`` need."""
    check_needs(conn, schema, needed_kinds(statements), purpose)


def check_needs(conn: Connection, schema: str | None, needed: dict[str, dict[str, str]],
                purpose: str) -> None:
    """``check_contract`` for needs already worked out (``needed_kinds``)."""
    url = safe_url(conn.engine)

    def columns_of(table: str) -> dict[str, str]:
        try:
            return warehouse_columns(conn, table, schema)
        except SQLAlchemyError as exc:
            raise WarehouseError(f"warehouse {url}: cannot list the columns of {table!r} "
                                 f"({str(exc).splitlines()[0]})") from exc

    check_columns(needed, columns_of, dialect=conn.dialect.name, schema=schema, url=url,
                  purpose=purpose)
