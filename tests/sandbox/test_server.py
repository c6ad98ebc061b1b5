"""The sandbox API over real HTTP: methods, auth, business errors, clock, faults, limiter."""

from __future__ import annotations

import json

import pytest
import requests

from shipping_sandbox.faults import FaultRule, FaultSpecError
from shipping_sandbox.ratelimit import TokenBucket
from shipping_sandbox.runner import start_server
from shipping_sandbox.server import create_app
from shipping_sandbox.world import Shipment, World

from .conftest import API_KEY, call


def delivered_with_exception(world: World) -> Shipment:
    return next(s for s in world.shipments
                if any(e.truth_category for e in s.events) and s.events[-1].code == 6
                and s.serve_order is None)


def test_ping_and_carriers(server, client, small_world: World) -> None:
    assert call(client, server.url, "Ping").json() == {"Result": "OK"}
    body = call(client, server.url, "GetCarriers").json()
    assert body["Result"] == "OK"
    assert body["Carriers"] == small_world.carriers
    assert {"CarrierID", "CarrierService", "Label"} <= set(body["Carriers"]["BRT"][0])


def test_get_order_shape(server, client, small_world: World) -> None:
    s = small_world.shipments[10]
    body = call(client, server.url, "GetOrder", OrderID=s.order_id).json()
    assert body["Result"] == "OK"
    order = body["Order"]
    assert order["OrderID"] == s.order_id and order["TrackingNumber"] == s.tracking_number
    assert order["CarrierName"] == s.carrier_name and order["Date"] == s.created
    assert order["IsReturn"] in (0, 1) and order["ShippedDate"] == s.shipped
    assert set(order["to_address"]) == {"name", "company", "street1", "street2", "city",
                                        "state", "zip", "country", "phone", "email"}
    assert s.tracking_number in order["TrackingExternalLink"]
    # the order id may come as a numeric string too
    again = call(client, server.url, "GetOrder", OrderID=str(s.order_id)).json()
    assert again == body


def test_get_tracking_shape(server, client, small_world: World) -> None:
    s = delivered_with_exception(small_world)
    body = call(client, server.url, "GetTracking", Code=s.tracking_number,
                CarrierName=s.carrier_name).json()
    assert body["Result"] == "OK" and body["TrackingNumber"] == s.tracking_number
    assert body["Status"] == 6 and body["TrackingCarrier"] == s.carrier_name
    assert [e["date"] for e in body["Events"]] == [e.date for e in s.events]
    assert [e["message"] for e in body["Events"]] == [e.message for e in s.events]
    assert all("truth_category" not in e for e in body["Events"])
    for served, event in zip(body["Events"], s.events, strict=True):
        assert served.get("carrier_code") == event.carrier_code


def test_served_order_and_repeats(server, client, small_world: World) -> None:
    s = next(s for s in small_world.shipments if s.serve_order is not None)
    events = call(client, server.url, "GetTracking", Code=s.tracking_number).json()["Events"]
    assert [e["date"] for e in events] == [s.events[i].date for i in s.serve_order]


@pytest.mark.parametrize(("method", "params", "needle"), [
    ("Nope", {}, "Method 'Nope' not found"),
    ("GetOrder", {}, "Params.OrderID: missing"),
    ("GetOrder", {"OrderID": "abc"}, "Params.OrderID: 'abc' is not an integer"),
    ("GetOrder", {"OrderID": 1}, "Order 1 not found"),
    ("GetTracking", {}, "Params.Code: missing"),
    ("GetTracking", {"Code": "ZZZ"}, "Tracking code 'ZZZ' not found"),
    ("GetTracking", {"Code": "x", "CarrierName": 5}, "Params.CarrierName: expected a string"),
])
def test_business_errors_are_http_200(server, client, method, params, needle) -> None:
    response = call(client, server.url, method, **params)
    assert response.status_code == 200
    body = response.json()
    assert body["Result"] == "Error" and needle in body["Error"]


def test_malformed_request_body(server, client) -> None:
    response = client.post(server.url, data=b"{not json", timeout=10)
    assert response.status_code == 200 and response.json()["Result"] == "Error"


