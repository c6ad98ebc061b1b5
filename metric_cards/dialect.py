"""Per-dialect handling of UTC instants, so one compiled card runs on DuckDB, SQLite, Postgres.

The warehouse holds UTC instants in different physical forms: target-duckdb 0.8.0 writes naive
TIMESTAMP holding UTC, SQLAlchemy-built DuckDB tables use TIMESTAMPTZ, SQLite keeps text
(``2026-03-12 08:00:00.000000`` or ISO 8601 with ``T``/``Z``/offset), Postgres ``timestamptz``.
``utc_ts(col)`` normalises a column (SQLite: ``strftime('%Y-%m-%d %H:%M:%f', col)``, which also
converts offsets to UTC) and ``instant(dt)`` binds a Python datetime in the matching form
(naive UTC for DuckDB; text for SQLite; aware UTC elsewhere). ``prepare_connection`` pins the
DuckDB and Postgres session zones to UTC, the zone of every naive timestamp by the contract.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Date, DateTime, String, bindparam, event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

from metric_cards.duckdb_literals import inline_parameters
from metric_cards.session_setup import SESSION_SETUP

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
    """Pin the session zone to UTC so naive (UTC by contract) and zoned timestamps compare alike.

    Postgres casts ``timestamp`` to ``timestamptz`` with the session zone (``PGTZ``, the role's or
    database's default); DuckDB does the same with its ``TimeZone`` setting. Pinned to UTC, both
    column kinds give identical figures whatever the client or server is configured with.
    """
    for statement in SESSION_SETUP.get(conn.dialect.name, ()):
        conn.exec_driver_sql(statement)
    if conn.dialect.name == "duckdb":
        send_literals(conn)  # keeps the driver from importing pandas (start-up time)


def _inline_duckdb_parameters(conn: Any, cursor: Any, statement: str, parameters: Any,
                              context: Any, executemany: bool) -> tuple[str, Any]:
    if executemany or not parameters or not isinstance(parameters, list | tuple):
        return statement, parameters
    inlined = inline_parameters(statement, parameters)
    if inlined is None:
        return statement, parameters
    return inlined, ()


def send_literals(conn: Connection) -> None:
    """Make ``conn`` (a DuckDB connection) send parameters as literals from now on
    (``metric_cards.duckdb_literals``)."""
    if not event.contains(conn, "before_cursor_execute", _inline_duckdb_parameters):
        event.listen(conn, "before_cursor_execute", _inline_duckdb_parameters, retval=True)


# ---- calendar days of a time zone, computed inside the warehouse ------------------------------
# Both helpers read the zone from the tz database of the warehouse (DuckDB ICU, Postgres) and
# never from the session time zone: DuckDB goes through epoch microseconds and Postgres through
# ``extract(epoch ...)``, which read a naive TIMESTAMP as UTC and a TIMESTAMPTZ as its instant.
# SQLite has no tz database, so its SQL carries the zone's UTC offsets as a CASE over the zone's
# transitions (computed with ``zoneinfo``) from ZONE_TABLE_YEARS.

ZONE_TABLE_YEARS = (1990, 2060)
_ZONE_NAME = re.compile(r"^[A-Za-z0-9_+\-/]+$")


def _zone_literal(name: str) -> str:
    """A validated IANA zone name, safe to inline as an SQL string literal."""
    if not _ZONE_NAME.match(name):
        raise ValueError(f"timezone: {name!r} is not an IANA zone name")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"timezone: unknown time zone {name!r}") from exc
    return f"'{name}'"


@lru_cache(maxsize=32)
def zone_offsets(name: str) -> tuple[int, tuple[tuple[datetime, int], ...]]:
    """(offset minutes before the first transition, ((UTC instant, offset minutes after), ...)).

    Transitions of ``name`` between ZONE_TABLE_YEARS, found day by day and refined to the minute.
    """
    tz = ZoneInfo(name)

    def minutes(at: datetime) -> int:
        offset = at.astimezone(tz).utcoffset()
        return int(offset.total_seconds() // 60) if offset is not None else 0

    start = datetime(ZONE_TABLE_YEARS[0], 1, 1, tzinfo=UTC)
    end = datetime(ZONE_TABLE_YEARS[1], 1, 1, tzinfo=UTC)
    first = minutes(start)
    out: list[tuple[datetime, int]] = []
    at, current = start, first
    while at < end:
        nxt = at + timedelta(days=1)
        if minutes(nxt) != current:
            low, high = at, nxt  # the change happens in (low, high]
            while high - low > timedelta(minutes=1):
                mid = low + (high - low) / 2
                if minutes(mid) == current:
                    low = mid
                else:
                    high = mid
            current = minutes(nxt)
            out.append((high.replace(second=0, microsecond=0), current))
        at = nxt
    return first, tuple(out)


def _sqlite_offset_case(name: str, operand: str, *, local: bool, sign: int,
                        years: tuple[int, int]) -> str:
    """``CASE`` giving the '+N minutes' modifier for ``operand`` (UTC text; local if ``local``).

    Only the transitions of ``years`` (inclusive) are written out; an instant outside them
    takes the offset in effect at the nearer edge (keeps the statement small for SQLite).
    """
    first, transitions = zone_offsets(name)
    low, high = max(years[0], ZONE_TABLE_YEARS[0]), min(years[1], ZONE_TABLE_YEARS[1] - 1)
    before_low = [t for t in transitions if t[0].year < low]
    if before_low:
        first = before_low[-1][1]
    transitions = tuple(t for t in transitions if low <= t[0].year <= high)

    def modifier(minutes: int) -> str:
        return f"'{sign * minutes:+d} minutes'"

    if not transitions:
        return modifier(first)
    offsets = [first, *(after for _, after in transitions)]
    # in local wall time, a transition happens at its instant + the offset before it
    bounds = [sqlite_text(at + timedelta(minutes=offsets[i]) if local else at)
              for i, (at, _) in enumerate(transitions)]
    # Dispatch on the year first (two levels keep SQLite's parser stack shallow)
    arms = []
    for year in range(low, high + 1):
        start = f"{year:04d}"
        index = sum(1 for b in bounds if b < start)  # offsets[index] is in effect on 1 Jan
        inside = [(i, b) for i, b in enumerate(bounds) if b[:4] == start]
        if not inside:
            arms.append(f"WHEN '{start}' THEN {modifier(offsets[index])}")
            continue
        tests = " ".join(f"WHEN {operand} < '{b}' THEN {modifier(offsets[i])}" for i, b in inside)
        arms.append(f"WHEN '{start}' THEN CASE {tests} ELSE {modifier(offsets[inside[-1][0] + 1])} "
                    "END")
    before = bounds[0][:4]
    return (f"CASE WHEN {operand} < '{before}' THEN {modifier(first)} "
            f"ELSE CASE substr({operand}, 1, 4) {' '.join(arms)} ELSE {modifier(offsets[-1])} END "
            "END")


class local_date(FunctionElement):
    """The calendar date, in IANA zone ``zone``, of a UTC instant column (via ``utc_ts``)."""

    type = Date()
    inherit_cache = False
    name = "local_date"

    def __init__(self, column: ColumnElement[Any], zone: str,
                 years: tuple[int, int] = ZONE_TABLE_YEARS):
        _zone_literal(zone)
        self.zone = zone
        self.years = years  # SQLite only: the years whose zone transitions are written out
        super().__init__(column)


@compiles(local_date)
def _local_date_default(element: local_date, compiler: Any, **kw: Any) -> str:
    col = compiler.process(next(iter(element.clauses)), **kw)
    return (f"CAST((to_timestamp(extract(epoch from {col})) AT TIME ZONE "
            f"{_zone_literal(element.zone)}) AS DATE)")


@compiles(local_date, "duckdb")
def _local_date_duckdb(element: local_date, compiler: Any, **kw: Any) -> str:
    col = compiler.process(next(iter(element.clauses)), **kw)
    return (f"CAST(timezone({_zone_literal(element.zone)}, "
            f"timezone('UTC', make_timestamp(epoch_us({col})))) AS DATE)")


@compiles(local_date, "sqlite")
def _local_date_sqlite(element: local_date, compiler: Any, **kw: Any) -> str:
    col = f"strftime('{SQLITE_FORMAT}', {compiler.process(next(iter(element.clauses)), **kw)})"
    case = _sqlite_offset_case(element.zone, col, local=False, sign=1, years=element.years)
    return f"date({col}, {case})"


class zone_day_start(FunctionElement):
    """The UTC instant at which a calendar date begins in zone ``zone``, in ``utc_ts`` form."""

    type = DateTime()
    inherit_cache = False
    name = "zone_day_start"

    def __init__(self, day: ColumnElement[Any], zone: str,
                 years: tuple[int, int] = ZONE_TABLE_YEARS):
        _zone_literal(zone)
        self.zone = zone
        self.years = years  # SQLite only, as for ``local_date``
        super().__init__(day)


@compiles(zone_day_start)
def _zone_day_start_default(element: zone_day_start, compiler: Any, **kw: Any) -> str:
    day = compiler.process(next(iter(element.clauses)), **kw)
    return f"(CAST({day} AS TIMESTAMP) AT TIME ZONE {_zone_literal(element.zone)})"


@compiles(zone_day_start, "duckdb")
def _zone_day_start_duckdb(element: zone_day_start, compiler: Any, **kw: Any) -> str:
    day = compiler.process(next(iter(element.clauses)), **kw)
    return (f"timezone('UTC', timezone({_zone_literal(element.zone)}, "
            f"CAST({day} AS TIMESTAMP)))")


@compiles(zone_day_start, "sqlite")
def _zone_day_start_sqlite(element: zone_day_start, compiler: Any, **kw: Any) -> str:
    day = compiler.process(next(iter(element.clauses)), **kw)
    midnight = f"(date({day}) || ' 00:00:00.000')"
    case = _sqlite_offset_case(element.zone, midnight, local=True, sign=-1, years=element.years)
    return f"strftime('{SQLITE_FORMAT}', {midnight}, {case})"


class as_date(FunctionElement):
    """A date column as a DATE, whether the loader stored DATE or ISO text (target-duckdb)."""

    type = Date()
    inherit_cache = True
    name = "as_date"


@compiles(as_date)
def _as_date_default(element: as_date, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(next(iter(element.clauses)), **kw)} AS DATE)"


@compiles(as_date, "sqlite")
def _as_date_sqlite(element: as_date, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(next(iter(element.clauses)), **kw)})"
