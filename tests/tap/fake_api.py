"""A ShippyPro double for tap-level unit tests, served by the scripted loopback server.

Serves GetCarriers/GetOrder/GetTracking from dicts, records every call, and can make chosen
shipments fail (HTTP 500 forever) to exercise skip-and-retry-next-run behaviour, or answer every
call with one status (``status_override``).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from .loopback import Recorded, Reply, ScriptedServer, reply


class FakeShippyPro:
    def __init__(self) -> None:
        self.carriers: dict[str, list[dict[str, Any]]] = {
            "BRT": [{"CarrierID": 1, "CarrierService": "Express", "Label": "BRT Express"}],
            "GLS": [{"CarrierID": 2, "CarrierService": "Standard", "Label": "GLS"}],
        }
        self.orders: dict[int, dict[str, Any]] = {}
        self.tracking: dict[str, list[dict[str, Any]]] = {}
        self.failing: set[int] = set()  # OrderIDs whose calls always answer HTTP 500
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.status_override: int | None = None
        self.url = ""

    def add(self, order: dict[str, Any], events: list[dict[str, Any]]) -> None:
        self.orders[order["OrderID"]] = order
        self.tracking[order["TrackingNumber"]] = events

    def counts(self) -> Counter[str]:
        return Counter(method for method, _ in self.calls)

    def install(self, server: ScriptedServer) -> None:
        self.url = server.url
        server.callback = self._reply

    def _reply(self, request: Recorded) -> Reply:
        if self.status_override is not None:
            return reply(self.status_override)
        status, _headers, body = self._answer(request)
        return reply(status, body=body)

    def _answer(self, request: Recorded) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body)
        method, params = body["Method"], body["Params"]
        self.calls.append((method, params))
        if method == "GetCarriers":
            return 200, {}, json.dumps({"Result": "OK", "Carriers": self.carriers})
        if method == "GetOrder":
            order_id = params["OrderID"]
            if order_id in self.failing:
                return 500, {}, "boom"
            if order_id not in self.orders:
                return 200, {}, json.dumps({"Result": "Error", "Error": "Order not found"})
            return 200, {}, json.dumps({"Result": "OK", "Order": self.orders[order_id]})
        if method == "GetTracking":
            code = params["Code"]
            owner = next((o for o in self.orders.values() if o["TrackingNumber"] == code), None)
            if owner is not None and owner["OrderID"] in self.failing:
                return 500, {}, "boom"
            events = self.tracking.get(code)
            if events is None:
                return 200, {}, json.dumps({"Result": "Error", "Error": "Unknown tracking"})
            return 200, {}, json.dumps({"Result": "OK", "TrackingNumber": code,
                                        "TrackingCarrier": owner["CarrierName"] if owner else "",
                                        "Status": events[-1]["code"] if events else 1,
                                        "est_delivery_date": 0, "Events": events})
        return 200, {}, json.dumps({"Result": "Error", "Error": f"unknown method {method}"})
