"""The seed's worked example, rebuilt by hand in SQLite: 464 / 16,000 = 2.90 %, warn."""

from __future__ import annotations

import itertools

import pytest

from metric_cards.evaluate import evaluate
from metric_cards.render import render

from .warehouses import Rows, build

CATEGORIES = {"address": 138, "recipient": 122, "depot_network": 110, "customs_border": 56,
              "damage_lost": 38}
CARRIERS = {"brt": (150, 6000), "poste_italiane": (180, 4000), "dhl_express": (50, 3000),
            "gls": (84, 3000)}


def worked_example_rows() -> Rows:
    r = Rows()
    categories = itertools.chain.from_iterable(itertools.repeat(c, n)
                                               for c, n in CATEGORIES.items())
    n = 0
    for carrier, (exceptions, shipments) in CARRIERS.items():
        for i in range(shipments):
            sid = f"{carrier}-{i}"
            day = 10 + (n % 30)   # spread over 10 Feb .. 11 Mar
            created = (f"2026-02-{day:02d}T09:00:00Z" if day <= 28
                       else f"2026-03-{day - 28:02d}T09:00:00Z")
            r.ship(sid, created, carrier=carrier)
            if i < exceptions:
                first = next(categories)
                r.event(sid, created.replace("T09", "T15"), category=first)
                # a later exception of another category must not move the attribution
                r.event(sid, created.replace("T09", "T18"), category="damage_lost")
            n += 1
    return r


def test_worked_example_reads_exactly(tmp_path):
    engine, schema = build("sqlite", tmp_path, worked_example_rows())
    p = evaluate("exception_rate", engine, "2026-03-12T09:00:00+01:00", schema=schema)
    engine.dispose()
    assert (p["numerator"], p["denominator"]) == (464, 16000)
    assert p["value"] == pytest.approx(0.029)
    assert p["status"] == "warn"
    assert p["window"]["first_day"] == "2026-02-10" and p["window"]["last_day"] == "2026-03-11"
    cats = {row["key"]: row["numerator"] for row in p["breakdowns"]["by_category"]}
    assert cats == {**CATEGORIES, "other": 0}
    carriers = {row["key"]: row["numerator"] for row in p["breakdowns"]["by_carrier"]}
    assert carriers == {c: e for c, (e, _) in CARRIERS.items()}
    text = render(p)
    for line in ("2.90%   (464 / 16,000)", "Address", "0.86%", "Recipient", "0.76%",
                 "Depot / network", "0.69%", "Customs / border", "0.35%", "Damage / lost",
                 "0.24%", "Total shipments in window: 16,000", "Status: WARN"):
        assert line in text, line
