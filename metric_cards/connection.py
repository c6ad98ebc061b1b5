"""Open warehouse engines and connections the cards can trust, on every backend.

``open_engine(url)`` turns a SQLAlchemy URL into an Engine, failing with one line when the URL
is unusable, when the backend's driver is not installed (naming the pip extra that provides
it, e.g. ``pip install 'tap-shipping-exceptions[postgres]'``) or when a DuckDB/SQLite file does
not exist (an engine would otherwise create a new, empty warehouse and every card would read
zero). ``connect(engine)`` opens a connection whose session time zone is pinned to UTC, so naive
``timestamp`` columns (UTC by the data contract) and ``timestamptz`` columns compare the same
whatever ``PGTZ`` or the database's default zone says.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from metric_cards.dialect import prepare_connection
from metric_cards.errors import WarehouseError

#: Backend -> (driver module to import, pip extra or package that provides it).
DRIVERS: dict[str, tuple[str, str]] = {
    "postgresql": ("psycopg2", "pip install 'tap-shipping-exceptions[postgres]'"),
    "postgresql+psycopg2": ("psycopg2", "pip install 'tap-shipping-exceptions[postgres]'"),
    "postgresql+psycopg": ("psycopg", "pip install 'psycopg[binary]'"),
    "duckdb": ("duckdb_engine", "pip install duckdb-engine"),
}
FILE_BACKENDS = ("duckdb", "sqlite")
MEMORY_DATABASES = ("", ":memory:")


def safe_url(engine: Engine | URL | str) -> str:
    """The URL with any password hidden (for messages and logs)."""
    url = engine.url if isinstance(engine, Engine) else make_url(engine)
    return url.render_as_string(hide_password=True)


def _require_driver(url: URL) -> None:
    name = url.drivername
    module, install = DRIVERS.get(name, (None, ""))
    if module is None:
        return
    try:
        __import__(module)
    except ImportError:
        raise WarehouseError(f"warehouse {safe_url(url)}: the {url.get_backend_name()} driver "
                             f"{module!r} is not installed; {install}") from None


def _require_file(url: URL) -> None:
    if url.get_backend_name() not in FILE_BACKENDS:
        return
    database = url.database or ""
    if database in MEMORY_DATABASES or database.startswith("md:"):
        return
    if not Path(database).is_file():
        raise WarehouseError(f"warehouse {safe_url(url)}: no such file {database!r} (load the "
                             "warehouse first, e.g. meltano run tap-shipping-exceptions "
                             "target-duckdb; an engine would create an empty file)")


def open_engine(url: str | URL) -> Engine:
    """An Engine for ``url``; unusable URLs, missing drivers and missing files raise."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise WarehouseError(f"warehouse: {str(url)!r} is not a usable SQLAlchemy URL "
                             f"(expected e.g. duckdb:///output/warehouse.duckdb or "
                             f"postgresql://user@host/db; {exc})") from exc
    _require_driver(parsed)
    _require_file(parsed)
    try:
        return create_engine(parsed)
    except NoSuchModuleError as exc:
        raise WarehouseError(f"warehouse: {safe_url(parsed)!r} is not a usable SQLAlchemy URL "
                             f"(no dialect {parsed.drivername!r} is installed: {exc})") from exc
    except (ArgumentError, ValueError) as exc:
        raise WarehouseError(f"warehouse: {safe_url(parsed)!r} is not a usable SQLAlchemy URL "
                             f"({exc})") from exc
    except ImportError as exc:
        raise WarehouseError(f"warehouse {safe_url(parsed)}: the driver is not installed "
                             f"({exc})") from exc


def connect(engine: Engine) -> Any:
    """A connection with its session pinned to UTC; unreachable warehouses raise."""
    try:
        conn = engine.connect()
        prepare_connection(conn)
    except (DBAPIError, SQLAlchemyError, OSError) as exc:
        raise WarehouseError(f"cannot reach warehouse {safe_url(engine)}: "
                             f"{str(exc).splitlines()[0]}") from exc
    return conn
