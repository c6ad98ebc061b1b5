"""Test helpers: a fake clock whose sleep advances time instantly, and API payload builders."""

from __future__ import annotations

from typing import Any

SECRET_KEY = "sk-live-SECRET-4f9c2a"


class FakeTime:
    """``sleep`` records the requested delay and advances ``clock``; nothing really waits."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def order(order_id: int, *, carrier: str = "BRT", tracking: str | None = None,
          date: int = 1_772_000_000, shipped: int = 0, est: int = 0, is_return: int = 0,
          **extra: Any) -> dict[str, Any]:
    return {
        "OrderID": order_id, "TransactionID": f"WEB-{order_id}", "MarketplaceID": "1",
        "MarketplacePlatform": "Shopify", "CarrierName": carrier, "CarrierService": "Express",
        "CarrierID": 7, "TrackingNumber": tracking if tracking is not None else f"TRK{order_id}",
        "TrackingExternalLink": "", "Date": date, "ShippedDate": shipped, "IsReturn": is_return,
        "from_address": {"country": "it", "city": "Milano"},
        "to_address": {"country": "DE", "city": "Berlin"},
        "parcels": [{"weight": 10.5, "length": 20}], "Status": 2, "EstDeliveryDate": est,
        **extra,
    }


def event(date: int, code: int, message: str, city: str = "Milano",
          carrier_code: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"date": date, "code": code, "message": message, "city": city}
    if carrier_code is not None:
        out["carrier_code"] = carrier_code
    return out
