"""Exception Rate semantics on DuckDB (TIMESTAMPTZ and naive UTC) and SQLite."""

from __future__ import annotations

import pytest

from .warehouses import Rows

AS_OF = "2026-03-12T08:00:00Z"   # window 2026-02-10 .. 2026-03-11 (UTC)


def test_many_exception_events_count_once(run):
    r = Rows()
    r.ship("1", "2026-03-01T10:00:00Z")
    for day in (2, 3, 4, 5):
        r.event("1", f"2026-03-0{day}T10:00:00Z", category="address")
    r.event("1", "2026-03-06T10:00:00Z", category="recipient")
    r.ship("2", "2026-03-01T11:00:00Z")
    r.event("2", "2026-03-02T11:00:00Z", milestone="in_transit")
    p = run(r, "exception_rate", AS_OF)
    assert (p["numerator"], p["denominator"]) == (1, 2)
    assert p["value"] == pytest.approx(0.5)
    assert sum(row["numerator"] for row in p["breakdowns"]["by_category"]) == 1
    assert sum(row["numerator"] for row in p["breakdowns"]["by_carrier"]) == 1


def test_returns_legs_excluded_by_default_and_included_on_request(run):
    r = Rows()
    r.ship("out", "2026-03-01T10:00:00Z")
    r.ship("ret", "2026-03-01T10:00:00Z", is_return=True)
    r.event("ret", "2026-03-02T10:00:00Z", category="address")
    p = run(r, "exception_rate", AS_OF)
    assert (p["numerator"], p["denominator"]) == (0, 1)
    p = run(r, "exception_rate", AS_OF, params={"exclude_returns": "false"})
    assert (p["numerator"], p["denominator"]) == (1, 2)
    assert p["params"]["exclude_returns"] is False


def test_events_after_as_of_are_ignored(run):
    r = Rows()
    r.ship("1", "2026-03-11T10:00:00Z")
    r.event("1", "2026-03-12T08:00:01Z", category="damage_lost")
    r.ship("2", "2026-03-11T10:00:00Z")
    r.event("2", "2026-03-12T08:00:00Z", category="address")   # exactly at as_of counts
    p = run(r, "exception_rate", AS_OF)
    assert (p["numerator"], p["denominator"]) == (1, 2)
    assert [row for row in p["breakdowns"]["by_category"] if row["numerator"]] == [
        {"key": "address", "numerator": 1, "share_of_total": 0.5}]


def test_shipments_created_after_window_end_are_outside(run):
    r = Rows()
    r.ship("in", "2026-03-11T23:59:59Z")
    r.ship("today", "2026-03-12T00:00:00Z")      # today's day is not in the window
    r.ship("first", "2026-02-10T00:00:00Z")
    r.ship("prior", "2026-02-09T23:59:59Z")
    p = run(r, "exception_rate", AS_OF)
    assert p["denominator"] == 2
    assert p["comparison"]["denominator"] == 1


def test_category_attribution_earliest_event_then_tie_break(run):
    r = Rows()
    # earliest event wins regardless of rank
    r.ship("a", "2026-03-01T10:00:00Z")
    r.event("a", "2026-03-02T10:00:00Z", category="recipient")
    r.event("a", "2026-03-03T10:00:00Z", category="damage_lost")
    # simultaneous events: tie-break damage_lost > customs_border > address > ...
    r.ship("b", "2026-03-01T10:00:00Z")
    r.event("b", "2026-03-02T10:00:00Z", category="address")
    r.event("b", "2026-03-02T10:00:00Z", category="customs_border")
    r.ship("c", "2026-03-01T10:00:00Z")
    r.event("c", "2026-03-02T10:00:00Z", category="other")
    r.event("c", "2026-03-02T10:00:00Z", category="depot_network")
    r.ship("d", "2026-03-01T10:00:00Z")
    r.event("d", "2026-03-02T10:00:00Z", category="recipient")
    r.event("d", "2026-03-02T10:00:00Z", category="address")
    r.event("d", "2026-03-02T10:00:00Z", category="damage_lost")
    r.ship("e", "2026-03-01T10:00:00Z")
    p = run(r, "exception_rate", AS_OF)
    rows = {row["key"]: row["numerator"] for row in p["breakdowns"]["by_category"]}
    assert rows == {"recipient": 1, "customs_border": 1, "depot_network": 1, "damage_lost": 1,
                    "address": 0, "other": 0}
    assert sum(rows.values()) == p["numerator"] == 4
    shares = {row["key"]: row["share_of_total"] for row in p["breakdowns"]["by_category"]}
    assert shares["recipient"] == pytest.approx(1 / 5)


