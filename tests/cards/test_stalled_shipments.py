"""The stalled-shipments card against a hand count, on DuckDB (tz-aware and naive) and SQLite.

Reading instant: Wednesday 8 April 2026, 08:00 UTC = 10:00 in Rome (CEST). Easter Monday
(6 April 2026) is an Italian holiday, 4-5 April a weekend. Business days counted by hand for a
last carrier event on local day D are the business days strictly after D and before 8 April:

    Fri 20 Mar -> 23-27 Mar (5), 30 Mar-3 Apr (5), 7 Apr (1)  = 11
    Wed 25 Mar -> 26, 27, 30, 31 Mar, 1, 2, 3, 7 Apr           = 8
    Mon 30 Mar -> 31 Mar, 1, 2, 3, 7 Apr                       = 5
    Tue 31 Mar -> 1, 2, 3, 7 Apr                               = 4
    Wed  1 Apr -> 2, 3, 7 Apr                                  = 3
    Thu  2 Apr -> 3, 7 Apr (Mon 6 Apr is Easter Monday)        = 2
    Fri  3 Apr -> 7 Apr                                        = 1
    Tue  7 Apr -> none                                         = 0

Default threshold 3 business days; Poste Italiane 5 in the variant card used here.
"""

from __future__ import annotations

import os
from datetime import date

import pytest
import yaml
from sqlalchemy.dialects import postgresql

from metric_cards.business_days import (
    business_days_between,
    is_business_day,
    stall_cutoff_day,
)
from metric_cards.definitions import parse_definition
from metric_cards.errors import CardDefinitionError
from metric_cards.params import resolve
from metric_cards.registry import get_card
from metric_cards.stall_sql import in_flight_set
from metric_cards.stalled import StallRule
from shipping_core.windows import parse_instant, window_ending_before

from .warehouses import Rows, ts

AS_OF = "2026-04-08T08:00:00Z"
SNAPSHOT = os.path.join(os.path.dirname(__file__), "snapshots",
                        "stalled_shipments.postgresql.sql")


def variant(**stall: object) -> object:
    """The packaged card with ``stall`` settings overridden (e.g. per_carrier)."""
    data = yaml.safe_load(get_card("stalled_shipments").path.read_text("utf-8"))
    data["stall"].update(stall)
    return parse_definition(yaml.safe_dump(data, sort_keys=False), "stalled_variant.yaml")


