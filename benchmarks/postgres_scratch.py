"""The PostgreSQL server of the benchmarks and tests, and throwaway databases on it.

``configured_url()``: ``TEST_POSTGRES_URL``, default ``postgresql://postgres@127.0.0.1:5432/test``.
``scratch_database()``: a database named ``<prefix>_<pid>_<random>`` (parallel runs never
collide), dropped (``with (force)``) afterwards even when the body fails. Used by benchmark 7
and by the Postgres tests (``tests/pg_warehouse/server.py``, which also starts a throwaway
cluster when the configured server does not answer).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


def configured_url() -> str:
    """The server named by ``TEST_POSTGRES_URL``, else the local default."""
    return os.environ.get("TEST_POSTGRES_URL", DEFAULT_URL)


@contextmanager
def scratch_database(server_url: str, prefix: str,
                     timezone: str | None = None) -> Iterator[str]:
    """A fresh database on ``server_url`` (optionally ``ALTER DATABASE … SET timezone``);
    yields its URL and drops it after."""
    base = make_url(server_url)
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'create database "{name}"'))
            if timezone:
                conn.execute(text(f"alter database \"{name}\" set timezone = '{timezone}'"))
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'drop database if exists "{name}" with (force)'))
        admin.dispose()