@pytest.mark.parametrize("auth", [None, ("wrong", ""), ("", API_KEY)])
def test_bad_or_missing_key_is_401(server, auth) -> None:
    response = requests.post(server.url, json={"Method": "Ping", "Params": {}}, auth=auth,
                             timeout=10)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert response.json()["Result"] == "Error"


def test_root_path_and_health(server, client) -> None:
    assert call(client, server.base_url + "/", "Ping").json() == {"Result": "OK"}
    health = requests.get(server.base_url + "/health", timeout=10).json()
    assert health["status"] == "ok" and health["scenario"] == "bulk"


def test_clock_hides_future_events_and_orders(server, client, small_world: World) -> None:
    s = delivered_with_exception(small_world)
    admin = server.admin_url
    mid = s.events[2].date
    assert requests.post(admin + "/clock", json={"now": mid}, timeout=10).json()["now"] == mid
    body = call(client, server.url, "GetTracking", Code=s.tracking_number).json()
    assert [e["date"] for e in body["Events"]] == [e.date for e in s.events[:3]]
    assert body["Status"] == s.events[2].code
    order = call(client, server.url, "GetOrder", OrderID=s.order_id).json()["Order"]
    assert order["Status"] == s.events[2].code
    # advance past the next event
    step = s.events[3].date - mid
    assert requests.post(admin + "/clock", json={"advance": step}, timeout=10).json()["now"] \
        == s.events[3].date
    body = call(client, server.url, "GetTracking", Code=s.tracking_number).json()
    assert len(body["Events"]) == 4
    # before the label exists the order is unknown, and ShippedDate follows the clock
    requests.post(admin + "/clock", json={"now": s.created - 1}, timeout=10)
    gone = call(client, server.url, "GetOrder", OrderID=s.order_id).json()
    assert gone["Result"] == "Error"
    requests.post(admin + "/clock", json={"now": s.shipped - 1}, timeout=10)
    order = call(client, server.url, "GetOrder", OrderID=s.order_id).json()["Order"]
    assert order["ShippedDate"] == 0 and order["Status"] == 0
    assert requests.post(admin + "/clock", json={"bogus": 1}, timeout=10).status_code == 400


