"""ShippyProClient against a scripted loopback server: every fault path; the key never leaks."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator

import pytest

from tap_shipping_exceptions.client import ShippyProClient, parse_retry_after
from tap_shipping_exceptions.errors import (
    APIResultError,
    AuthenticationError,
    HTTPStatusError,
    ResponseFormatError,
    TransientAPIError,
)

from .fakes import SECRET_KEY, FakeTime, order
from .loopback import ScriptedServer, scripted_server

TIMEOUT = 0.5  # request_timeout of the client under test (stalls below exceed it)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with scripted_server() as script:
        yield script


@pytest.fixture
def client(fake_time: FakeTime, server: ScriptedServer) -> Iterator[ShippyProClient]:
    with ShippyProClient(SECRET_KEY, server.url, max_retries=3, sleep=fake_time.sleep,
                         clock=fake_time.clock, jitter=lambda: 1.0,
                         timeout=TIMEOUT) as client:
        yield client


def ok_order(order_id: int = 5) -> dict:
    return {"Result": "OK", "Order": order(order_id)}


def test_request_shape_basic_auth_and_body(client: ShippyProClient,
                                           server: ScriptedServer) -> None:
    server.add(json=ok_order())
    assert client.get_order(5)["OrderID"] == 5
    sent = server.requests[0]
    assert json.loads(sent.body) == {"Method": "GetOrder", "Params": {"OrderID": 5}}
    import base64
    expected = "Basic " + base64.b64encode(f"{SECRET_KEY}:".encode()).decode()
    assert sent.headers["Authorization"] == expected
    assert sent.headers["Content-Type"] == "application/json"


def test_429_retry_after_is_honoured(client: ShippyProClient, fake_time: FakeTime,
                                     server: ScriptedServer) -> None:
    server.add(status=429, headers={"Retry-After": "7"})
    server.add(json=ok_order())
    assert client.get_order(5)["OrderID"] == 5
    assert 7.0 in fake_time.sleeps
    assert len(server.requests) == 2
    assert client.pacer.interval > 0  # the shared rate was slowed after the 429


def test_rate_relaxes_after_successes(client: ShippyProClient, server: ScriptedServer) -> None:
    server.add(status=429)
    for _ in range(80):
        server.add(json={"Result": "OK"})
    client.ping()
    slowed = client.pacer.interval
    assert slowed > 0
    for _ in range(79):
        client.ping()
    assert client.pacer.interval < slowed


def test_500_then_success_backs_off_exponentially(client: ShippyProClient,
                                                   fake_time: FakeTime,
                                                   server: ScriptedServer) -> None:
    server.add(status=500)
    server.add(status=503)
    server.add(json=ok_order())
    assert client.get_order(5)["OrderID"] == 5
    assert fake_time.sleeps == [1.0, 2.0]  # base 1 s doubling; jitter fixed at its maximum


def test_timeout_retried_then_gives_up(client: ShippyProClient, fake_time: FakeTime,
                                       server: ScriptedServer) -> None:
    server.add(json=ok_order(), stall=TIMEOUT * 3)  # no answer within the deadline
    server.add(json=ok_order(), drip=0.2)  # answers, but too slowly to finish in time
    server.add(json=ok_order(), stall=TIMEOUT * 3)
    server.add(drop=True)  # connection closed without an answer
    with pytest.raises(TransientAPIError) as info:
        client.get_order(42)
    assert "GetOrder" in str(info.value) and "OrderID 42" in str(info.value)
    assert "after 4 attempts" in str(info.value)
    assert len(fake_time.sleeps) == 3


def test_timeout_then_success(client: ShippyProClient, server: ScriptedServer) -> None:
    server.add(json=ok_order(), stall=TIMEOUT * 3)
    server.add(json=ok_order())
    assert client.get_order(5)["OrderID"] == 5


def test_truncated_body_retried_then_reported(client: ShippyProClient,
                                              server: ScriptedServer) -> None:
    for _ in range(4):
        server.add(body=b'{"Result": "OK", "Order": {"OrderID": 5, "Da')
    with pytest.raises(ResponseFormatError) as info:
        client.get_tracking("TRK5", "BRT", order_id=5)
    text = str(info.value)
    assert "GetTracking" in text and "OrderID 5" in text and "tracking TRK5" in text
    assert "not valid JSON" in text


def test_malformed_body_then_success(client: ShippyProClient, server: ScriptedServer) -> None:
    server.add(body=b"<html>gateway</html>")
    server.add(json=ok_order())
    assert client.get_order(5)["OrderID"] == 5


@pytest.mark.parametrize("body, expected", [
    ({"Result": "Error", "Error": "Order not found"}, "Order not found"),
    ({"Result": "Error", "ErrorMessage": "Invalid OrderID"}, "Invalid OrderID"),
    ({"Result": "Error", "ValidationErrors": {"OrderID": "required"}}, "OrderID: required"),
])
def test_result_error_surfaces_message(client: ShippyProClient, body: dict,
                                       expected: str, server: ScriptedServer) -> None:
    server.add(json=body)
    with pytest.raises(APIResultError) as info:
        client.get_order(9)
    assert expected in str(info.value) and "OrderID 9" in str(info.value)
    assert info.value.api_message == expected
    assert len(server.requests) == 1  # business errors are not retried


@pytest.mark.parametrize("status", [401, 403])
def test_auth_errors_are_fatal_and_not_retried(client: ShippyProClient, status: int,
                                               server: ScriptedServer) -> None:
    server.add(status=status, json={"Result": "Error", "Error": "bad key"})
    with pytest.raises(AuthenticationError, match="check api_key"):
        client.get_carriers()
    assert len(server.requests) == 1


def test_other_4xx_not_retried(client: ShippyProClient, server: ScriptedServer) -> None:
    server.add(status=404)
    with pytest.raises(HTTPStatusError, match="HTTP 404"):
        client.get_order(1)
    assert len(server.requests) == 1


@pytest.mark.parametrize("payload, field", [
    ({"Result": "OK"}, "Order"),
    ({"Result": "OK", "Order": {k: v for k, v in order(3).items() if k != "Date"}},
     "Order.Date"),
    ({"Result": "OK", "Order": {**order(3), "CarrierName": None}}, "Order.CarrierName"),
    ({"Result": "OK", "Order": {**order(3), "TrackingNumber": 12}}, "Order.TrackingNumber"),
])
def test_missing_required_field_names_method_shipment_field(client: ShippyProClient,
                                                            payload: dict, field: str,
                                                            server: ScriptedServer) -> None:
    server.add(json=payload)
    with pytest.raises(ResponseFormatError) as info:
        client.get_order(3)
    assert info.value.field == field
    assert "GetOrder" in str(info.value) and "OrderID 3" in str(info.value)
    assert f"'{field}'" in str(info.value)


def test_tracking_without_events_names_field(client: ShippyProClient,
                                             server: ScriptedServer) -> None:
    server.add(json={"Result": "OK", "TrackingNumber": "X"})
    with pytest.raises(ResponseFormatError) as info:
        client.get_tracking("X", "GLS", order_id=8)
    assert info.value.field == "Events" and "tracking X" in str(info.value)


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=lambda: 1445412470.0) == 10.0


def test_api_key_never_in_logs_or_errors(fake_time: FakeTime, caplog: pytest.LogCaptureFixture,
                                         server: ScriptedServer) -> None:
    """Drive every error path with a recognisable key; it must appear nowhere."""
    caplog.set_level(logging.DEBUG)
    client = ShippyProClient(SECRET_KEY, server.url, max_retries=1, sleep=fake_time.sleep,
                             clock=fake_time.clock, timeout=TIMEOUT)
    messages: list[str] = []
    scenarios = [
        [{"status": 429, "headers": {"Retry-After": "1"}}, {"status": 429}],
        [{"status": 500}, {"status": 502}],
        [{"stall": 1.0}] * 2,
        [{"drop": True}] * 2,
        [{"body": b"{not json"}] * 2,
        [{"json": {"Result": "Error", "Error": f"key {SECRET_KEY} is disabled"}}],
        [{"status": 401}],
        [{"status": 403}],
        [{"status": 400}],
        [{"json": {"Result": "OK"}}],
    ]
    for responses_for_call in scenarios:
        server.reset()
        for spec in responses_for_call:
            server.add(**spec)
        try:
            client.get_order(77)
        except Exception as exc:
            messages.append(f"{exc!r} {exc}")
    assert len(messages) == len(scenarios)
    joined = "\n".join(messages) + "\n" + caplog.text
    assert SECRET_KEY not in joined
    assert "***" in joined  # the API's own message was redacted, not dropped



# -- the transport: a total deadline, keep-alive, proxy read once ---------------------------------


@pytest.mark.parametrize("spec", [
    {"drip": 1.0},  # 1 byte/s body: every read succeeds, the call must still end at the deadline
    {"drip": 1.0, "drip_head": True},  # 1 byte/s status line and headers
    {"drip": 0.05, "endless": True},  # a body that never ends
], ids=["slow-body", "slow-headers", "endless-body"])
def test_request_timeout_is_a_total_deadline(server: ScriptedServer, fake_time: FakeTime,
                                             spec: dict) -> None:
    server.add(json=ok_order(), **spec)
    timeout = 1.5
    with ShippyProClient(SECRET_KEY, server.url, max_retries=1, timeout=timeout,
                         sleep=fake_time.sleep, clock=fake_time.clock) as client:
        started = time.monotonic()
        with pytest.raises(TransientAPIError, match=r"timed out after 1\.5 s after 2 attempts"):
            client.get_order(5)
        elapsed = time.monotonic() - started
    assert len(server.requests) == 2
    assert elapsed < 2 * timeout + 1.0, f"two attempts held the client {elapsed:.1f} s"


def test_keep_alive_reuses_one_connection(client: ShippyProClient,
                                          server: ScriptedServer) -> None:
    server.add(json=ok_order())
    for _ in range(5):
        assert client.get_order(5)["OrderID"] == 5
    assert server.connections == 1


def test_connection_closed_while_idle_is_replaced_without_a_retry(
        client: ShippyProClient, server: ScriptedServer, fake_time: FakeTime) -> None:
    server.add(json=ok_order(), close_after=True)  # closes after answering, no header says so
    server.add(json=ok_order())
    assert client.get_order(5)["OrderID"] == 5
    time.sleep(0.6)  # idle for longer than IDLE_CHECK_SECONDS: checked before reuse
    assert client.get_order(5)["OrderID"] == 5
    assert fake_time.sleeps == [] and len(server.requests) == 2 and server.connections == 2


def test_proxy_from_environment_read_once(server: ScriptedServer, fake_time: FakeTime,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    proxy = server.url.rsplit("/", 1)[0].replace("http://", "http://user:p%40ss@")
    monkeypatch.setenv("HTTP_PROXY", proxy)
    server.add(json=ok_order())
    with ShippyProClient(SECRET_KEY, "http://shippypro.test/api", sleep=fake_time.sleep,
                         clock=fake_time.clock, timeout=TIMEOUT) as client:
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # later changes are not read
        assert client.get_order(5)["OrderID"] == 5
    sent = server.requests[0]
    assert sent.path == "http://shippypro.test:80/api"  # absolute form, as a proxy expects
    import base64
    assert sent.headers["Proxy-Authorization"] == "Basic " + base64.b64encode(
        b"user:p@ss").decode()


def test_no_proxy_and_https_tunnel_routes() -> None:
    from tap_shipping_exceptions.transport import plan_route
    env = {"HTTPS_PROXY": "proxy.corp:3128", "NO_PROXY": "internal.example"}
    tunnel = plan_route("https://www.shippypro.com/api", env)
    assert (tunnel.proxy_host, tunnel.proxy_port, tunnel.tunnel) == ("proxy.corp", 3128, True)
    assert tunnel.target == "/api"
    direct = plan_route("https://internal.example/api", env)
    assert direct.proxy_host is None and direct.target == "/api"
    assert plan_route("http://www.shippypro.com/api", env).proxy_host is None
