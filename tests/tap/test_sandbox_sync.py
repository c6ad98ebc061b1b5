"""The tap against the sandbox server over real HTTP: call counts per run, incremental state,
duplicate deliveries, and fault handling (faults injected through ``/_sandbox/faults``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tap_shipping_exceptions.errors import AuthenticationError

from .conftest import DAY, SANDBOX_KEY, NoSleepTap, Sandbox
from .run_tap import TapOutput, run_tap


def visible_ids(sandbox: Sandbox, now: int) -> list[int]:
    return sorted(s.order_id for s in sandbox.world.shipments if s.created <= now)


def config_for(sandbox: Sandbox, **extra: object) -> dict:
    return {"api_key": SANDBOX_KEY, "api_url": sandbox.url, "max_concurrency": 4,
            "max_retries": 2, **extra}


def truth_events(sandbox: Sandbox, ids: list[int], now: int) -> int:
    by_id = sandbox.world.by_order_id()
    return sum(len(by_id[i].events_until(now)) for i in ids)


def event_ids(*outputs: TapOutput) -> list[str]:
    return [e["event_id"] for out in outputs for e in out.records["tracking_events"]]


def test_runs_poll_only_active_shipments(sandbox: Sandbox) -> None:
    now = sandbox.world.end - 3 * DAY
    sandbox.reset(now)
    ids = visible_ids(sandbox, now)
    config = config_for(sandbox, order_ids=ids)

    first = run_tap(config, tap_class=NoSleepTap)
    stats = sandbox.stats()
    assert stats["by_method"] == {"GetOrder": len(ids), "GetTracking": len(ids),
                                  "GetCarriers": 1}
    assert len(first.records["shipments"]) == len(ids)
    assert len(event_ids(first)) == len(set(event_ids(first))) == truth_events(sandbox, ids, now)
    active = sorted(int(r["shipment_id"]) for r in first.records["shipments"]
                    if not r["is_terminal"])
    assert 0 < len(active) < len(ids)

    sandbox.admin_call("stats/reset")
    second = run_tap(config, state=first.final_state, tap_class=NoSleepTap)
    stats = sandbox.stats()
    assert stats["by_method"] == {"GetTracking": len(active), "GetCarriers": 1}
    assert second.records["shipments"] == [] and second.records["tracking_events"] == []

    sandbox.reset(now + 3 * DAY)
    third = run_tap(config, state=second.final_state, tap_class=NoSleepTap)
    assert sandbox.stats()["by_method"] == {"GetTracking": len(active), "GetCarriers": 1}
    new_truth = truth_events(sandbox, active, now + 3 * DAY) - truth_events(sandbox, active, now)
    assert len(event_ids(third)) == new_truth
    every = event_ids(first, third)
    assert len(every) == len(set(every))  # no event emitted twice across runs
    assert {int(r["shipment_id"]) for r in third.records["shipments"]} <= set(active)
    still_active = third.final_state["bookmarks"]["shipments"]["shippypro"]["active"]
    terminal_now = {r["shipment_id"] for r in third.records["shipments"] if r["is_terminal"]}
    assert terminal_now and not terminal_now & set(still_active)


def test_duplicate_webhook_deliveries(sandbox: Sandbox, tmp_path: Path) -> None:
    now = sandbox.world.end
    sandbox.reset(now)
    shipments = [s for s in sandbox.world.shipments if s.created <= now][:40]
    with (tmp_path / "deliveries-20260101-0001.jsonl").open("w") as handle:
        for s in shipments + shipments[:10]:  # ShippyPro delivers at least once
            handle.write(json.dumps({"Event": "ORDER_SHIPPED", "OrderID": s.order_id,
                                     "TrackingNumber": s.tracking_number,
                                     "CarrierName": s.carrier_name}) + "\n")
            handle.write(json.dumps({"Event": "TRACKING_UPDATE", "OrderID": str(s.order_id),
                                     "tracking": s.tracking_number, "code": 2,
                                     "TrackingCarrier": s.carrier_name}) + "\n")
    out = run_tap(config_for(sandbox, webhook_archive=str(tmp_path / "*.jsonl")),
                  tap_class=NoSleepTap)
    stats = sandbox.stats()
    assert stats["by_method"]["GetOrder"] == len(shipments)
    assert set(stats["by_order_id"].values()) == {1}
    assert sorted(out.ids("shipments", "shipment_id"), key=int) == sorted(
        str(s.order_id) for s in shipments)


def test_faults_retried_or_skipped(sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    now = sandbox.world.end
    sandbox.reset(now)
    ids = visible_ids(sandbox, now)[:30]
    by_id = sandbox.world.by_order_id()
    broken, refused = ids[3], ids[7]
    sandbox.admin_call("faults", {"faults": [
        {"kind": "http_error", "status": 503, "method": "GetTracking",
         "id": by_id[broken].tracking_number},
        {"kind": "error", "method": "GetOrder", "id": refused, "message": "Order locked"},
        {"kind": "rate_limit", "method": "GetOrder", "retry_after": 2, "times": 3},
        {"kind": "truncate", "method": "GetTracking", "times": 2},
        {"kind": "malformed", "method": "GetOrder", "times": 1},
        {"kind": "http_error", "status": 500, "method": "GetTracking", "times": 2},
    ]})
    NoSleepTap.fake_time.sleeps.clear()
    # one worker: the fake clock is shared, so with concurrent 429s a waiter's sleep depends on
    # thread timing (the burst case is covered in test_throttle.py)
    first = run_tap(config_for(sandbox, order_ids=ids, max_retries=5, max_concurrency=1),
                    tap_class=NoSleepTap)
    emitted = {int(i) for i in first.ids("shipments", "shipment_id")}
    assert emitted == set(ids) - {broken, refused}
    assert NoSleepTap.fake_time.sleeps.count(2.0) >= 3  # Retry-After honoured
    assert f"shipment={broken}" in caplog.text and f"shipment={refused}" in caplog.text
    assert "Order locked" in caplog.text
    assert SANDBOX_KEY not in caplog.text
    active = first.final_state["bookmarks"]["shipments"]["shippypro"]["active"]
    assert {str(broken), str(refused)} <= set(active)

    sandbox.admin_call("faults", method="DELETE")
    sandbox.admin_call("stats/reset")
    second = run_tap(config_for(sandbox, order_ids=ids), state=first.final_state,
                     tap_class=NoSleepTap)
    assert {str(broken), str(refused)} <= set(second.ids("shipments", "shipment_id"))
    # broken's order was cached in state: only its tracking is fetched again
    assert sandbox.stats()["by_order_id"] == {str(refused): 1}


def test_wrong_key_stops_sync(sandbox: Sandbox) -> None:
    sandbox.reset(sandbox.world.end)
    config = {**config_for(sandbox, order_ids=visible_ids(sandbox, sandbox.world.end)[:5]),
              "api_key": "wrong-key-123"}
    with pytest.raises(AuthenticationError, match="check api_key") as info:
        run_tap(config, tap_class=NoSleepTap)
    assert "wrong-key-123" not in str(info.value)
    assert sandbox.stats()["unauthorized"] >= 1
