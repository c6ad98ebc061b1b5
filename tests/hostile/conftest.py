"""Fixtures for the hostile-input suite: a loopback ShippyPro double that serves raw bytes.

Hostile payloads (``1e999``, lone-surrogate escapes, JSON nested 100k deep) cannot be produced
through ``json.dumps``, so ``RawShippyPro`` answers GetOrder/GetTracking with the exact bytes a
test gives it, over real HTTP on 127.0.0.1 (port 0), whatever transport the client uses.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.tap.run_tap import TapOutput, run_tap

__all__ = ["TapOutput", "run_tap"]

API_KEY = "hostile-test-key-7d1e"
CREATED = (int(time.time()) // 86_400 - 3) * 86_400  # recent: inside the active window


def order_json(order_id: int, *, date: Any = CREATED, tracking: str | None = None,
               carrier: str = "BRT", **extra: Any) -> bytes:
    order = {"OrderID": order_id, "TransactionID": f"WEB-{order_id}", "CarrierName": carrier,
             "CarrierService": "Express", "TrackingNumber": tracking or f"TRK{order_id}",
             "Date": date, "ShippedDate": 0, "IsReturn": 0, "EstDeliveryDate": 0,
             "from_address": {"country": "IT"}, "to_address": {"country": "DE"}, **extra}
    return json.dumps(order).encode()


def events_json(*events: dict[str, Any]) -> bytes:
    return json.dumps(list(events) or [
        {"date": CREATED + 10_000, "code": 2, "message": "In transito", "city": "Milano"},
        {"date": CREATED + 90_000, "code": 6, "message": "Consegnata", "city": "Berlin"}]).encode()


class RawShippyPro:
    """``orders[id]`` / ``events[tracking]`` hold raw JSON bytes spliced into the answer."""

    def __init__(self) -> None:
        self.orders: dict[int, bytes] = {}
        self.events: dict[str, bytes] = {}
        self.calls: list[tuple[str, Any]] = []
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def add(self, order_id: int, order: bytes | None = None, events: bytes | None = None,
            tracking: str | None = None) -> None:
        tracking = tracking or f"TRK{order_id}"
        self.orders[order_id] = order if order is not None else order_json(order_id,
                                                                            tracking=tracking)
        self.events[tracking] = events if events is not None else events_json()

    def answer(self, method: str, params: dict[str, Any]) -> bytes:
        if method == "GetCarriers":
            return b'{"Result":"OK","Carriers":{"BRT":[{"CarrierService":"Express"}]}}'
        if method == "GetOrder" and params.get("OrderID") in self.orders:
            return b'{"Result":"OK","Order":' + self.orders[params["OrderID"]] + b"}"
        if method == "GetTracking" and params.get("Code") in self.events:
            return (b'{"Result":"OK","TrackingNumber":' + json.dumps(params["Code"]).encode()
                    + b',"Status":6,"Events":' + self.events[params["Code"]] + b"}")
        return b'{"Result":"Error","Error":"not found"}'

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = json.loads(self.rfile.read(length))
                api.calls.append((request["Method"], request.get("Params")))
                body = api.answer(request["Method"], request.get("Params") or {})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return None

        return Handler

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def raw_api() -> Iterator[RawShippyPro]:
    api = RawShippyPro()
    yield api
    api.close()


@pytest.fixture
def tap_config(raw_api: RawShippyPro) -> dict[str, Any]:
    return {"api_key": API_KEY, "api_url": raw_api.url, "max_retries": 0,
            "request_timeout": 10}
