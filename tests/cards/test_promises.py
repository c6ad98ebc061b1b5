"""Promises judged by day in the card's zone: hand-computed boundaries across a DST change.

Europe/Rome moves from CET (UTC+1) to CEST (UTC+2) at 2026-03-29T01:00Z, so
  23:30 local on 28 Mar = 22:30Z 28 Mar     00:30 local on 29 Mar = 23:30Z 28 Mar
  23:30 local on 29 Mar = 21:30Z 29 Mar     00:30 local on 30 Mar = 22:30Z 29 Mar
  00:30 local on 31 Mar = 22:30Z 30 Mar
Every expected figure below is counted by hand from these conversions.
"""

from __future__ import annotations

import pytest

from metric_cards.evaluate import evaluate

from .warehouses import Rows

AS_OF = "2026-04-02T08:00:00Z"   # Rome window 3 Mar .. 1 Apr; UTC window the same days


def dst_rows() -> Rows:
    r = Rows()
    created = "2026-03-26T09:00:00Z"
    # (id, promised day, delivered UTC)          Rome day reading | UTC day reading
    r.ship("A", created, promised_day="2026-03-29", delivered="2026-03-29T21:30:00Z")  # kept | kept
    r.ship("B", created, promised_day="2026-03-29", delivered="2026-03-29T22:30:00Z")  # late | kept
    r.ship("C", created, promised_day="2026-03-28", delivered="2026-03-28T22:30:00Z")  # kept | kept
    r.ship("D", created, promised_day="2026-03-28", delivered="2026-03-28T23:30:00Z")  # late | kept
    r.ship("E", created, promised_day="2026-03-30", delivered="2026-03-30T22:30:00Z")  # late | kept
    r.ship("F", created, promised_day="2026-03-29", delivered="2026-03-28T23:30:00Z")  # kept | kept
    r.ship("G_no_promise", created, delivered="2026-03-30T10:00:00Z")      # in neither side
    # time-window promises ("by 12:00" local = 10:00Z on 30 Mar, CEST)
    r.ship("H", created, promised="2026-03-30T10:00:00Z",
           delivered="2026-03-30T14:00:00Z")      # same day, after the time: day kept, instant late
    r.ship("I", created, promised="2026-03-30T10:00:00Z",
           delivered="2026-03-30T09:00:00Z")      # kept either way
    return r


def late_rows() -> Rows:
    r = dst_rows()
    r.ship("J_open", "2026-03-27T09:00:00Z", promised_day="2026-03-31")     # undelivered: late
    r.ship("K_today", "2026-03-30T09:00:00Z", promised_day="2026-04-02")    # today: not in window
    # promised 1 Apr, delivered 09:00 local on 2 Apr, before the reading: late both ways
    r.ship("L", "2026-03-30T09:00:00Z", promised_day="2026-04-01", delivered="2026-04-02T07:00:00Z")
    # a time-window promise at 00:30 local on 1 Apr (22:30Z 31 Mar), delivered 22:00 local on
    # 1 Apr (20:00Z): its day is 1 Apr in Rome (kept by day) but 31 Mar in UTC (late by day);
    # late by its instant
    r.ship("M", "2026-03-30T09:00:00Z", promised="2026-03-31T22:30:00Z",
           delivered="2026-04-01T20:00:00Z")
    return r


@pytest.mark.parametrize(("timezone", "basis", "expected"), [
    ("Europe/Rome", "day", (5, 8)),       # A C F H I
    ("Europe/Rome", "instant", (4, 8)),   # A C F I (H missed its 12:00)
    ("UTC", "day", (8, 8)),               # every delivery is on its promised UTC day or before
])
def test_otd_day_boundary_across_dst(run, timezone, basis, expected):
    p = run(dst_rows(), "on_time_delivery_rate", AS_OF, timezone=timezone,
            params={"promise_basis": basis})
    assert (p["numerator"], p["denominator"]) == expected
    assert p["timezone"] == timezone


def test_otd_default_zone_is_the_workspace_zone(run):
    p = run(dst_rows(), "on_time_delivery_rate", AS_OF)
    assert p["timezone"] == "Europe/Rome" and p["params"]["promise_basis"] == "day"
    assert (p["numerator"], p["denominator"]) == (5, 8)


def test_otd_by_route_uses_the_same_judgement(run):
    p = run(dst_rows(), "otd_by_route", AS_OF)
    assert [(row["key"], row["numerator"], row["denominator"])
            for row in p["breakdowns"]["by_route"]] == [("brt IT→IT", 5, 8)]


@pytest.mark.parametrize(("timezone", "basis", "expected"), [
    ("Europe/Rome", "day", (5, 11)),      # B D E J L; denominator A-F H I J L M
    ("Europe/Rome", "instant", (7, 11)),  # + H and M, delivered after their instants
    ("UTC", "day", (3, 11)),              # J L M
])
def test_late_shipments_day_boundary_across_dst(run, timezone, basis, expected):
    p = run(late_rows(), "late_shipments", AS_OF, timezone=timezone,
            params={"promise_basis": basis})
    assert (p["numerator"], p["denominator"]) == expected


