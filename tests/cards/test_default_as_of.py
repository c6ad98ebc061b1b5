"""Without ``--as-of`` a card reads as of the warehouse's newest tracking event (at most now)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from metric_cards.cli import main
from metric_cards.connection import open_engine
from metric_cards.default_as_of import data_as_of
from metric_cards.evaluate import evaluate

from .warehouses import Rows, build


def warehouse(tmp_path: Path, *, future: bool = False) -> Path:
    r = Rows()
    r.ship("a", "2026-03-01T10:00:00Z")
    r.ship("b", "2026-03-02T10:00:00Z")
    r.event("a", "2026-03-03T09:00:00Z", category="address")
    r.event("b", "2026-03-11T23:30:00Z", milestone="in_transit")
    if future:
        r.event("b", "2999-01-01T00:00:00Z", milestone="in_transit")
    engine, _ = build("duckdb_naive", tmp_path, r)
    engine.dispose()
    return tmp_path / "wh.duckdb"


def test_default_as_of_is_the_newest_event(tmp_path: Path, capsys) -> None:
    path = warehouse(tmp_path)
    assert main(["evaluate", "exception_rate", "--warehouse", f"duckdb:///{path}",
                 "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["as_of"] == "2026-03-11T23:30:00Z"
    assert (payload["numerator"], payload["denominator"]) == (1, 2)
    engine = open_engine(f"duckdb:///{path}")
    try:
        assert payload == evaluate("exception_rate", engine, "2026-03-11T23:30:00Z")
    finally:
        engine.dispose()


def test_default_as_of_never_later_than_now(tmp_path: Path) -> None:
    engine = open_engine(f"duckdb:///{warehouse(tmp_path, future=True)}")
    now = datetime(2026, 3, 12, 8, tzinfo=UTC)
    try:
        assert data_as_of(engine, "raw", now=now) == now
    finally:
        engine.dispose()


def test_as_of_now_is_the_wall_clock(tmp_path: Path, capsys) -> None:
    path = warehouse(tmp_path)
    assert main(["evaluate", "exception_rate", "--warehouse", f"duckdb:///{path}",
                 "--as-of", "now", "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["as_of"] >= datetime.now(UTC).strftime("%Y-%m-%d")
