"""Warehouse timestamp values read back as aware UTC datetimes, whatever the dialect stored.

DuckDB and Postgres return ``datetime`` (naive = UTC by the data contract), SQLite returns text.
No SQLAlchemy here: the plan-cache path of ``metric-cards evaluate`` reads rows without it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shipping_core.windows import parse_instant


def to_utc(value: Any) -> datetime | None:
    """A warehouse timestamp value (datetime, naive UTC or text) as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_instant(value.strip(), "timestamp", naive_is_utc=True)
    if not isinstance(value, datetime):
        raise TypeError(f"expected a timestamp, got {value!r}")
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