def hand_rows() -> Rows:
    r = Rows()
    # a1: last scan Wed 1 Apr 23:30 Rome (21:30 UTC): 3 business days -> stalled
    r.ship("a1", "2026-03-30T08:00:00Z")
    r.event("a1", "2026-04-01T21:30:00Z", milestone="in_transit")
    # a2: last scan Thu 2 Apr 00:30 Rome (still 1 Apr in UTC): 2 business days -> not stalled
    r.ship("a2", "2026-03-30T08:00:00Z")
    r.event("a2", "2026-04-01T22:30:00Z", milestone="in_transit")
    # a3: progress then an exception on Mon 30 Mar: 5 business days, last milestone exception
    r.ship("a3", "2026-03-26T08:00:00Z")
    r.event("a3", "2026-03-27T10:00:00Z", milestone="in_transit")
    r.event("a3", "2026-03-30T10:00:00Z", milestone="exception", category="depot_network")
    # a4: delivered event on 25 Mar -> terminal, not in flight
    r.ship("a4", "2026-03-20T08:00:00Z")
    r.event("a4", "2026-03-25T10:00:00Z", milestone="delivered")
    # a5: delivered_at before the reading -> not in flight
    r.ship("a5", "2026-03-19T08:00:00Z", delivered="2026-04-08T07:00:00Z")
    r.shipments[-1]["updated_at"] = ts("2026-04-08T07:00:00Z")
    r.event("a5", "2026-03-20T10:00:00Z", milestone="in_transit")
    # a6: delivered after the reading instant -> in flight at the reading, 11 business days
    r.ship("a6", "2026-03-19T08:00:00Z", delivered="2026-04-08T09:00:00Z")
    r.shipments[-1]["updated_at"] = ts("2026-04-08T09:00:00Z")
    r.event("a6", "2026-03-20T10:00:00Z", milestone="in_transit")
    # a7: its only event comes after the reading: no scan yet, label on Tue 7 Apr -> 0 days
    r.ship("a7", "2026-04-07T08:00:00Z")
    r.event("a7", "2026-04-08T09:00:00Z", milestone="in_transit")
    # a8: never scanned, label on Tue 31 Mar -> 4 business days, milestone no_carrier_scan
    r.ship("a8", "2026-03-31T08:00:00Z")
    # a10: last scan Fri 3 Apr -> 1 business day (weekend and Easter Monday skipped)
    r.ship("a10", "2026-04-01T08:00:00Z")
    r.event("a10", "2026-04-03T10:00:00Z", milestone="in_transit")
    # p1: Poste Italiane, last scan Tue 31 Mar -> 4 business days < 5 -> not stalled
    r.ship("p1", "2026-03-30T08:00:00Z", carrier="poste_italiane")
    r.event("p1", "2026-03-31T10:00:00Z", milestone="in_transit")
    # p2: Poste Italiane, last scan Mon 30 Mar -> 5 business days -> stalled
    r.ship("p2", "2026-03-27T08:00:00Z", carrier="poste_italiane")
    r.event("p2", "2026-03-30T10:00:00Z", milestone="in_transit")
    # r1: a returns leg -> excluded by default
    r.ship("r1", "2026-03-20T08:00:00Z", is_return=True)
    r.event("r1", "2026-03-21T10:00:00Z", milestone="in_transit")
    # o1: created before the 30-day look-back (9 Mar .. 8 Apr) -> excluded
    r.ship("o1", "2026-03-01T08:00:00Z")
    r.event("o1", "2026-03-02T10:00:00Z", milestone="in_transit")
    # l1: declared lost on 25 Mar (is_terminal, updated then) -> closed, not in flight
    r.ship("l1", "2026-03-23T08:00:00Z", status="exception")
    r.shipments[-1].update(is_terminal=True, updated_at=ts("2026-03-25T10:00:00Z"))
    r.event("l1", "2026-03-25T10:00:00Z", milestone="exception", category="damage_lost")
    # l2: declared lost only on 9 Apr, after the reading: last scan Wed 25 Mar -> 8 days
    r.ship("l2", "2026-03-23T08:00:00Z", status="exception")
    r.shipments[-1].update(is_terminal=True, updated_at=ts("2026-04-09T10:00:00Z"))
    r.event("l2", "2026-03-25T10:00:00Z", milestone="in_transit")
    r.event("l2", "2026-04-09T10:00:00Z", milestone="exception", category="damage_lost")
    # a9: returned to sender -> terminal
    r.ship("a9", "2026-03-20T08:00:00Z")
    r.event("a9", "2026-03-23T10:00:00Z", milestone="returning")
    r.event("a9", "2026-03-27T10:00:00Z", milestone="returned")
    return r


ROWS = hand_rows()
IN_FLIGHT = {"a1", "a2", "a3", "a6", "a7", "a8", "a10", "l2", "p1", "p2"}
STALLED = {"a1": 3, "a3": 5, "a6": 11, "a8": 4, "l2": 8, "p2": 5}


def test_hand_count(run):
    card = variant(per_carrier={"poste_italiane": 5})
    p = run(ROWS, card, AS_OF)
    assert (p["numerator"], p["denominator"]) == (len(STALLED), len(IN_FLIGHT)) == (6, 10)
    assert p["value"] == pytest.approx(6 / 10)
    assert p["status"] == "critical"   # 60 % > 5 %
    carriers = {r["key"]: (r["numerator"], r["denominator"]) for r in p["breakdowns"]["by_carrier"]}
    assert carriers == {"brt": (5, 8), "poste_italiane": (1, 2)}
    milestones = {r["key"]: r["numerator"] for r in p["breakdowns"]["by_last_milestone"]}
    assert milestones == {"in_transit": 4, "exception": 1, "no_carrier_scan": 1}
    assert sum(milestones.values()) == p["numerator"]
    listed = p["list"]
    assert listed["total"] == 6 and not listed["truncated"]
    assert [(r["shipment_id"], r["business_days_stalled"]) for r in listed["rows"]] == [
        ("a6", 11), ("l2", 8), ("a3", 5), ("p2", 5), ("a8", 4), ("a1", 3)]
    assert {r["shipment_id"]: r["tracking_number"] for r in listed["rows"]} == {
        s: f"T{s}" for s in STALLED}
    assert [r["threshold_business_days"] for r in listed["rows"]] == [3, 3, 3, 5, 3, 3]
    assert p["stall"]["cutoffs"] == {"*": "2026-04-01T22:00:00Z",
                                     "poste_italiane": "2026-03-30T22:00:00Z"}


