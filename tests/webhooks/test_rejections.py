"""Every rejection of the real receiver (subprocess via the CLI): status, reason, nothing stored."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from benchmarks.receiver_process import ReceiverProcess, start_receiver

from .helpers import (
    GOOD_AUTH,
    GOOD_HEADERS,
    HEADER_NAME,
    HEADER_VALUE,
    PASSWORD,
    USER,
    credentials_env,
)

DELIVERY = {"Event": "TRACKING_UPDATE", "tracking": "RJ1", "date": 1773300000, "code": 5,
            "message": "Indirizzo errato", "OrderID": "77", "TrackingCarrier": "BRT"}


def archived_lines(receiver: ReceiverProcess) -> list[bytes]:
    return [line for path in sorted(receiver.archive_dir.glob("*.jsonl"))
            for line in path.read_bytes().splitlines()]


def post(receiver: ReceiverProcess, content: bytes, auth=GOOD_AUTH, headers=None,
         **kwargs) -> httpx.Response:
    headers = GOOD_HEADERS if headers is None else headers
    return httpx.post(receiver.delivery_url, content=content, auth=auth, headers=headers,
                      timeout=30, **kwargs)


@pytest.mark.parametrize(
    ("auth", "headers", "why"),
    [
        (None, GOOD_HEADERS, "missing or malformed HTTP Basic credentials"),
        ((USER, "bad-pw-91"), GOOD_HEADERS, "wrong HTTP Basic user or password"),
        (("someone", PASSWORD), GOOD_HEADERS, "wrong HTTP Basic user or password"),
        (GOOD_AUTH, {}, f"missing header '{HEADER_NAME.lower()}'"),
        (GOOD_AUTH, {HEADER_NAME: "bad-hdr-17"}, f"wrong value for header '{HEADER_NAME.lower()}'"),
        (None, {"Authorization": "Bearer abc", HEADER_NAME: HEADER_VALUE},
         "missing or malformed HTTP Basic credentials"),
    ],
)
def test_bad_credentials_are_401_store_nothing_and_never_log_secrets(
        shared_receiver: ReceiverProcess, auth, headers, why: str) -> None:
    before = archived_lines(shared_receiver)
    response = post(shared_receiver, json.dumps(DELIVERY).encode(), auth=auth, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Basic")
    assert archived_lines(shared_receiver) == before
    log = shared_receiver.log_text()
    assert why in log
    for secret in (PASSWORD, HEADER_VALUE, "bad-pw-91", "bad-hdr-17"):
        assert secret not in log


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty body"),
        (b"   \n", "empty body"),
        (b"Event=TRACKING_UPDATE", "body is not JSON: Expecting value at line 1 column 1"),
        (b'{"Event": "TRACKING_UPDATE",}', "body is not JSON"),
        (b'[{"Event": "TRACKING_UPDATE"}]', "body is a JSON array"),
        (b'"TRACKING_UPDATE"', "body is a JSON string"),
        (b'{"tracking": "X"}', 'no "Event" field'),
        (b'{"Event": ""}', '"Event" must be a non-empty string'),
        (b'{"Event": 5}', '"Event" must be a non-empty string, got 5'),
        (b'{"Event": "TRACKING_UPDATE", "code": NaN}', "NaN is not valid JSON"),
        (b'{"Event": "TRACKING_UPDATE", "OrderID": "1", "city": "Forl\xec"}', "not UTF-8"),
        (b'{"Event": "TRACKING_UPDATE", "tracking": "X"}',
         "TRACKING_UPDATE delivery has no 'OrderID' field"),
        (b'{"Event": "order_shipped", "OrderID": "A-12"}',
         "field 'OrderID': expected the ShippyPro OrderID: an integer or a string of digits, "
         'got "A-12"'),
    ],
)
def test_bodies_that_are_not_deliveries_are_400_with_the_reason(
        shared_receiver: ReceiverProcess, body: bytes, reason: str) -> None:
    before = archived_lines(shared_receiver)
    response = post(shared_receiver, body)
    assert response.status_code == 400
    assert reason in response.json()["error"]
    assert archived_lines(shared_receiver) == before


def test_body_over_one_mib_is_413_by_content_length(shared_receiver: ReceiverProcess) -> None:
    body = json.dumps({**DELIVERY, "message": "x" * (1024 * 1024)}).encode()
    before = archived_lines(shared_receiver)
    response = post(shared_receiver, body)
    assert response.status_code == 413
    assert archived_lines(shared_receiver) == before


def test_body_over_one_mib_is_413_while_streaming_without_length(
        shared_receiver: ReceiverProcess) -> None:
    """Chunked upload, no Content-Length: the limit is enforced on the stream as it arrives."""
    chunk = b" " * 65536

    def chunks():
        yield b'{"Event": "TRACKING_UPDATE", "pad": "'
        for _ in range(17):  # 17 x 64 KiB > 1 MiB
            yield chunk
        yield b'"}'

    before = archived_lines(shared_receiver)
    response = post(shared_receiver, chunks())
    assert response.status_code == 413
    assert archived_lines(shared_receiver) == before


def test_body_of_exactly_one_mib_is_accepted(receiver: ReceiverProcess) -> None:
    head = json.dumps({**DELIVERY, "message": ""}).encode()[:-1] + b', "pad": "'
    body = head + b"y" * (1024 * 1024 - len(head) - 2) + b'"}'
    assert len(body) == 1024 * 1024
    response = post(receiver, body)
    assert response.status_code == 200
    assert archived_lines(receiver) == [body]


def test_wrong_method_is_405_wrong_path_404_and_health_answers(
        shared_receiver: ReceiverProcess) -> None:
    assert httpx.get(shared_receiver.delivery_url, auth=GOOD_AUTH).status_code == 405
    assert httpx.put(shared_receiver.delivery_url, auth=GOOD_AUTH).status_code == 405
    assert httpx.post(shared_receiver.url + "/webhook", auth=GOOD_AUTH,
                      content=b"{}").status_code == 404
    health = httpx.get(shared_receiver.url + "/health")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    assert httpx.post(shared_receiver.url + "/health").status_code == 405


def test_shippypro_test_button_delivery_is_answered_but_not_archived(
        receiver: ReceiverProcess) -> None:
    sample = {"Event": "TRACKING_UPDATE", "tracking": "WZ116539070", "date": 1622671204,
              "message": "Shipment delivered", "city": "Florence", "est_delivery_date": "0",
              "first_status_date": "1622152801", "late": "0", "code": 6, "OrderID": "24957298",
              "TransactionID": "48572_1", "TrackingCarrier": "FedEx", "MarketplaceID": "0",
              "MarketplacePlatform": "Manual shipment", "ExternalLink": "",
              "FromAddressCompany": "John Doe srl.", "ToAddressCompany": "",
              "FromAddressCountry": "IT", "ToAddressCountry": "IT"}
    response = post(receiver, json.dumps(sample, indent=1).encode())
    assert response.status_code == 200
    assert response.json()["test_delivery"] == "shippypro-test-button-tracking-update"
    assert archived_lines(receiver) == []
    # The same shape for a real order is archived.
    real = {**sample, "OrderID": "24957299"}
    assert post(receiver, json.dumps(real).encode()).status_code == 200
    assert [json.loads(line) for line in archived_lines(receiver)] == [real]


def test_multiline_body_is_stored_on_one_line_as_sent(receiver: ReceiverProcess) -> None:
    pretty = json.dumps({**DELIVERY, "message": "riga1\nriga2 \u00e8"}, indent=2,
                        ensure_ascii=False).encode()
    assert pretty.count(b"\n") > 5
    compact = b'{"Event":"TRACKING_UPDATE","tracking":"RJ2","OrderID":78}'
    assert post(receiver, b"\r\n" + pretty + b"\r\n").status_code == 200
    assert post(receiver, compact).status_code == 200
    lines = archived_lines(receiver)
    assert lines[0] == pretty.replace(b"\n", b" ")
    assert json.loads(lines[0]) == json.loads(pretty)
    assert lines[1] == compact


def test_other_events_are_archived_without_order_checks(receiver: ReceiverProcess) -> None:
    body = b'{"Event":"ORDER_ERROR","TransactionID":"48572_9","Error":"Invalid ZIP"}'
    assert post(receiver, body).status_code == 200
    assert archived_lines(receiver) == [body]


def test_duplicate_deliveries_are_both_archived(receiver: ReceiverProcess) -> None:
    body = json.dumps(DELIVERY).encode()
    assert post(receiver, body).status_code == 200
    assert post(receiver, body).status_code == 200
    assert archived_lines(receiver) == [body, body]


def test_header_only_credentials_are_enough(tmp_path: Path) -> None:
    env = credentials_env(SHIPPING_WEBHOOKS_USER=None, SHIPPING_WEBHOOKS_PASSWORD=None)
    receiver = start_receiver(tmp_path / "a", tmp_path, env=env)
    try:
        body = json.dumps(DELIVERY).encode()
        assert httpx.post(receiver.delivery_url, content=body).status_code == 401
        assert httpx.post(receiver.delivery_url, content=body,
                          headers={HEADER_NAME.upper(): HEADER_VALUE}).status_code == 200
    finally:
        receiver.terminate()
