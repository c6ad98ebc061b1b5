"""Item 1: one hostile API response costs one shipment, never the sync.

Each case serves shipments 1..3 over loopback HTTP with shipment 2 hostile. The sync must finish,
emit STATE, emit 1 and 3, and either convert 2 safely (its record is valid JSON) or mark it
failed with its OrderID and the reason; the mark is retried next run and parked after
``max_failed_runs``. A property-based test feeds generated hostile orders and events through the
same record building.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import jsonschema
import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tap_shipping_exceptions import schemas
from tap_shipping_exceptions.parked import lines, parked_shipments
from tap_shipping_exceptions.settings import Settings
from tap_shipping_exceptions.state import TapBookkeeping
from tap_shipping_exceptions.sync_run import SyncRun

from .conftest import CREATED, RawShippyPro, events_json, order_json, run_tap

DEEP = b"[" * 100_000 + b"]" * 100_000
GOOD_EVENT = {"date": CREATED + 10_000, "code": 2, "message": "In transito", "city": "Milano"}


def raw_order(order_id: int, date: bytes) -> bytes:
    return order_json(order_id).replace(f'"Date": {CREATED}'.encode(), b'"Date": ' + date)


ISOLATED = {
    "Order.Date 10^13 s": lambda: (raw_order(2, b"10000000000000"), None),
    "Order.Date 1e999": lambda: (raw_order(2, b"1e999"), None),
    "Order.Date '--5'": lambda: (raw_order(2, b'"--5"'), None),
    "Order.Date superscript two": lambda: (raw_order(2, '"\u00b2"'.encode()), None),
    "Order.Date -1e999": lambda: (raw_order(2, b"-1e999"), None),
    "Events[0].date 10^13 s": lambda: (None, events_json({**GOOD_EVENT, "date": 10**13})),
    "Events[0].date 1e999": lambda: (None, events_json(GOOD_EVENT).replace(
        f'"date": {CREATED + 10_000}'.encode(), b'"date": 1e999')),
    "Events[0].code '--5'": lambda: (None, events_json({**GOOD_EVENT, "code": "--5"})),
    "Events[0].code superscript": lambda: (None, events_json({**GOOD_EVENT, "code": "\u00b2"})),
    "order nested 100k deep": lambda: (order_json(2)[:-1] + b', "x": ' + DEEP + b"}", None),
    "events nested 100k deep": lambda: (None, b"[" + DEEP + b"]"),
}

CONVERTED = {
    "ShippedDate 10^13 s": lambda: (order_json(2, ShippedDate=10**13), None),
    "EstDeliveryDate 1e999": lambda: (order_json(2).replace(b'"EstDeliveryDate": 0',
                                                            b'"EstDeliveryDate": 1e999'), None),
    "ShippedDate '--5'": lambda: (order_json(2, ShippedDate="--5"), None),
    "lone surrogate in a message": lambda: (None, events_json(GOOD_EVENT).replace(
        b'"In transito"', b'"In \\ud800 transito"')),
    "lone surrogate in the order": lambda: (order_json(2).replace(b'"WEB-2"', b'"WEB\\udfff"'),
                                            None),
}


def serve(api: RawShippyPro, hostile: tuple[bytes | None, bytes | None]) -> None:
    api.add(1)
    api.add(3)
    order, events = hostile
    api.add(2, order=order, events=events)


@pytest.mark.parametrize("case", sorted(ISOLATED))
def test_hostile_value_isolates_only_its_shipment(raw_api: RawShippyPro, tap_config: dict,
                                                  caplog: pytest.LogCaptureFixture,
                                                  case: str) -> None:
    serve(raw_api, ISOLATED[case]())
    config = {**tap_config, "order_ids": [1, 2, 3]}
    with caplog.at_level(logging.INFO, logger="tap_shipping_exceptions"):
        out = run_tap(config)
    assert out.ids() == ["1", "3"]
    assert out.states, "the sync must end with STATE"
    assert out.book["active"]["2"]["failures"] == 1
    warning = next(r.getMessage() for r in caplog.records if "shipment=2" in r.getMessage())
    assert "failed run 1 of 3" in warning
    summary = next(r.getMessage() for r in caplog.records
                   if r.getMessage().startswith("Shipments sync summary"))
    assert "failed=1" in summary


@pytest.mark.parametrize("case", sorted(CONVERTED))
def test_hostile_optional_value_is_converted_safely(raw_api: RawShippyPro, tap_config: dict,
                                                    case: str) -> None:
    serve(raw_api, CONVERTED[case]())
    out = run_tap({**tap_config, "order_ids": [1, 2, 3]})
    assert out.ids() == ["1", "2", "3"]
    record = out.records["shipments"][1]
    msgspec.json.encode(record)  # valid UTF-8 JSON all the way through
    assert record["promised_delivery_at"] is None or record["promised_delivery_at"] < "9999"
    for event in out.records["tracking_events"]:
        assert "\ud800" not in json.dumps(event, ensure_ascii=False, default=str)


def test_failed_shipment_is_retried_then_parked_and_listed(raw_api: RawShippyPro,
                                                            tap_config: dict,
                                                            capsys: pytest.CaptureFixture
                                                            ) -> None:
    serve(raw_api, ISOLATED["Order.Date 1e999"]())
    config = {**tap_config, "order_ids": [1, 2, 3], "max_failed_runs": 2}
    first = run_tap(config)
    assert first.book["active"]["2"]["failures"] == 1
    second = run_tap(config, state=first.final_state)
    assert "2" not in second.book["active"]
    parked = second.book["parked"]["2"]
    assert parked["failures"] == 2 and "Order.Date" in parked["reason"]
    raw_api.calls.clear()
    third = run_tap(config, state=second.final_state)
    assert ("GetOrder", {"OrderID": 2}) not in raw_api.calls  # parked: not fetched again
    assert "2" in third.book["parked"]
    listed = list(lines(parked_shipments(third.final_state)))
    assert len(listed) == 1 and listed[0].startswith("2\tfailed_runs=2")


def test_a_fixed_shipment_recovers_before_the_bound(raw_api: RawShippyPro,
                                                    tap_config: dict) -> None:
    serve(raw_api, ISOLATED["Events[0].code '--5'"]())
    config = {**tap_config, "order_ids": [1, 2, 3]}
    first = run_tap(config)
    raw_api.add(2)  # the API answers properly again
    second = run_tap(config, state=first.final_state)
    assert second.ids() == ["2"]
    assert "parked" not in second.book


# -- property-based: generated hostile values through fetch + record building ----------------

class DictClient:
    """A ShippyProClient stand-in returning decoded payloads (the HTTP layer is tested above)."""

    def __init__(self, orders: dict[int, Any], events: dict[str, Any]) -> None:
        self.orders, self.events = orders, events
        self.call_counts: dict[str, int] = {}

    def get_order(self, order_id: int) -> Any:
        return self.orders[order_id]

    def get_tracking(self, code: str, carrier: str | None = None, *, order_id: int) -> Any:
        return {"Result": "OK", "Events": self.events[code]}

    def get_carriers(self) -> dict[str, list[Any]]:
        return {}


SHIPMENTS = jsonschema.Draft7Validator(schemas.SHIPMENTS)
EVENTS = jsonschema.Draft7Validator(schemas.TRACKING_EVENTS)
HOSTILE_SCALARS = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30), st.floats(allow_nan=True),
    st.sampled_from(["--5", "\u00b2", "\ud800", "", " 12 ", "1e999", "0x10", "\u0667\u0668",
                     "9" * 5000, None, True]),
    st.text(max_size=20), st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
EVENT = st.fixed_dictionaries({"date": HOSTILE_SCALARS, "code": HOSTILE_SCALARS},
                              optional={"message": HOSTILE_SCALARS, "city": HOSTILE_SCALARS,
                                        "carrier_code": HOSTILE_SCALARS})
ORDER_FIELDS = st.fixed_dictionaries({}, optional={
    "Date": HOSTILE_SCALARS, "ShippedDate": HOSTILE_SCALARS, "EstDeliveryDate": HOSTILE_SCALARS,
    "CarrierName": st.text(max_size=12),  # the client checks it is a string
    "IsReturn": HOSTILE_SCALARS, "TransactionID": HOSTILE_SCALARS,
    "to_address": HOSTILE_SCALARS})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(order_fields=ORDER_FIELDS, events=st.one_of(st.lists(EVENT, max_size=4), HOSTILE_SCALARS))
def test_generated_hostile_orders_and_events_cost_at_most_their_shipment(
        order_fields: dict[str, Any], events: Any) -> None:
    good = json.loads(order_json(1))
    hostile = {**json.loads(order_json(2)), **order_fields}
    client = DictClient({1: good, 2: hostile, 3: json.loads(order_json(3))},
                        {"TRK1": json.loads(events_json()), "TRK2": events,
                         "TRK3": json.loads(events_json())})
    run = SyncRun(Settings(api_key="k", order_ids=(1, 2, 3), max_concurrency=2),
                  client)  # type: ignore[arg-type]
    state: dict[str, Any] = {}
    book = TapBookkeeping(state)
    emitted: list[dict[str, Any]] = []
    shipments = list(run.shipment_records(book, emit_event=emitted.append, events_selected=True,
                                          shipments_selected=True))
    ids = [r["shipment_id"] for r in shipments]
    assert ids[0] == "1" and ids[-1] == "3"
    assert ids in (["1", "3"], ["1", "2", "3"])
    if ids == ["1", "3"]:
        assert len(run.stats.failures) == 1 and "shipment=2" in run.stats.failures[0]
    msgspec.json.encode([shipments, emitted])  # everything emitted can be written
    for record in shipments:  # ... and a target validating the stream schemas accepts it
        SHIPMENTS.validate(record)
    for record in emitted:
        EVENTS.validate(record)
    msgspec.json.encode(book.root)  # and so can the state
    for record in shipments:
        for name in ("created_at", "shipped_at", "promised_delivery_at", "updated_at"):
            assert record[name] is None or len(record[name]) == 20