def test_default_threshold_counts_poste_at_three_days(run):
    p = run(ROWS, "stalled_shipments", AS_OF)
    # p1 (4 business days) is stalled at the default 3 days
    assert (p["numerator"], p["denominator"]) == (7, 10)
    assert p["timezone"] == "Europe/Rome"


def test_utc_days_move_the_local_boundary(run):
    # read in UTC, a2's last scan (1 Apr 22:30 UTC) falls on Wed 1 Apr: 3 business days
    p = run(ROWS, variant(per_carrier={"poste_italiane": 5}), AS_OF, timezone="UTC")
    assert {r["shipment_id"] for r in p["list"]["rows"]} == {*STALLED, "a2"}


def test_list_is_bounded_and_says_so(run):
    p = run(ROWS, variant(per_carrier={"poste_italiane": 5}, list_limit=2), AS_OF)
    assert [r["shipment_id"] for r in p["list"]["rows"]] == ["a6", "l2"]
    assert p["list"]["limit"] == 2 and p["list"]["total"] == 6 and p["list"]["truncated"]


def test_prior_reading_and_series(run):
    p = run(ROWS, variant(per_carrier={"poste_italiane": 5}), AS_OF)
    # a week earlier (Wed 1 Apr 10:00 Rome) the cutoff day is Fri 27 Mar (31, 30, 27 Mar back)
    # and Poste's is Wed 25 Mar. In flight: a1, a2 (not scanned yet: label 30 Mar), a3, a5 and
    # a6 (delivered only on 8 Apr), a8, a10 (label 1 Apr 08:00, at the reading instant), l2
    # (declared lost only on 9 Apr), p1, p2 = 10; a4 delivered, a9 returned and l1 lost by then.
    # Stalled: a5 and a6 (last scan 20 Mar), l2 (25 Mar) = 3.
    c = p["comparison"]
    assert (c["numerator"], c["denominator"]) == (3, 10)
    assert c["as_of"] == "2026-04-01T08:00:00Z"
    assert c["delta_pp"] == pytest.approx((6 / 10 - 3 / 10) * 100)
    assert len(p["series"]) == 14 and p["series"][-1]["date"] == "2026-04-07"


def test_business_days_by_hand():
    assert not is_business_day(date(2026, 4, 6))            # Easter Monday 2026
    assert not is_business_day(date(2026, 4, 25))           # Liberazione
    assert not is_business_day(date(2026, 6, 2))            # Festa della Repubblica
    assert not is_business_day(date(2026, 12, 26))          # Santo Stefano (a Saturday)
    assert is_business_day(date(2026, 4, 7))
    assert business_days_between(date(2026, 4, 2), date(2026, 4, 8)) == 2
    assert business_days_between(date(2026, 12, 23), date(2026, 12, 29)) == 2   # 24, 28 Dec
    assert business_days_between(date(2026, 4, 8), date(2026, 4, 8)) == 0
    assert stall_cutoff_day(date(2026, 4, 8), 3) == date(2026, 4, 2)
    assert stall_cutoff_day(date(2026, 8, 17), 1) == date(2026, 8, 14)          # Ferragosto Sat
    with pytest.raises(ValueError, match="business_days"):
        stall_cutoff_day(date(2026, 4, 8), 0)


@pytest.mark.parametrize("n", [1, 3, 5, 10])
def test_cutoff_day_agrees_with_the_count(n):
    today = date(2025, 12, 1)
    for offset in range(0, 400, 3):
        day = date.fromordinal(today.toordinal() + offset)
        cutoff = stall_cutoff_day(day, n)
        for back in range(0, 30):
            last = date.fromordinal(day.toordinal() - back)
            assert (last < cutoff) == (business_days_between(last, day) >= n), (day, last, n)


