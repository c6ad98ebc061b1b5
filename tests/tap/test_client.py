"""ShippyProClient on mocked HTTP (``responses``): every fault path; the key never leaks."""

from __future__ import annotations

import json
import logging

import pytest
import requests
import responses

from tap_shipping_exceptions.client import ShippyProClient, parse_retry_after
from tap_shipping_exceptions.errors import (
    APIResultError,
    AuthenticationError,
    HTTPStatusError,
    ResponseFormatError,
    TransientAPIError,
)

from .fakes import API_URL, SECRET_KEY, FakeTime, order


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def client(fake_time: FakeTime) -> ShippyProClient:
    return ShippyProClient(SECRET_KEY, API_URL, max_retries=3, sleep=fake_time.sleep,
                           clock=fake_time.clock, jitter=lambda: 1.0)


def ok_order(order_id: int = 5) -> dict:
    return {"Result": "OK", "Order": order(order_id)}


@responses.activate
def test_request_shape_basic_auth_and_body(client: ShippyProClient) -> None:
    responses.post(API_URL, json=ok_order())
    assert client.get_order(5)["OrderID"] == 5
    sent = responses.calls[0].request
    assert json.loads(sent.body) == {"Method": "GetOrder", "Params": {"OrderID": 5}}
    import base64
    expected = "Basic " + base64.b64encode(f"{SECRET_KEY}:".encode()).decode()
    assert sent.headers["Authorization"] == expected


@responses.activate
def test_429_retry_after_is_honoured(client: ShippyProClient, fake_time: FakeTime) -> None:
    responses.post(API_URL, status=429, headers={"Retry-After": "7"})
    responses.post(API_URL, json=ok_order())
    assert client.get_order(5)["OrderID"] == 5
    assert 7.0 in fake_time.sleeps
    assert len(responses.calls) == 2
    assert client.pacer.interval > 0  # the shared rate was slowed after the 429


@responses.activate
def test_rate_relaxes_after_successes(client: ShippyProClient) -> None:
    responses.post(API_URL, status=429)
    for _ in range(80):
        responses.post(API_URL, json={"Result": "OK"})
    client.ping()
    slowed = client.pacer.interval
    assert slowed > 0
    for _ in range(79):
        client.ping()
    assert client.pacer.interval < slowed


@responses.activate
def test_500_then_success_backs_off_exponentially(client: ShippyProClient,
                                                   fake_time: FakeTime) -> None:
    responses.post(API_URL, status=500)
    responses.post(API_URL, status=503)
    responses.post(API_URL, json=ok_order())
    assert client.get_order(5)["OrderID"] == 5
    assert fake_time.sleeps == [1.0, 2.0]  # base 1 s doubling; jitter fixed at its maximum


@responses.activate
def test_timeout_retried_then_gives_up(client: ShippyProClient, fake_time: FakeTime) -> None:
    responses.post(API_URL, body=requests.exceptions.ReadTimeout("slow"))
    responses.post(API_URL, body=requests.exceptions.ReadTimeout("slow"))
    responses.post(API_URL, body=requests.exceptions.ConnectTimeout("slow"))
    responses.post(API_URL, body=requests.exceptions.ConnectionError("down"))
    with pytest.raises(TransientAPIError) as info:
        client.get_order(42)
    assert "GetOrder" in str(info.value) and "OrderID 42" in str(info.value)
    assert "after 4 attempts" in str(info.value)
    assert len(fake_time.sleeps) == 3


@responses.activate
def test_timeout_then_success(client: ShippyProClient) -> None:
    responses.post(API_URL, body=requests.exceptions.ReadTimeout("slow"))
    responses.post(API_URL, json=ok_order())
    assert client.get_order(5)["OrderID"] == 5


@responses.activate
def test_truncated_body_retried_then_reported(client: ShippyProClient) -> None:
    for _ in range(4):
        responses.post(API_URL, body=b'{"Result": "OK", "Order": {"OrderID": 5, "Da')
    with pytest.raises(ResponseFormatError) as info:
        client.get_tracking("TRK5", "BRT", order_id=5)
    text = str(info.value)
    assert "GetTracking" in text and "OrderID 5" in text and "tracking TRK5" in text
    assert "not valid JSON" in text


@responses.activate
def test_malformed_body_then_success(client: ShippyProClient) -> None:
    responses.post(API_URL, body=b"<html>gateway</html>")
    responses.post(API_URL, json=ok_order())
    assert client.get_order(5)["OrderID"] == 5