def install(server, *rules: dict, replace: bool = True) -> list[dict]:
    response = requests.post(server.admin_url + "/faults",
                             json={"faults": list(rules), "replace": replace}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["faults"]


def test_fault_rate_limit_with_retry_after_and_times(server, client, small_world) -> None:
    install(server, {"kind": "rate_limit", "method": "GetOrder", "retry_after": 7, "times": 2})
    oid = small_world.shipments[0].order_id
    first = call(client, server.url, "GetOrder", OrderID=oid)
    second = call(client, server.url, "GetOrder", OrderID=oid)
    third = call(client, server.url, "GetOrder", OrderID=oid)
    assert [first.status_code, second.status_code, third.status_code] == [429, 429, 200]
    assert first.headers["Retry-After"] == "7"
    assert call(client, server.url, "Ping").status_code == 200  # other methods unaffected
    stats = requests.get(server.admin_url + "/stats", timeout=10).json()
    assert stats["status_429"] == 2 and stats["by_order_id"][str(oid)] == 3


@pytest.mark.parametrize("status", [500, 502, 503])
def test_fault_http_errors_by_id(server, client, small_world, status) -> None:
    target, other = small_world.shipments[1], small_world.shipments[2]
    install(server, {"kind": "http_error", "status": status, "id": target.tracking_number})
    assert call(client, server.url, "GetTracking", Code=target.tracking_number).status_code \
        == status
    assert call(client, server.url, "GetTracking", Code=other.tracking_number).status_code == 200


def test_fault_business_error(server, client, small_world) -> None:
    install(server, {"kind": "error", "method": "GetOrder", "message": "Temporary failure"})
    body = call(client, server.url, "GetOrder", OrderID=small_world.shipments[0].order_id).json()
    assert body == {"Result": "Error", "Error": "Temporary failure"}


def test_fault_truncated_and_malformed(server, client, small_world) -> None:
    oid = small_world.shipments[0].order_id
    install(server, {"kind": "truncate", "method": "GetOrder", "times": 1},
            {"kind": "malformed", "method": "GetOrder", "times": 1})
    for _ in range(2):
        response = call(client, server.url, "GetOrder", OrderID=oid)
        assert response.status_code == 200
        with pytest.raises(json.JSONDecodeError):
            json.loads(response.content)
    assert call(client, server.url, "GetOrder", OrderID=oid).json()["Result"] == "OK"


def test_fault_slow_still_answers(server, client, small_world) -> None:
    install(server, {"kind": "slow", "delay_ms": 50, "times": 1})
    assert call(client, server.url, "Ping").json() == {"Result": "OK"}
    faults = requests.get(server.admin_url + "/faults", timeout=10).json()["faults"]
    assert faults[0]["fired"] == 1


def test_fault_probability_is_seeded(server, client) -> None:
    def run() -> list[int]:
        install(server, {"kind": "http_error", "status": 503, "probability": 0.5, "seed": 42})
        return [call(client, server.url, "Ping").status_code for _ in range(20)]
    first, second = run(), run()
    assert first == second and 503 in first and 200 in first


def test_fault_spec_errors(server) -> None:
    response = requests.post(server.admin_url + "/faults",
                             json={"faults": [{"kind": "http_error"}]}, timeout=10)
    assert response.status_code == 400 and "faults/0" in response.json()["error"]
    with pytest.raises(FaultSpecError, match="fault/kind"):
        FaultRule.from_dict({"kind": "explode"})
    with pytest.raises(FaultSpecError, match="probability"):
        FaultRule.from_dict({"kind": "error", "probability": 2})


def test_faults_at_create_time(small_world) -> None:
    app = create_app(small_world, api_key=API_KEY, now=small_world.as_of,
                     faults=[{"kind": "http_error", "status": 502, "times": 1}])
    with start_server(app) as srv, requests.Session() as session:
        session.auth = (API_KEY, "")
        assert call(session, srv.url, "Ping").status_code == 502
        assert call(session, srv.url, "Ping").status_code == 200


def test_stats_and_reset(server, client, small_world) -> None:
    s = small_world.shipments[3]
    call(client, server.url, "GetOrder", OrderID=s.order_id)
    call(client, server.url, "GetTracking", Code=s.tracking_number)
    call(client, server.url, "GetTracking", Code=s.tracking_number)
    stats = requests.get(server.admin_url + "/stats", timeout=10).json()
    assert stats["total"] == 3
    assert stats["by_method"] == {"GetOrder": 1, "GetTracking": 2}
    assert stats["by_code"] == {s.tracking_number: 2}
    reset = requests.post(server.admin_url + "/stats/reset", timeout=10).json()
    assert reset["total"] == 0 and reset["by_method"] == {}


def test_rate_limiter_over_http(small_world) -> None:
    app = create_app(small_world, api_key=API_KEY, now=small_world.as_of, rate_limit=0.01)
    with start_server(app) as srv, requests.Session() as session:
        session.auth = (API_KEY, "")
        assert call(session, srv.url, "Ping").status_code == 200
        limited = call(session, srv.url, "Ping")
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) >= 90
        requests.post(srv.admin_url + "/rate-limit", json={"rate": None}, timeout=10)
        assert call(session, srv.url, "Ping").status_code == 200


def test_token_bucket_refills() -> None:
    now = [0.0]
    bucket = TokenBucket(2.0, clock=lambda: now[0])
    assert bucket.take() == 0 and bucket.take() == 0
    wait = bucket.take()
    assert wait == pytest.approx(0.5)
    assert TokenBucket.retry_after(wait) == 1
    now[0] += 0.5
    assert bucket.take() == 0
    with pytest.raises(ValueError, match="rate_limit"):
        TokenBucket(0)


def test_latency_is_applied_without_breaking_answers(small_world) -> None:
    app = create_app(small_world, api_key=API_KEY, now=small_world.as_of, latency_ms=20)
    with start_server(app) as srv, requests.Session() as session:
        session.auth = (API_KEY, "")
        s = small_world.shipments[0]
        assert call(session, srv.url, "GetTracking", Code=s.tracking_number).json()["Result"] \
            == "OK"
        assert app.state.sandbox.latency == pytest.approx(0.02)
