"""Record building: deterministic event ids, UTC timestamps, code folding, field errors."""

from __future__ import annotations

import pytest

from tap_shipping_exceptions.errors import ResponseFormatError
from tap_shipping_exceptions.records import iso_utc, make_event_id, parse_events, record_hash

from .fakes import event


def test_event_id_is_deterministic_and_cosmetic_insensitive() -> None:
    a = make_event_id("12", 1772000000, 2, None, "In  transito", "MILANO")
    b = make_event_id("12", 1772000000, 2, None, "in transito ", "Milano")
    assert a == b and len(a) == 40
    assert a != make_event_id("13", 1772000000, 2, None, "In transito", "Milano")
    assert a != make_event_id("12", 1772000001, 2, None, "In transito", "Milano")
    assert a != make_event_id("12", 1772000000, 2, "X1", "In transito", "Milano")


def test_parse_events_dedupes_sorts_and_folds_codes() -> None:
    raw = [event(300, 6000, "Consegnata"), event(100, 1, "Dati"), event(200, 2, "Partita"),
           event(100, 1, "Dati"), {"date": "200", "code": "2", "message": "partita",
                                   "city": "milano"}]
    events = parse_events(raw, shipment_id="9", subject="OrderID 9")
    assert [(e.occurred, e.code) for e in events] == [(100, 1), (200, 2), (300, 6)]
    assert events[2].raw["code"] == 6000  # raw stays untouched


@pytest.mark.parametrize("raw, field", [
    ([{"code": 2, "message": "x"}], "Events[0].date"),
    ([event(1, 2, "a"), {"date": 5}], "Events[1].code"),
    ([event(1, 2, "a"), "oops"], "Events[1]"),
    ([{"date": "yesterday", "code": 2}], "Events[0].date"),
])
def test_parse_events_names_bad_field(raw: list, field: str) -> None:
    with pytest.raises(ResponseFormatError) as info:
        parse_events(raw, shipment_id="4", subject="OrderID 4 / tracking T4")
    assert info.value.field == field
    assert "GetTracking (OrderID 4 / tracking T4)" in str(info.value)


def test_iso_utc_and_hash() -> None:
    assert iso_utc(0) == "1970-01-01T00:00:00Z"
    assert iso_utc(1773273600) == "2026-03-12T00:00:00Z"
    assert record_hash({"a": 1, "b": [1]}) == record_hash({"b": [1], "a": 1})
    assert record_hash({"a": 1}) != record_hash({"a": 2})