@pytest.mark.parametrize("body, expected", [
    ({"Result": "Error", "Error": "Order not found"}, "Order not found"),
    ({"Result": "Error", "ErrorMessage": "Invalid OrderID"}, "Invalid OrderID"),
    ({"Result": "Error", "ValidationErrors": {"OrderID": "required"}}, "OrderID: required"),
])
@responses.activate
def test_result_error_surfaces_message(client: ShippyProClient, body: dict,
                                       expected: str) -> None:
    responses.post(API_URL, json=body)
    with pytest.raises(APIResultError) as info:
        client.get_order(9)
    assert expected in str(info.value) and "OrderID 9" in str(info.value)
    assert info.value.api_message == expected
    assert len(responses.calls) == 1  # business errors are not retried


@pytest.mark.parametrize("status", [401, 403])
@responses.activate
def test_auth_errors_are_fatal_and_not_retried(client: ShippyProClient, status: int) -> None:
    responses.post(API_URL, status=status, json={"Result": "Error", "Error": "bad key"})
    with pytest.raises(AuthenticationError, match="check api_key"):
        client.get_carriers()
    assert len(responses.calls) == 1


@responses.activate
def test_other_4xx_not_retried(client: ShippyProClient) -> None:
    responses.post(API_URL, status=404)
    with pytest.raises(HTTPStatusError, match="HTTP 404"):
        client.get_order(1)
    assert len(responses.calls) == 1


@pytest.mark.parametrize("payload, field", [
    ({"Result": "OK"}, "Order"),
    ({"Result": "OK", "Order": {k: v for k, v in order(3).items() if k != "Date"}},
     "Order.Date"),
    ({"Result": "OK", "Order": {**order(3), "CarrierName": None}}, "Order.CarrierName"),
    ({"Result": "OK", "Order": {**order(3), "TrackingNumber": 12}}, "Order.TrackingNumber"),
])
@responses.activate
def test_missing_required_field_names_method_shipment_field(client: ShippyProClient,
                                                            payload: dict, field: str) -> None:
    responses.post(API_URL, json=payload)
    with pytest.raises(ResponseFormatError) as info:
        client.get_order(3)
    assert info.value.field == field
    assert "GetOrder" in str(info.value) and "OrderID 3" in str(info.value)
    assert f"'{field}'" in str(info.value)


@responses.activate
def test_tracking_without_events_names_field(client: ShippyProClient) -> None:
    responses.post(API_URL, json={"Result": "OK", "TrackingNumber": "X"})
    with pytest.raises(ResponseFormatError) as info:
        client.get_tracking("X", "GLS", order_id=8)
    assert info.value.field == "Events" and "tracking X" in str(info.value)


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=lambda: 1445412470.0) == 10.0


@responses.activate
def test_api_key_never_in_logs_or_errors(fake_time: FakeTime,
                                         caplog: pytest.LogCaptureFixture) -> None:
    """Drive every error path with a recognisable key; it must appear nowhere."""
    caplog.set_level(logging.DEBUG)
    client = ShippyProClient(SECRET_KEY, API_URL, max_retries=1, sleep=fake_time.sleep,
                             clock=fake_time.clock)
    messages: list[str] = []
    scenarios = [
        [{"status": 429, "headers": {"Retry-After": "1"}}, {"status": 429}],
        [{"status": 500}, {"status": 502}],
        [{"body": requests.exceptions.ReadTimeout(f"timeout for {SECRET_KEY}")}] * 2,
        [{"body": requests.exceptions.ConnectionError(f"conn {SECRET_KEY}")}] * 2,
        [{"body": b"{not json"}] * 2,
        [{"json": {"Result": "Error", "Error": f"key {SECRET_KEY} is disabled"}}],
        [{"status": 401}],
        [{"status": 403}],
        [{"status": 400}],
        [{"json": {"Result": "OK"}}],
    ]
    for responses_for_call in scenarios:
        responses.reset()
        for spec in responses_for_call:
            responses.post(API_URL, **spec)
        try:
            client.get_order(77)
        except Exception as exc:
            messages.append(f"{exc!r} {exc}")
    assert len(messages) == len(scenarios)
    joined = "\n".join(messages) + "\n" + caplog.text
    assert SECRET_KEY not in joined
    assert "***" in joined  # the API's own message was redacted, not dropped
