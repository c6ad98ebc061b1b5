"""Tap-level behaviour on a mocked API: incremental state, dedupe, discovery, failures."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from singer_sdk.helpers._util import load_json

from tap_shipping_exceptions.errors import ArchiveError, AuthenticationError

from .conftest import DAY, NOW, NoSleepTap
from .fake_api import FakeShippyPro
from .fakes import SECRET_KEY, event, order
from .run_tap import run_tap


def world(api: FakeShippyPro) -> None:
    """1: delivered (terminal); 2: in transit with a repeated event; 3: failed attempt."""
    api.add(order(1, date=NOW - 3 * DAY), [
        event(NOW - 3 * DAY + 60, 1, "Dati spediti"),
        event(NOW - 2 * DAY, 2, "In transito"),
        event(NOW - DAY, 6, "Consegnata"),
    ])
    api.add(order(2, carrier="GLS", date=NOW - 2 * DAY), [
        event(NOW - 2 * DAY + 60, 2, "Partita dalla sede mittente"),
        event(NOW - 2 * DAY + 60, 2, "Partita  dalla sede mittente"),  # cosmetic repeat
        event(NOW - DAY, 2, "In transito"),
    ])
    api.add(order(3, date=NOW - DAY), [
        event(NOW - DAY + 60, 2, "In transito"),
        event(NOW - 3600, 4, "Destinatario assente"),
    ])


def write_archive(path: Path, lines: list[dict | str]) -> None:
    with path.open("a") as handle:
        for line in lines:
            handle.write((line if isinstance(line, str) else json.dumps(line)) + "\n")


def shipped(order_id: int, tracking: str | None = None, carrier: str = "BRT") -> dict:
    return {"Event": "ORDER_SHIPPED", "OrderID": order_id,
            "TrackingNumber": tracking or f"TRK{order_id}", "CarrierName": carrier}


def update(order_id: int, code: int = 2, tracking: str | None = None) -> dict:
    return {"Event": "TRACKING_UPDATE", "OrderID": str(order_id),
            "tracking": tracking or f"TRK{order_id}", "code": code, "date": NOW,
            "message": "x", "TrackingCarrier": "BRT"}


def test_first_and_second_run(api: FakeShippyPro, base_config: dict) -> None:
    world(api)
    config = {**base_config, "order_ids": [1, 2, 3]}
    first = run_tap(config, tap_class=NoSleepTap)
    assert first.ids("shipments", "shipment_id") == ["1", "2", "3"]
    events = first.ids("tracking_events", "event_id")
    assert len(events) == len(set(events)) == 7  # the cosmetic repeat is one event
    assert api.counts() == {"GetOrder": 3, "GetTracking": 3, "GetCarriers": 1}
    by_id = {r["shipment_id"]: r for r in first.records["shipments"]}
    assert by_id["1"]["is_terminal"] and by_id["1"]["status"] == "delivered"
    assert by_id["1"]["delivered_at"] is not None
    assert not by_id["3"]["is_terminal"]

    api.calls.clear()
    # The state goes through the SDK's own reader (as with --state: floats become Decimal).
    state = load_json(json.dumps(first.final_state))
    second = run_tap(config, state=state, tap_class=NoSleepTap)
    # Only the two active shipments are polled, with GetTracking alone; the terminal one: zero.
    assert api.counts() == {"GetTracking": 2, "GetCarriers": 1}
    polled = sorted(params["Code"] for method, params in api.calls if method == "GetTracking")
    assert polled == ["TRK2", "TRK3"]
    assert second.records["shipments"] == []
    assert second.records["tracking_events"] == []


def test_new_event_on_repoll_emits_only_it(api: FakeShippyPro, base_config: dict) -> None:
    world(api)
    config = {**base_config, "order_ids": [1, 2, 3]}
    first = run_tap(config, tap_class=NoSleepTap)
    api.tracking["TRK3"] = [*reversed(api.tracking["TRK3"]),  # any order, repeats allowed
                            event(NOW - 60, 6, "Consegnata"), event(NOW - 60, 6, "Consegnata")]
    second = run_tap(config, state=first.final_state, tap_class=NoSleepTap)
    assert [e["message"] for e in second.records["tracking_events"]] == ["Consegnata"]
    assert second.ids("shipments", "shipment_id") == ["3"]
    shipment = second.records["shipments"][0]
    assert shipment["is_terminal"] and shipment["status"] == "delivered"
    all_ids = first.ids("tracking_events", "event_id") + second.ids("tracking_events", "event_id")
    assert len(all_ids) == len(set(all_ids))
    api.calls.clear()
    run_tap(config, state=second.final_state, tap_class=NoSleepTap)
    assert api.counts() == {"GetTracking": 1, "GetCarriers": 1}  # only shipment 2 is left


def test_duplicate_deliveries_discover_each_shipment_once(api: FakeShippyPro, base_config: dict,
                                                          tmp_path: Path) -> None:
    world(api)
    archive = tmp_path / "webhooks-1.jsonl"
    write_archive(archive, [shipped(1), shipped(1), update(1), shipped(2), update(2),
                            update(2), shipped(3), {"Event": "ORDER_ERROR", "OrderID": 9}])
    write_archive(tmp_path / "webhooks-2.jsonl", [update(3), update(1)])
    config = {**base_config, "webhook_archive": str(tmp_path / "*.jsonl")}
    out = run_tap(config, tap_class=NoSleepTap)
    assert api.counts()["GetOrder"] == 3
    assert out.ids("shipments", "shipment_id") == ["1", "2", "3"]
    offsets = out.final_state["bookmarks"]["shipments"]["shippypro"]["archive"]
    assert {Path(p).name: v["line"] for p, v in offsets.items()} == {
        "webhooks-1.jsonl": 8, "webhooks-2.jsonl": 2}


def test_archive_offsets_read_only_new_lines(api: FakeShippyPro, base_config: dict,
                                             tmp_path: Path) -> None:
    world(api)
    api.add(order(4, date=NOW - DAY), [event(NOW - DAY, 6, "Consegnata")])
    archive = tmp_path / "hooks.jsonl"
    write_archive(archive, [shipped(1), shipped(2)])
    config = {**base_config, "webhook_archive": str(archive)}
    first = run_tap(config, tap_class=NoSleepTap)
    assert first.ids("shipments", "shipment_id") == ["1", "2"]
    write_archive(archive, [shipped(4), update(1)])  # 1 is terminal: not fetched again
    api.calls.clear()
    second = run_tap(config, state=first.final_state, tap_class=NoSleepTap)
    assert [p for m, p in api.calls if m == "GetOrder"] == [{"OrderID": 4}]
    assert second.ids("shipments", "shipment_id") == ["4"]


def test_incomplete_last_line_is_left_for_next_run(api: FakeShippyPro, base_config: dict,
                                                   tmp_path: Path) -> None:
    world(api)
    archive = tmp_path / "hooks.jsonl"
    archive.write_text(json.dumps(shipped(1)) + "\n" + '{"Event": "ORDER_SHIPPED", "Ord')
    config = {**base_config, "webhook_archive": str(archive)}
    first = run_tap(config, tap_class=NoSleepTap)
    assert first.ids("shipments", "shipment_id") == ["1"]
    with archive.open("a") as handle:
        handle.write('erID": 2, "TrackingNumber": "TRK2", "CarrierName": "GLS"}\n')
    second = run_tap(config, state=first.final_state, tap_class=NoSleepTap)
    assert second.ids("shipments", "shipment_id") == ["2"]


def test_malformed_line_fails_before_any_request(api: FakeShippyPro, base_config: dict,
                                                 tmp_path: Path) -> None:
    world(api)
    archive = tmp_path / "hooks.jsonl"
    write_archive(archive, [shipped(1), "not json at all", shipped(2)])
    config = {**base_config, "webhook_archive": str(archive)}
    with pytest.raises(ArchiveError) as info:
        run_tap(config, tap_class=NoSleepTap)
    assert str(archive) in str(info.value) and "line 2" in str(info.value)
    assert "not valid JSON" in str(info.value)
    assert api.calls == []


@pytest.mark.parametrize("line, expected", [
    ({"Event": "ORDER_SHIPPED", "OrderID": "abc"}, "field 'OrderID': expected the ShippyPro"),
    ({"OrderID": 5}, 'field "Event" missing'),
    ([1, 2], "body is a JSON array, expected an object"),
])
def test_malformed_line_messages(api: FakeShippyPro, base_config: dict, tmp_path: Path,
                                 line: object, expected: str) -> None:
    archive = tmp_path / "hooks.jsonl"
    archive.write_text(json.dumps(line) + "\n")
    with pytest.raises(ArchiveError, match=expected) as info:
        run_tap({**base_config, "webhook_archive": str(archive)}, tap_class=NoSleepTap)
    assert "line 1" in str(info.value)


def test_malformed_line_skip_policy(api: FakeShippyPro, base_config: dict, tmp_path: Path,
                                    caplog: pytest.LogCaptureFixture) -> None:
    world(api)
    archive = tmp_path / "hooks.jsonl"
    write_archive(archive, [shipped(1), "{broken", shipped(2)])
    config = {**base_config, "webhook_archive": str(archive), "webhook_errors": "skip"}
    with caplog.at_level(logging.WARNING):
        out = run_tap(config, tap_class=NoSleepTap)
    assert out.ids("shipments", "shipment_id") == ["1", "2"]
    assert f"{archive} line 2" in caplog.text


def test_failing_shipment_skipped_and_kept_active(api: FakeShippyPro, base_config: dict,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    world(api)
    api.failing.add(2)
    config = {**base_config, "order_ids": [1, 2, 3]}
    with caplog.at_level(logging.WARNING):
        first = run_tap(config, tap_class=NoSleepTap)
    assert first.ids("shipments", "shipment_id") == ["1", "3"]
    assert "shipment=2" in caplog.text and "stream=shipments" in caplog.text
    assert "1 shipment(s) failed and were skipped" in caplog.text
    assert SECRET_KEY not in caplog.text
    active = first.final_state["bookmarks"]["shipments"]["shippypro"]["active"]
    assert "2" in active and active["2"]["order"] is None
    api.failing.clear()
    second = run_tap(config, state=first.final_state, tap_class=NoSleepTap)
    assert second.ids("shipments", "shipment_id") == ["2"]


def test_auth_error_stops_the_sync(api: FakeShippyPro, base_config: dict) -> None:
    world(api)
    api.status_override = 401
    with pytest.raises(AuthenticationError, match="check api_key") as info:
        run_tap({**base_config, "order_ids": [1, 2, 3]}, tap_class=NoSleepTap)
    assert SECRET_KEY not in str(info.value)


def test_start_date_skips_older_shipments(api: FakeShippyPro, base_config: dict) -> None:
    world(api)
    start = "T".join(__import__("datetime").datetime.fromtimestamp(
        NOW - 2 * DAY - 10, __import__("datetime").UTC).isoformat().split("T"))
    config = {**base_config, "order_ids": [1, 2, 3], "start_date": start}
    out = run_tap(config, tap_class=NoSleepTap)
    assert out.ids("shipments", "shipment_id") == ["2", "3"]
    assert api.counts()["GetTracking"] == 2  # no tracking call for the skipped one
    assert "1" in out.final_state["bookmarks"]["shipments"]["shippypro"]["done"]


def test_old_non_terminal_shipment_fetched_once_then_dropped(api: FakeShippyPro,
                                                             base_config: dict) -> None:
    api.add(order(10, date=NOW - 60 * DAY), [event(NOW - 59 * DAY, 2, "In transito")])
    config = {**base_config, "order_ids": [10]}
    first = run_tap(config, tap_class=NoSleepTap)
    assert first.ids("shipments", "shipment_id") == ["10"]
    assert first.final_state["bookmarks"]["shipments"]["shippypro"]["active"] == {}


def test_changed_tracking_number_refetches_order(api: FakeShippyPro, base_config: dict,
                                                 tmp_path: Path) -> None:
    world(api)
    archive = tmp_path / "hooks.jsonl"
    write_archive(archive, [shipped(3)])
    config = {**base_config, "webhook_archive": str(archive)}
    first = run_tap(config, tap_class=NoSleepTap)
    api.add(order(3, date=NOW - DAY, tracking="NEW3"), [event(NOW - 100, 2, "Ritirata")])
    write_archive(archive, [update(3), shipped(3, tracking="NEW3")])
    api.calls.clear()
    second = run_tap(config, state=first.final_state, tap_class=NoSleepTap)
    assert [m for m, _ in api.calls].count("GetOrder") == 1
    assert second.records["shipments"][0]["tracking_number"] == "NEW3"
    assert [e["tracking_number"] for e in second.records["tracking_events"]] == ["NEW3"]


def test_carriers_include_ones_seen_in_shipments(api: FakeShippyPro, base_config: dict) -> None:
    world(api)
    api.add(order(5, carrier="Corriere Rossi", date=NOW - DAY), [])
    config = {**base_config, "order_ids": [1, 5], "carrier_aliases": {"Corriere Rossi": "rossi"}}
    out = run_tap(config, tap_class=NoSleepTap)
    carriers = {r["carrier"]: r for r in out.records["carriers"]}
    assert carriers["brt"]["services"] == ["Express"]
    assert carriers["rossi"]["carrier_name"] == "Corriere Rossi"
    shipment5 = next(r for r in out.records["shipments"] if r["shipment_id"] == "5")
    assert shipment5["carrier"] == "rossi" and shipment5["status"] == "info_received"