def test_include_transient_false_drops_auto_resolved_exceptions(run):
    r = Rows()
    r.ship("transient", "2026-03-01T10:00:00Z")
    r.event("transient", "2026-03-02T10:00:00Z", category="depot_network", cls="transient")
    r.ship("cond_resolved", "2026-03-01T10:00:00Z")
    r.event("cond_resolved", "2026-03-02T10:00:00Z", category="recipient", cls="conditional")
    r.event("cond_resolved", "2026-03-05T10:00:00Z", milestone="delivered")   # exactly 72 h
    r.ship("cond_late_progress", "2026-03-01T10:00:00Z")
    r.event("cond_late_progress", "2026-03-02T10:00:00Z", category="recipient",
            cls="conditional")
    r.event("cond_late_progress", "2026-03-05T10:00:01Z", milestone="in_transit")   # > 72 h
    r.ship("cond_progress_after_as_of", "2026-03-01T10:00:00Z")
    r.event("cond_progress_after_as_of", "2026-03-11T10:00:00Z", category="address",
            cls="conditional")
    r.event("cond_progress_after_as_of", "2026-03-12T09:00:00Z", milestone="out_for_delivery")
    r.ship("cond_exception_after", "2026-03-01T10:00:00Z")
    r.event("cond_exception_after", "2026-03-02T10:00:00Z", category="address",
            cls="conditional")
    r.event("cond_exception_after", "2026-03-02T12:00:00Z", milestone="in_transit",
            category="depot_network", cls="real")   # an exception is not forward progress
    r.ship("real", "2026-03-01T10:00:00Z")
    r.event("real", "2026-03-02T10:00:00Z", category="damage_lost", cls="real")
    r.ship("mixed", "2026-03-01T10:00:00Z")   # transient first, real later: still counts
    r.event("mixed", "2026-03-02T10:00:00Z", category="depot_network", cls="transient")
    r.event("mixed", "2026-03-04T10:00:00Z", category="customs_border", cls="real")
    p = run(r, "exception_rate", AS_OF)
    assert p["numerator"] == 7
    p = run(r, "exception_rate", AS_OF, params={"include_transient": False})
    assert (p["numerator"], p["denominator"]) == (5, 7)
    rows = {row["key"]: row["numerator"] for row in p["breakdowns"]["by_category"]}
    # "mixed" is attributed to its first non-auto-resolved exception
    assert rows["customs_border"] == 1 and rows["depot_network"] == 0
    assert sum(rows.values()) == 5


def test_carrier_breakdown_rates(run):
    r = Rows()
    for i in range(4):
        r.ship(f"b{i}", "2026-03-01T10:00:00Z", carrier="brt")
    r.event("b0", "2026-03-02T10:00:00Z", category="address")
    r.ship("p0", "2026-03-01T10:00:00Z", carrier="poste_italiane")
    r.event("p0", "2026-03-02T10:00:00Z", category="recipient")
    p = run(r, "exception_rate", AS_OF)
    rows = {row["key"]: row for row in p["breakdowns"]["by_carrier"]}
    assert (rows["brt"]["numerator"], rows["brt"]["denominator"]) == (1, 4)
    assert rows["brt"]["value"] == pytest.approx(0.25)
    assert rows["poste_italiane"]["value"] == pytest.approx(1.0)
    assert sum(x["numerator"] for x in rows.values()) == p["numerator"]


def test_empty_prior_window_is_not_evaluable(run):
    r = Rows()
    r.ship("1", "2026-03-01T10:00:00Z")
    p = run(r, "exception_rate", AS_OF)
    c = p["comparison"]
    assert c["status"] == "not_evaluable"
    assert c["value"] is None and c["delta_pp"] is None and c["denominator"] == 0
    assert p["relations"][0]["expected_change_pp"] is None


def test_comparison_delta_in_points_and_leading_indicator_estimate(run):
    r = Rows()
    for i in range(10):
        r.ship(f"n{i}", "2026-03-01T10:00:00Z")
        r.ship(f"o{i}", "2026-02-01T10:00:00Z")
    r.event("n0", "2026-03-02T10:00:00Z", category="address")
    r.event("n1", "2026-03-02T10:00:00Z", category="address")
    r.event("o0", "2026-02-02T10:00:00Z", category="address")
    p = run(r, "exception_rate", AS_OF)
    assert p["comparison"]["status"] == "ok"
    assert p["comparison"]["delta_pp"] == pytest.approx(10.0)
    rel = p["relations"][0]
    assert rel["target"] == "on_time_delivery_rate" and rel["estimate"] is True
    assert rel["expected_change_pp"] == pytest.approx(-15.0)


def test_small_sample_is_insufficient_data_never_red(run):
    r = Rows()
    for i in range(10):
        r.ship(str(i), "2026-03-01T10:00:00Z")
        r.event(str(i), "2026-03-02T10:00:00Z", category="address")   # 100 %
    p = run(r, "exception_rate", AS_OF, params={"min_sample": 300})
    assert p["status"] == "insufficient_data"
    assert p["value"] == pytest.approx(1.0)
    assert all(row["status"] == "insufficient_data" for row in p["breakdowns"]["by_carrier"])
    p = run(r, "exception_rate", AS_OF, params={"min_sample": 10})
    assert p["status"] == "critical"


