"""Every card gives identical payloads on DuckDB (TIMESTAMPTZ, naive UTC) and SQLite."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from metric_cards.evaluate import evaluate
from metric_cards.registry import packaged_cards

from .warehouses import Rows, build

CATEGORIES = ["address", "recipient", "depot_network", "customs_border", "damage_lost", "other"]
CARRIERS = ["brt", "poste_italiane", "dhl_express", "gls"]


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def seeded_rows(seed: int = 7, count: int = 400) -> Rows:
    rnd = random.Random(seed)
    r = Rows()
    base = datetime(2026, 1, 20, tzinfo=UTC)
    for i in range(count):
        created = base + timedelta(minutes=rnd.randrange(0, 60 * 24 * 80))
        promised = created + timedelta(hours=rnd.randrange(24, 120))
        delivered = (created + timedelta(hours=rnd.randrange(20, 160))
                     if rnd.random() < 0.8 else None)
        sid = f"s{i}"
        kind = rnd.choice(["day", "day", "instant", "none"])   # how the promise was given
        r.ship(sid, iso(created), carrier=rnd.choice(CARRIERS), is_return=rnd.random() < 0.08,
               destination=rnd.choice(["IT", "IT", "GB", "CH"]),
               promised=iso(promised) if kind == "instant" else None,
               promised_day=promised.date().isoformat() if kind == "day" else None,
               delivered=iso(delivered) if delivered else None)
        at = created
        for _ in range(rnd.randrange(0, 5)):
            at += timedelta(hours=rnd.randrange(1, 60))
            roll = rnd.random()
            if roll < 0.25:
                r.event(sid, iso(at), category=rnd.choice(CATEGORIES),
                        cls=rnd.choice(["transient", "conditional", "real"]))
            elif roll < 0.32:
                r.event(sid, iso(at), milestone="attempt_failed")
            elif roll < 0.36:
                r.event(sid, iso(at), milestone=rnd.choice(["returning", "returned"]))
            else:
                r.event(sid, iso(at), milestone=rnd.choice(["in_transit", "out_for_delivery"]))
    return r


@pytest.mark.parametrize("timezone", ["UTC", "Europe/Rome"])
def test_all_cards_identical_on_duckdb_and_sqlite(tmp_path, timezone):
    rows = seeded_rows()
    engines = {}
    for kind in ("duckdb", "duckdb_naive", "sqlite"):
        d = tmp_path / kind
        d.mkdir()
        engines[kind] = build(kind, d, rows)
    try:
        for card_id in packaged_cards():
            for params in ({}, {"include_transient": False, "exclude_returns": False}):
                if "include_transient" in params and card_id not in (
                        "exception_rate", "exception_rate_by_category",
                        "exception_rate_by_carrier"):
                    params = {"exclude_returns": False}
                payloads = {kind: evaluate(card_id, eng, "2026-03-12T08:00:00Z",
                                           timezone=timezone, params=params, schema=schema)
                            for kind, (eng, schema) in engines.items()}
                assert payloads["duckdb"]["denominator"] > 0, card_id
                assert payloads["duckdb"] == payloads["sqlite"], (card_id, params)
                assert payloads["duckdb_naive"] == payloads["sqlite"], (card_id, params)
    finally:
        for eng, _ in engines.values():
            eng.dispose()
