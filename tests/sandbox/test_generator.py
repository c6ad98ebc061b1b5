"""Generator: determinism, the worked example's exact counts, realism invariants, params."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict

import pytest

from shipping_sandbox.generator import (
    WE_AS_OF,
    WE_PRIOR,
    WE_WINDOW,
    WORKED_EXAMPLE_EXPECTED,
    check_worked_example,
    generate,
    worked_example_matrix,
)
from shipping_sandbox.world import World

HOUR = 3600


def fingerprint(world: World) -> list[tuple]:
    return [(s.order_id, s.tracking_number, s.carrier_name, s.created, s.is_return,
             tuple((e.date, e.code, e.message, e.carrier_code, e.truth_category) for e in s.events),
             tuple(s.webhook_times), tuple(s.serve_order or ()))
            for s in world.shipments]


def test_same_seed_same_world() -> None:
    a = generate("bulk", seed=3, shipments=300, start="2026-01-05", days=5)
    b = generate("bulk", seed=3, shipments=300, start="2026-01-05", days=5)
    assert fingerprint(a) == fingerprint(b)
    assert [asdict(s.to_address) for s in a.shipments] == [asdict(s.to_address)
                                                            for s in b.shipments]


def test_different_seed_differs() -> None:
    a = generate("bulk", seed=3, shipments=300, start="2026-01-05", days=5)
    b = generate("bulk", seed=4, shipments=300, start="2026-01-05", days=5)
    assert fingerprint(a) != fingerprint(b)


def test_worked_example_matches_the_card(worked_world: World) -> None:
    counts = check_worked_example(worked_world)
    for key, expected in WORKED_EXAMPLE_EXPECTED.items():
        assert counts[key] == expected, key
    assert counts["matrix"] == worked_example_matrix()
    assert counts["numerator"] == sum(counts["by_category"].values()) == 464


def test_worked_example_edge_traffic(worked_world: World) -> None:
    w_start, w_end = WE_WINDOW
    ships = worked_world.shipments
    outbound_window = [s for s in ships if not s.is_return and w_start <= s.created < w_end]
    # exceptions after the reading on shipments that are clean at the reading
    late_only = [s for s in outbound_window
                 if any(e.truth_category for e in s.events)
                 and not any(e.truth_category and e.date <= WE_AS_OF for e in s.events)]
    assert len(late_only) >= 10
    # several exception categories on one shipment
    multi = [s for s in outbound_window
             if len({e.truth_category for e in s.events if e.truth_category}) > 1]
    assert len(multi) >= 10
    # transient (auto-resolved) exception shipments
    assert sum(s.truth_transient for s in outbound_window) >= 50
    # labels in the last hour before the window in UTC (10 Feb in Europe/Rome)
    rome_edge = [s for s in ships if w_start - HOUR <= s.created < w_start and not s.is_return]
    assert len(rome_edge) >= 20
    assert any(any(e.truth_category for e in s.events) for s in rome_edge)
    # labels late on the last window day with events after the reading
    last_hour = [s for s in outbound_window if s.created >= w_end - HOUR]
    assert last_hour and all(s.events[-1].date > WE_AS_OF for s in last_hour)
    # Easy Return legs in the window, with and without exceptions
    returns = [s for s in ships if s.is_return and w_start <= s.created < w_end]
    assert 0.03 <= len(returns) / len(outbound_window) <= 0.05
    with_exc = sum(1 for s in returns if any(e.truth_category for e in s.events))
    assert 0 < with_exc < len(returns)
    # the prior window at ~2.5 %
    prior = [s for s in ships if not s.is_return and WE_PRIOR[0] <= s.created < WE_PRIOR[1]]
    rate = sum(1 for s in prior if any(e.truth_category for e in s.events)) / len(prior)
    assert 14000 <= len(prior) <= 16000
    assert 0.018 <= rate <= 0.032
    # only the four carriers, with a few spelling variants
    names = Counter(s.carrier_name for s in ships)
    assert set(names) <= {"BRT", "Bartolini", "Poste Italiane", "PosteDelivery", "DHL Express",
                          "GLS"}
    assert names["Bartolini"] > 0 and names["PosteDelivery"] > 0


def test_customs_exceptions_only_on_customs_lanes(worked_world: World) -> None:
    for s in worked_world.shipments:
        if any(e.truth_category == "customs_border" for e in s.events):
            assert s.to_address.country in {"GB", "CH", "US"}, s.tracking_number


def test_event_invariants(worked_world: World) -> None:
    exceptions = portal = 0
    for s in worked_world.shipments:
        dates = [e.date for e in s.events]
        assert dates == sorted(dates) and len(set(dates)) == len(dates)
        assert s.events[0].date > s.created and s.events[0].code == 1
        assert len(s.webhook_times) == len(s.events) + 1
        assert s.webhook_times[0] >= s.shipped >= s.created
        if s.serve_order is not None:
            assert set(s.serve_order) == set(range(len(s.events)))
        for e in s.events:
            assert 1 <= e.code <= 6
            if e.truth_category is None:
                assert e.truth_reason is None and e.truth_class is None
                assert e.portal_category is None
            else:
                exceptions += 1
                assert e.truth_reason.startswith(e.truth_category + ".")
                assert e.truth_class in {"transient", "conditional", "real"}
                if e.portal_category is not None:
                    portal += 1
                    assert e.portal_category != e.truth_category
    assert 0.02 <= portal / exceptions <= 0.09


def test_served_out_of_order_and_repeated(worked_world: World) -> None:
    orders = [s.serve_order for s in worked_world.shipments if s.serve_order is not None]
    assert any(o != sorted(o) for o in orders)
    assert any(len(o) != len(set(o)) for o in orders)


def test_month_and_bulk_params() -> None:
    month = generate("month", seed=1, shipments=500, end="2026-03-01")
    assert month.as_of == 1772323200  # 2026-03-01T00:00:00Z
    outbound = [s for s in month.shipments if not s.is_return]
    assert len(outbound) == 500
    assert all(month.as_of - 30 * 86400 <= s.created < month.as_of for s in outbound)
    assert len({s.carrier_name for s in month.shipments}) >= 7
    assert {s.to_address.country for s in outbound} >= {"IT", "GB", "CH", "US"}
    bulk = generate("bulk", seed=1, shipments="250", start="2026-01-01", days="3")
    assert sum(not s.is_return for s in bulk.shipments) == 250
    assert len({s.tracking_number for s in bulk.shipments}) == len(bulk.shipments)


@pytest.mark.parametrize(("scenario", "params", "needle"), [
    ("nope", {}, "scenario: unknown 'nope'"),
    ("bulk", {"colour": "red"}, "unknown param(s) colour"),
    ("bulk", {"shipments": "many"}, "param shipments: 'many' is not an integer"),
    ("bulk", {"shipments": 0}, "param shipments: must be >= 1"),
    ("month", {"end": "yesterday"}, "param end: 'yesterday' is not an ISO 8601 instant"),
])
def test_bad_scenario_inputs(scenario: str, params: dict, needle: str) -> None:
    with pytest.raises(ValueError) as err:
        generate(scenario, 1, **params)
    assert needle in str(err.value)