def test_late_series_places_each_promise_on_its_local_day(run):
    p = run(late_rows(), "late_shipments", AS_OF)
    by_day = {d["date"]: (d["numerator"], d["denominator"]) for d in p["series"]
              if d["denominator"]}
    # 28 Mar: C D; 29 Mar: A B F; 30 Mar: E H I; 31 Mar: J; 1 Apr: L M (M's 00:30 local)
    assert by_day == {"2026-03-28": (1, 2), "2026-03-29": (1, 3), "2026-03-30": (1, 3),
                      "2026-03-31": (1, 1), "2026-04-01": (1, 2)}


def test_shipments_without_a_promise_are_in_neither_side(run):
    r = Rows()
    r.ship("no_promise_late", "2026-03-20T09:00:00Z", delivered="2026-03-30T10:00:00Z")
    r.ship("no_promise_open", "2026-03-20T09:00:00Z")
    p = run(r, "on_time_delivery_rate", AS_OF)
    assert (p["numerator"], p["denominator"], p["value"]) == (0, 0, None)
    assert p["status"] == "not_evaluable"   # no shipments with a promise
    p = run(r, "late_shipments", AS_OF)
    assert (p["numerator"], p["denominator"]) == (0, 0)


def test_unknown_promise_basis_is_refused(tmp_path):
    from metric_cards.errors import ParameterError
    with pytest.raises(ParameterError, match=r"promise_basis='hour'.*day, instant"):
        evaluate("on_time_delivery_rate", f"sqlite:///{tmp_path / 'x.sqlite'}", AS_OF,
                 params={"promise_basis": "hour"}, schema=None)
    with pytest.raises(ParameterError, match="unknown parameter 'promise_basis'"):
        evaluate("exception_rate", f"sqlite:///{tmp_path / 'x.sqlite'}", AS_OF,
                 params={"promise_basis": "day"}, schema=None)


def test_leading_indicator_estimate_links_exception_rate_to_otd(run):
    """Hand-computed: 1 / 50 = 2 % before, 2 / 50 = 4 % now: +2 pp → OTD -3 pp two days later."""
    from datetime import date, timedelta
    r = Rows()
    for i in range(50):
        r.ship(f"prior{i}", f"{date(2026, 1, 12) + timedelta(days=i % 28)}T09:00:00Z")
        r.ship(f"now{i}", f"2026-02-{11 + i % 17:02d}T09:00:00Z")
    r.event("prior0", "2026-01-12T15:00:00Z", category="address")
    r.event("now0", "2026-02-11T15:00:00Z", category="recipient")
    r.event("now1", "2026-02-12T15:00:00Z", category="depot_network")
    p = run(r, "exception_rate", "2026-03-12T08:00:00Z")
    assert (p["numerator"], p["denominator"]) == (2, 50)
    assert (p["comparison"]["numerator"], p["comparison"]["denominator"]) == (1, 50)
    assert p["comparison"]["delta_pp"] == pytest.approx(2.0)
    [estimate] = p["relations"]
    assert (estimate["type"], estimate["target"], estimate["lag_days"]) == (
        "leading_indicator", "on_time_delivery_rate", 2)
    assert estimate["effect_pp_per_pp"] == -1.5 and estimate["estimate"] is True
    assert estimate["expected_change_pp"] == pytest.approx(-3.0)


def test_leading_indicator_estimate_is_null_without_a_prior_window(run):
    r = Rows()
    r.ship("now", "2026-02-20T09:00:00Z")
    r.event("now", "2026-02-20T15:00:00Z", category="address")
    p = run(r, "exception_rate", "2026-03-12T08:00:00Z")
    assert p["comparison"]["status"] == "not_evaluable"
    assert p["relations"][0]["expected_change_pp"] is None


def test_card_text_states_the_zone_and_the_reading(run):
    from metric_cards.render import render
    text = render(run(dst_rows(), "on_time_delivery_rate", AS_OF))
    assert "On time = delivered by the end of the promised day in Europe/Rome" in text
    text = render(run(dst_rows(), "late_shipments", AS_OF, params={"promise_basis": "instant"}))
    assert "(promise_basis=instant)" in text


def _otd_definition_error(tmp_path, mutate) -> str:
    import yaml

    from metric_cards.definitions import load_definition
    from metric_cards.errors import CardDefinitionError
    from metric_cards.registry import card_directory
    data = yaml.safe_load((card_directory() / "on_time_delivery_rate.yaml").read_text("utf-8"))
    mutate(data)
    path = tmp_path / "on_time_delivery_rate.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    with pytest.raises(CardDefinitionError) as info:
        load_definition(path)
    return str(info.value)


def test_a_card_judging_promises_declares_promise_basis(tmp_path):
    msg = _otd_definition_error(tmp_path, lambda d: d.pop("parameters"))
    assert "declares parameters.promise_basis" in msg


def test_promise_basis_default_is_one_of_its_values(tmp_path):
    def mutate(d):
        d["parameters"]["promise_basis"]["values"] = ["instant"]
    msg = _otd_definition_error(tmp_path, mutate)
    assert "parameters.promise_basis.default: got 'day'; expected one of instant" in msg


def test_promise_condition_takes_no_operands(tmp_path):
    def mutate(d):
        d["measures"]["numerator"]["filters"] = [{"promise": "kept", "op": "eq"}]
    assert "promise takes no op" in _otd_definition_error(tmp_path, mutate)
