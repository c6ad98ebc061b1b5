"""``local_date`` / ``zone_day_start`` agree with ``zoneinfo`` on every backend, near every
transition, whatever the session zone (DuckDB's is set to a far-away zone on purpose)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Column, Date, DateTime, Integer, MetaData, Table, create_engine, select, text

from metric_cards.dialect import local_date, utc_ts, zone_day_start, zone_offsets

ZONES = ["Europe/Rome", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]
YEARS = (2025, 2027)


def instants(zone: str) -> list[datetime]:
    out = []
    for at, _ in (t for t in zone_offsets(zone)[1] if YEARS[0] <= t[0].year <= YEARS[1]):
        out += [at + timedelta(minutes=m) for m in range(-150, 151, 30)]
    start = datetime(2025, 12, 31, 20, 0, tzinfo=UTC)
    out += [start + timedelta(minutes=45 * i) for i in range(24)]   # around New Year
    return out


@pytest.mark.parametrize("kind", ["duckdb_naive", "duckdb_tz", "sqlite"])
@pytest.mark.parametrize("zone", ZONES)
def test_local_days_match_zoneinfo(tmp_path, kind, zone):
    tz = ZoneInfo(zone)
    moments = instants(zone)
    days = sorted({m.astimezone(tz).date() for m in moments})
    md = MetaData()
    t = Table("t", md, Column("i", Integer), Column("at", DateTime(timezone=kind == "duckdb_tz")),
              Column("d", Date))
    url = (f"sqlite:///{tmp_path / 'z.sqlite'}" if kind == "sqlite"
           else f"duckdb:///{tmp_path / 'z.duckdb'}")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            if kind != "sqlite":
                conn.execute(text("SET TimeZone = 'Pacific/Kiritimati'"))
            md.create_all(conn)
            rows = [{"i": i, "at": m if kind == "duckdb_tz" else m.replace(tzinfo=None),
                     "d": days[i % len(days)]} for i, m in enumerate(moments)]
            conn.execute(t.insert(), rows)
            got = conn.execute(select(t.c.i, local_date(utc_ts(t.c.at), zone, YEARS),
                                      t.c.d, zone_day_start(t.c.d, zone, YEARS))
                               .order_by(t.c.i)).all()
    finally:
        engine.dispose()
    for i, local, d, start in got:
        assert str(local) == moments[i].astimezone(tz).date().isoformat(), moments[i]
        expected = datetime.combine(date.fromisoformat(str(d)), time.min, tzinfo=tz)
        if isinstance(start, str):
            start = datetime.fromisoformat(start)
        start = start.replace(tzinfo=UTC) if start.tzinfo is None else start
        assert start == expected.astimezone(UTC), (d, start)