def test_status_thresholds_and_overrides(run):
    r = Rows()
    for i in range(100):
        r.ship(str(i), "2026-03-01T10:00:00Z")
    r.event("0", "2026-03-02T10:00:00Z", category="address")
    r.event("1", "2026-03-02T10:00:00Z", category="address")   # 2 %
    assert run(r, "exception_rate", AS_OF)["status"] == "warn"
    p = run(r, "exception_rate", AS_OF, params={"warn_above": "0.025", "critical_above": "0.05"})
    assert p["status"] == "ok" and p["thresholds"] == {"warn_above": 0.025,
                                                       "critical_above": 0.05}
    p = run(r, "exception_rate", AS_OF, params={"critical_above": "0.015"})
    assert p["status"] == "critical"


def test_carrier_scope_parameter(run):
    r = Rows()
    r.ship("b", "2026-03-01T10:00:00Z", carrier="brt")
    r.ship("g", "2026-03-01T10:00:00Z", carrier="gls")
    r.event("g", "2026-03-02T10:00:00Z", category="address")
    p = run(r, "exception_rate", AS_OF, params={"carriers": "gls,dhl_express"})
    assert (p["numerator"], p["denominator"]) == (1, 1)


def test_series_and_freshness(run):
    r = Rows()
    r.ship("1", "2026-02-10T00:30:00Z")
    r.event("1", "2026-02-11T00:00:00Z", category="address", synced="2026-03-12T07:00:00Z")
    r.ship("2", "2026-03-11T23:00:00Z")
    p = run(r, "exception_rate", AS_OF)
    assert len(p["series"]) == 30
    assert p["series"][0] == {"date": "2026-02-10", "numerator": 1, "denominator": 1}
    assert p["series"][-1] == {"date": "2026-03-11", "numerator": 0, "denominator": 1}
    assert sum(d["denominator"] for d in p["series"]) == p["denominator"]
    assert p["freshness"]["latest_synced_at"] == "2026-03-12T07:00:00Z"
    assert p["freshness"]["lag_hours"] == pytest.approx(1.0)


def test_payload_has_binding_keys(run):
    r = Rows()
    r.ship("1", "2026-03-01T10:00:00Z")
    p = run(r, "exception_rate", AS_OF)
    for key in ("card_id", "as_of", "timezone", "window", "value", "numerator", "denominator",
                "interval", "status", "comparison", "breakdowns", "series", "freshness",
                "annotations"):
        assert key in p
    assert set(p["window"]) >= {"start", "end"}
    assert set(p["comparison"]) >= {"window", "value", "numerator", "denominator", "delta_pp"}
    assert set(p["breakdowns"]) == {"by_category", "by_carrier"}
    assert set(p["breakdowns"]["by_category"][0]) == {"key", "numerator", "share_of_total"}
    assert set(p["breakdowns"]["by_carrier"][0]) >= {"key", "numerator", "denominator", "value"}
    assert p["as_of"] == AS_OF and p["window"] == {
        "start": "2026-02-10T00:00:00Z", "end": "2026-03-12T00:00:00Z",
        "first_day": "2026-02-10", "last_day": "2026-03-11"}


def test_shipment_set_is_reusable_for_reconciliation(backend, tmp_path):
    from metric_cards.connection import connect
    from metric_cards.params import resolve
    from metric_cards.query import count_shipment_set, fetch_shipment_set
    from metric_cards.reading import card_windows
    from metric_cards.registry import get_card
    from shipping_core.windows import parse_instant

    from .warehouses import build

    r = Rows()
    r.ship("1", "2026-03-01T10:00:00Z", carrier="gls")
    r.event("1", "2026-03-02T10:00:00Z", category="depot_network", cls="transient")
    r.event("1", "2026-03-03T10:00:00Z", category="address")
    r.ship("2", "2026-03-01T10:00:00Z")
    r.ship("3", "2026-03-01T10:00:00Z", is_return=True)
    r.event("3", "2026-03-02T10:00:00Z", category="recipient")
    engine, schema = build(backend, tmp_path, r)
    card = get_card("exception_rate")
    as_of = parse_instant(AS_OF)
    window, _ = card_windows(card, as_of, "Europe/Rome")
    params = resolve(card, {"include_transient": False, "exclude_returns": False})
    with connect(engine) as conn:
        assert count_shipment_set(conn, card, params, as_of=as_of, start=window.start,
                                  end=window.end, schema=schema) == (2, 3)
        rows = fetch_shipment_set(conn, card, params, as_of=as_of, start=window.start,
                                  end=window.end, schema=schema, numerator_only=True)
    engine.dispose()
    assert [(x["shipment_id"], x["attribution_key"], x["carrier"]) for x in rows] == [
        ("1", "address", "gls"), ("3", "recipient", "brt")]
    assert rows[0]["first_event_at"].isoformat() == "2026-03-03T10:00:00+00:00"