@pytest.mark.parametrize(("patch", "message"), [
    ({"kind": "count", "format": "count"}, "expected kind 'ratio'"),
    ({"stall": {"business_days": 0, "calendar": "it_national", "list_limit": 5}},
     "stall.business_days"),
    ({"stall": {"business_days": 3, "calendar": "it_national", "list_limit": 5,
                "per_carrier": {"BRT!": 2}}}, "stall.per_carrier"),
])
def test_stall_definition_errors(patch, message):
    data = yaml.safe_load(get_card("stalled_shipments").path.read_text("utf-8"))
    data.update(patch)
    with pytest.raises(CardDefinitionError, match=message.replace(".", r"\.")):
        parse_definition(yaml.safe_dump(data, sort_keys=False), "bad.yaml")


def test_last_milestone_only_on_stall_cards():
    data = yaml.safe_load(get_card("exception_rate_by_carrier").path.read_text("utf-8"))
    data["breakdowns"][0]["fields"] = ["last_milestone"]
    with pytest.raises(CardDefinitionError, match="only on stall cards"):
        parse_definition(yaml.safe_dump(data, sort_keys=False), "bad.yaml")


def test_postgres_sql_snapshot():
    """Business days never reach SQL: the query compares instants with bound cutoffs."""
    card = variant(per_carrier={"poste_italiane": 5})
    as_of = parse_instant(AS_OF)
    lookback = window_ending_before(as_of, "Europe/Rome", card.window_days)
    query = in_flight_set(card, resolve(card), StallRule.of(card), as_of=as_of,
                          start=lookback.start, timezone="Europe/Rome", schema="raw")
    compiled = query.compile(dialect=postgresql.dialect())
    bound = "\n".join(f"--   {k} = {v!r}" for k, v in sorted(compiled.params.items()))
    text = f"{compiled}\n-- bound parameters:\n{bound}\n"
    sql = text.split("-- bound parameters:")[0]
    for forbidden in ("2026-", "interval", "extract", "dow", "'poste_italiane'"):
        assert forbidden not in sql.lower()
    if os.environ.get("UPDATE_SNAPSHOTS") or not os.path.exists(SNAPSHOT):
        if not os.environ.get("UPDATE_SNAPSHOTS"):
            pytest.fail(f"missing snapshot {SNAPSHOT}; run with UPDATE_SNAPSHOTS=1")
        with open(SNAPSHOT, "w", encoding="utf-8") as fh:
            fh.write(text)
    with open(SNAPSHOT, encoding="utf-8") as fh:
        assert text == fh.read()


def _postgres_url() -> str | None:
    """A reachable PostgreSQL URL with an installed driver, or None."""
    import importlib.util

    base = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    for module, driver in (("psycopg2", "psycopg2"), ("psycopg", "psycopg")):
        if importlib.util.find_spec(module):
            return base.replace("postgresql://", f"postgresql+{driver}://", 1)
    return None


def test_postgres_in_another_session_zone_matches_the_hand_count():
    """Same payload on Postgres (session zone America/Los_Angeles) as the hand count."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    from metric_cards.evaluate import evaluate
    from metric_cards.warehouse import contract_tables

    url = _postgres_url()
    if url is None:
        pytest.skip("no PostgreSQL driver installed (pip install -e '.[postgres]')")
    schema = f"i14_stalled_{os.getpid()}"
    engine = create_engine(url, connect_args={"options": "-c TimeZone=America/Los_Angeles"})
    try:
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        engine.dispose()
        pytest.skip(f"PostgreSQL not reachable at {url}: {str(exc).splitlines()[0]}")
    try:
        tables = contract_tables(schema)
        tables.shipments.metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(tables.shipments.insert(), ROWS.shipments)
            conn.execute(tables.tracking_events.insert(), ROWS.events)
        p = evaluate(variant(per_carrier={"poste_italiane": 5}), engine, AS_OF,
                     params={"min_sample": 0}, schema=schema)
        assert (p["numerator"], p["denominator"]) == (6, 10)
        assert [(r["shipment_id"], r["business_days_stalled"]) for r in p["list"]["rows"]] == [
            ("a6", 11), ("l2", 8), ("a3", 5), ("p2", 5), ("a8", 4), ("a1", 3)]
        assert (p["comparison"]["numerator"], p["comparison"]["denominator"]) == (3, 10)
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()
