"""Per-dialect handling of UTC instants, so one compiled card runs on DuckDB, SQLite, Postgres.

The warehouse holds UTC instants in different physical forms: target-duckdb 0.8.0 writes naive
TIMESTAMP holding UTC, SQLAlchemy-built DuckDB tables use TIMESTAMPTZ, SQLite keeps text
(``2026-03-12 08:00:00.000000`` or ISO 8601 with ``T``/``Z``/offset), Postgres ``timestamptz``.
``utc_ts(col)`` normalises a column (SQLite: ``strftime('%Y-%m-%d %H:%M:%f', col)``, which also
converts offsets to UTC) and ``instant(dt)`` binds a Python datetime in the matching form
(naive UTC for DuckDB, whose session zone is pinned to UTC by ``prepare_connection``; text for
SQLite; aware UTC elsewhere).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, String, bindparam
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

SQLITE_FORMAT = "%Y-%m-%d %H:%M:%f"


def sqlite_text(moment: datetime) -> str:
    """A UTC instant in the text form ``strftime('%Y-%m-%d %H:%M:%f', …)`` produces."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


class UtcInstant(TypeDecorator):
    """Bind type for instants compared with ``utc_ts`` columns."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String())
        return dialect.type_descriptor(DateTime(timezone=dialect.name != "duckdb"))

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"expected a timezone-aware datetime, got {value!r}")
        if dialect.name == "sqlite":
            return sqlite_text(value)
        if dialect.name == "duckdb":
            return value.astimezone(UTC).replace(tzinfo=None)
        return value.astimezone(UTC)

    def process_literal_param(self, value: Any, dialect: Any) -> Any:
        if dialect.name == "sqlite":
            return sqlite_text(value)
        return value.astimezone(UTC).replace(tzinfo=None)


def instant(moment: datetime, name: str | None = None) -> BindParameter[Any]:
    """A bound parameter holding ``moment`` as a UTC instant."""
    return bindparam(name, moment, type_=UtcInstant(), unique=name is None)


class utc_ts(FunctionElement):
    """A timestamp column normalised to a comparable UTC form for the dialect."""

    type = DateTime()
    inherit_cache = True
    name = "utc_ts"


@compiles(utc_ts)
def _utc_ts_default(element: utc_ts, compiler: Any, **kw: Any) -> str:
    return compiler.process(next(iter(element.clauses)), **kw)


@compiles(utc_ts, "sqlite")
def _utc_ts_sqlite(element: utc_ts, compiler: Any, **kw: Any) -> str:
    return f"strftime('{SQLITE_FORMAT}', {compiler.process(next(iter(element.clauses)), **kw)})"


class plus_hours(FunctionElement):
    """``utc_ts(col)`` shifted by a whole number of hours fixed in code (never user input)."""

    type = DateTime()
    inherit_cache = True
    name = "plus_hours"

    def __init__(self, column: ColumnElement[Any], hours: int):
        if not isinstance(hours, int):
            raise TypeError("hours must be an int")
        self.hours = hours
        super().__init__(column)


@compiles(plus_hours)
def _plus_hours_default(element: plus_hours, compiler: Any, **kw: Any) -> str:
    col = compiler.process(next(iter(element.clauses)), **kw)
    return f"({col} + INTERVAL '{int(element.hours)} hours')"


@compiles(plus_hours, "sqlite")
def _plus_hours_sqlite(element: plus_hours, compiler: Any, **kw: Any) -> str:
    col = compiler.process(next(iter(element.clauses)), **kw)
    return f"strftime('{SQLITE_FORMAT}', {col}, '+{int(element.hours)} hours')"


def prepare_connection(conn: Connection) -> None:
    """Pin the DuckDB session zone to UTC so TIMESTAMPTZ and naive UTC compare correctly."""
    if conn.dialect.name == "duckdb":
        conn.exec_driver_sql("SET TimeZone = 'UTC'")
        from metric_cards.duckdb_literals import send_literals
        send_literals(conn)  # keeps the driver from importing pandas (start-up time)


def to_utc(value: Any) -> datetime | None:
    """A warehouse timestamp value (datetime, naive UTC or text) as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if not isinstance(value, datetime):
        raise TypeError(f"expected a timestamp, got {value!r}")
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
