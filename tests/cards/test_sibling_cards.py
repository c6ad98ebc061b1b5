"""Semantics of the sibling cards (OTD, OTD by route, late, failed, open claims, RTS)."""

from __future__ import annotations

import pytest

from .warehouses import Rows

AS_OF = "2026-03-12T08:00:00Z"


def test_on_time_delivery_rate(run):
    r = Rows()
    r.ship("on_time", "2026-02-28T10:00:00Z", promised="2026-03-03T18:00:00Z",
           delivered="2026-03-03T18:00:00Z")            # equal to the promise: on time
    r.ship("late_in_the_day", "2026-02-28T10:00:00Z", promised="2026-03-03T18:00:00Z",
           delivered="2026-03-03T18:00:01Z")            # after the instant, on the promised day
    r.ship("next_day", "2026-02-28T10:00:00Z", promised_day="2026-03-03",
           delivered="2026-03-04T10:00:00Z")
    r.ship("no_promise", "2026-02-28T10:00:00Z", delivered="2026-03-03T10:00:00Z")
    r.ship("undelivered", "2026-03-01T10:00:00Z", promised="2026-03-03T18:00:00Z")
    r.ship("delivered_today", "2026-03-10T10:00:00Z", promised="2026-03-13T18:00:00Z",
           delivered="2026-03-12T07:00:00Z")            # today: not in the window
    p = run(r, "on_time_delivery_rate", AS_OF)
    assert (p["numerator"], p["denominator"]) == (2, 3)
    assert p["timezone"] == "Europe/Rome" and p["params"]["promise_basis"] == "day"
    assert p["direction"] == "higher_is_better"
    assert p["thresholds"] == {"warn_below": 0.95, "critical_below": 0.9}
    assert p["status"] == "critical"
    p = run(r, "on_time_delivery_rate", AS_OF, params={"promise_basis": "instant"})
    assert (p["numerator"], p["denominator"]) == (1, 3)


def test_otd_by_route_rows(run):
    r = Rows()
    r.ship("a", "2026-02-28T10:00:00Z", carrier="poste_italiane", destination="GB",
           promised_day="2026-03-03", delivered="2026-03-04T10:00:00Z")
    r.ship("b", "2026-02-28T10:00:00Z", carrier="poste_italiane", destination="GB",
           promised_day="2026-03-03", delivered="2026-03-02T10:00:00Z")
    r.ship("c", "2026-02-28T10:00:00Z", carrier="brt", destination="IT",
           promised_day="2026-03-03", delivered="2026-03-02T10:00:00Z")
    p = run(r, "otd_by_route", AS_OF)
    rows = {row["key"]: row for row in p["breakdowns"]["by_route"]}
    assert set(rows) == {"poste_italiane IT→GB", "brt IT→IT"}
    assert rows["poste_italiane IT→GB"]["value"] == pytest.approx(0.5)
    assert rows["poste_italiane IT→GB"]["fields"] == {
        "carrier": "poste_italiane", "origin_country": "IT", "destination_country": "GB"}
    assert (p["numerator"], p["denominator"]) == (2, 3)


def test_late_shipments_counts_late_and_undelivered(run):
    r = Rows()
    r.ship("late", "2026-02-28T10:00:00Z", promised_day="2026-03-03",
           delivered="2026-03-04T10:00:00Z")
    r.ship("on_time", "2026-02-28T10:00:00Z", promised_day="2026-03-03",
           delivered="2026-03-03T10:00:00Z")
    r.ship("open", "2026-02-28T10:00:00Z", promised_day="2026-03-05")
    r.ship("delivered_after_as_of", "2026-02-28T10:00:00Z", promised_day="2026-03-11",
           delivered="2026-03-12T09:00:00Z")
    r.ship("promised_today", "2026-03-09T10:00:00Z", promised_day="2026-03-12")  # not in window
    r.ship("no_promise", "2026-02-28T10:00:00Z")
    p = run(r, "late_shipments", AS_OF)
    assert p["kind"] == "count"
    assert (p["value"], p["numerator"], p["denominator"]) == (3.0, 3, 4)
    assert p["interval"] is None
    assert p["status"] == "not_evaluable"   # no default thresholds for counts
    p = run(r, "late_shipments", AS_OF, params={"warn_above": "2", "critical_above": "5"})
    assert p["status"] == "warn"


def test_failed_deliveries(run):
    r = Rows()
    r.ship("attempt_then_returned", "2026-03-01T10:00:00Z")
    r.event("attempt_then_returned", "2026-03-03T10:00:00Z", milestone="attempt_failed")
    r.event("attempt_then_returned", "2026-03-06T10:00:00Z", milestone="returned")
    r.ship("recipient_then_delivered", "2026-03-01T10:00:00Z",
           delivered="2026-03-05T10:00:00Z")
    r.event("recipient_then_delivered", "2026-03-03T10:00:00Z", category="recipient")
    r.ship("recipient_open", "2026-03-01T10:00:00Z")
    r.event("recipient_open", "2026-03-03T10:00:00Z", category="recipient")
    r.ship("address_open", "2026-03-01T10:00:00Z")
    r.event("address_open", "2026-03-03T10:00:00Z", category="address")
    p = run(r, "failed_deliveries", AS_OF)
    assert (p["numerator"], p["denominator"]) == (2, 4)


def test_open_claims(run):
    r = Rows()
    r.ship("lost", "2026-03-01T10:00:00Z")
    r.event("lost", "2026-03-03T10:00:00Z", category="damage_lost")
    r.ship("damaged_delivered", "2026-03-01T10:00:00Z", delivered="2026-03-06T10:00:00Z")
    r.event("damaged_delivered", "2026-03-03T10:00:00Z", category="damage_lost")
    r.ship("lost_after_as_of", "2026-03-01T10:00:00Z")
    r.event("lost_after_as_of", "2026-03-12T10:00:00Z", category="damage_lost")
    p = run(r, "open_claims", AS_OF)
    assert (p["numerator"], p["denominator"]) == (1, 3)


def test_returned_to_sender(run):
    r = Rows()
    r.ship("returning", "2026-03-01T10:00:00Z")
    r.event("returning", "2026-03-05T10:00:00Z", milestone="returning")
    r.event("returning", "2026-03-07T10:00:00Z", milestone="returned")
    r.ship("normal", "2026-03-01T10:00:00Z")
    r.event("normal", "2026-03-05T10:00:00Z", milestone="delivered")
    r.ship("easy_return", "2026-03-01T10:00:00Z", is_return=True)
    r.event("easy_return", "2026-03-05T10:00:00Z", milestone="returned")
    p = run(r, "returned_to_sender", AS_OF)
    assert (p["numerator"], p["denominator"]) == (1, 2)
