"""An in-process ShippyPro double on ``responses`` for tap-level unit tests (no sockets).

Serves GetCarriers/GetOrder/GetTracking from dicts, records every call, and can make chosen
shipments fail (HTTP 500 forever) to exercise skip-and-retry-next-run behaviour.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import responses

from .fakes import API_URL


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

    def add(self, order: dict[str, Any], events: list[dict[str, Any]]) -> None:
        self.orders[order["OrderID"]] = order
        self.tracking[order["TrackingNumber"]] = events

    def counts(self) -> Counter[str]:
        return Counter(method for method, _ in self.calls)

    def install(self, mock: responses.RequestsMock) -> None:
        mock.add_callback(responses.POST, API_URL, callback=self._answer)

    def _answer(self, request: Any) -> tuple[int, dict[str, str], str]:
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
