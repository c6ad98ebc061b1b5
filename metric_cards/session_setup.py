"""The statements that open every card session, per dialect (one home for both read paths).

The time zone is pinned to UTC, the zone of every naive timestamp by the data contract; on
Postgres (11+) JIT is also turned off, whose compile time costs card queries (short analytic
queries) 35-45 % on the worked example. ``metric_cards.dialect.prepare_connection`` runs them on
SQLAlchemy connections, ``metric_cards.native_duckdb`` on DuckDB's own connection.
"""

from __future__ import annotations

SESSION_SETUP: dict[str, tuple[str, ...]] = {
    "duckdb": ("SET TimeZone = 'UTC'",),
    "postgresql": ("SET TIME ZONE 'UTC'", "SET jit = off"),
}
