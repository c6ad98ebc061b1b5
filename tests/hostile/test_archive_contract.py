"""Item 2: the receiver stores exactly what the tap accepts (one archive format module).

Every body is posted to the real receiver app (in-process ASGI, a real ``ArchiveWriter`` in a
temporary directory) and, separately, written as one archive line for the tap's
``scan_archive`` with ``webhook_errors: fail``. Property: answered 200 (and stored) if and only
if the tap accepts the line; whatever is stored, the tap reads without error.
"""

from __future__ import annotations

import json
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tap_shipping_exceptions import archive_format
from tap_shipping_exceptions.discovery import scan_archive
from tap_shipping_exceptions.errors import ArchiveError
from tap_shipping_exceptions.webhooks.app import ReceiverConfig, create_app
from tap_shipping_exceptions.webhooks.archive import ArchiveWriter
from tap_shipping_exceptions.webhooks.credentials import Credentials

if TYPE_CHECKING:
    from starlette.testclient import TestClient


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[TestClient, Path]]:
    directory = Path(tempfile.mkdtemp(prefix="i12-contract-"))
    writer = ArchiveWriter(directory / "archive")
    writer.start()
    app = create_app(ReceiverConfig(Credentials(), writer, samples=[]))
    with warnings.catch_warnings():  # starlette prefers httpx2; httpx is what the project has
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    yield TestClient(app), directory / "archive"
    writer.close()


def receiver_stores(client: TestClient, archive: Path, body: bytes) -> bool:
    before = sum(p.stat().st_size for p in archive.glob("*.jsonl"))
    status = client.post("/webhooks/shippypro", content=body).status_code
    assert status in (200, 400), status  # never a 500
    after = sum(p.stat().st_size for p in archive.glob("*.jsonl"))
    assert (status == 200) == (after > before)
    return status == 200


def tap_accepts(body: bytes) -> bool:
    with tempfile.TemporaryDirectory(prefix="i12-tap-") as tmp:
        path = Path(tmp) / "deliveries-20260101-0001.jsonl"
        path.write_bytes(archive_format.frame(body) + b"\n")
        try:
            scan = scan_archive(str(path), {}, on_malformed="fail")
        except ArchiveError:
            return False
        return scan.lines == 1


EVENTS = st.sampled_from(["ORDER_SHIPPED", "order_shipped", "Tracking_Update", "ORDER_ERROR",
                          "order_sh\u0131pped", "ORDER_\u017fHIPPED", "", " ", "TRACKING_UPDATE "])
ORDER_IDS = st.one_of(
    st.integers(min_value=-5, max_value=2**64), st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["41234569", " 41234569 ", "41234569.0", "4.123457e7", "9" * 5000, "",
                     "\u0664\u0661", "\u00b2", "-5", "0", "+7", "\t12\t", "12\n", True, None]),
    st.text(max_size=8))
FIELD = st.one_of(st.none(), st.integers(), st.text(max_size=10), st.booleans(),
                  st.lists(st.integers(), max_size=2))


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["object", "object", "object", "raw", "mutated"]))
    if kind == "raw":
        return draw(st.binary(max_size=60))
    body: dict = {}
    if draw(st.booleans()) or kind == "mutated":
        body["Event"] = draw(st.one_of(EVENTS, FIELD))
    if draw(st.booleans()):
        body["OrderID"] = draw(ORDER_IDS)
    for name in ("TrackingNumber", "CarrierName", "tracking", "TrackingCarrier"):
        if draw(st.booleans()):
            body[name] = draw(FIELD)
    text = json.dumps(body, ensure_ascii=draw(st.booleans()))
    if kind == "mutated":
        text = draw(st.sampled_from([
            text, text.replace('"Event"', '"Event"', 1) + " ", "\r\n" + text + "\n",
            text[:-1] + ', "x": "\\ud800"}', text[:-1] + ', "x": 1e999}',
            text[:-1] + ', "x": NaN}', text[:-1] + ', "x": ' + "[" * 70 + "]" * 70 + "}",
            text[:-1] + ', "x": ' + "[" * 5000 + "]" * 5000 + "}"]))
    return text.encode("utf-8", "surrogatepass")


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(body=bodies())
def test_receiver_answers_200_exactly_for_lines_the_tap_accepts(
        receiver: tuple[TestClient, Path], body: bytes) -> None:
    client, archive = receiver
    assert receiver_stores(client, archive, body) == tap_accepts(body)


@pytest.mark.parametrize(("body", "stored"), [
    (b'{"Event": "ORDER_SHIPPED", "OrderID": 41234569.0}', False),
    (b'{"Event": "ORDER_SHIPPED", "OrderID": 4.123457e7}', False),
    (b'{"Event": "ORDER_SHIPPED", "OrderID": "' + b"9" * 5000 + b'"}', False),
    (b'{"Event": "ORDER_SHIPPED", "OrderID": "4123\\ud800"}', False),
    (b'{"Event": "TRACKING_UPDATE", "OrderID": 7, "tracking": "\\ud800"}', False),
    (b'{"Event": "order_sh\xc4\xb1pped", "OrderID": "x"}', True),  # another event: ignored
    (b'{"Event": "ORDER_\xc5\xbfHIPPED", "OrderID": "x"}', True),
    (b'{"Event": "order_shipped", "OrderID": " 41234569 "}', True),
    (b'{"Event": "X", "deep": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", False),
])
def test_issue_cases_agree(receiver: tuple[TestClient, Path], body: bytes, stored: bool) -> None:
    client, archive = receiver
    assert receiver_stores(client, archive, body) is stored
    assert tap_accepts(body) is stored


def test_stored_archive_never_stops_a_sync(receiver: tuple[TestClient, Path]) -> None:
    """Everything the receiver stored above is read by the tap with the strict policy."""
    _, archive = receiver
    scan = scan_archive(str(archive / "*.jsonl"), {}, on_malformed="fail")
    assert scan.skipped == []


def judged_by_receiver_parser(line: bytes) -> tuple[str, object]:
    try:
        delivery = archive_format.parse_delivery(line)
    except archive_format.DeliveryRejected as exc:
        return "rejected", (exc.reason, exc.field)
    if delivery.order_id is None:
        return "ignored", None
    return "order", (delivery.order_id, delivery.tracking, delivery.carrier_name)


def judged_by_scan_path(line: bytes) -> tuple[str, object]:
    try:
        fields = archive_format.order_fields(line)
    except archive_format.DeliveryRejected as exc:
        return "rejected", (exc.reason, exc.field)
    return ("ignored", None) if fields is None else ("order", fields)


@settings(max_examples=500, deadline=None)
@given(body=bodies())
def test_scan_path_judges_every_line_as_the_receiver_parser(body: bytes) -> None:
    """The tap's lean scan path (``order_fields``, no ``Delivery`` built) accepts, ignores and
    rejects exactly the lines ``parse_delivery`` does, with the same reason and fields."""
    line = archive_format.frame(body)
    assert judged_by_scan_path(line) == judged_by_receiver_parser(line)
