"""Read the sandbox's call statistics (``GET /_sandbox/stats``) in one shape.

The stats body carries calls per method, per id and the number of 429 answers; these helpers
turn it into totals and per-shipment counts (GetOrder is keyed by OrderID, GetTracking by
tracking number, mapped back to the OrderID through the world).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

SHIPMENT_METHODS = ("GetOrder", "GetTracking")


@dataclass(frozen=True)
class CallStats:
    by_method: dict[str, int]
    per_shipment: Counter[str]   # OrderID (text) -> GetOrder + GetTracking calls
    throttled: int               # 429 answers

    @property
    def total(self) -> int:
        return sum(self.by_method.values())

    @property
    def shipment_calls(self) -> int:
        return sum(self.by_method.get(m, 0) for m in SHIPMENT_METHODS)


def parse_stats(body: dict[str, Any], tracking_to_order: dict[str, int]) -> CallStats:
    """``GET /_sandbox/stats`` -> ``CallStats`` (calls answered 429 are counted as calls too)."""
    try:
        by_method = {str(k): int(v) for k, v in body["by_method"].items()}
        per_order = body["by_order_id"]
        per_code = body["by_code"]
        throttled = int(body["status_429"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"sandbox stats: expected by_method, by_order_id, by_code and "
                         f"status_429, got {sorted(body) if isinstance(body, dict) else body!r}"
                         ) from exc
    per_shipment: Counter[str] = Counter()
    for ident, n in per_order.items():
        per_shipment[str(ident)] += int(n)
    for code, n in per_code.items():
        order = tracking_to_order.get(str(code))
        per_shipment[str(order) if order is not None else f"tracking:{code}"] += int(n)
    return CallStats(by_method, per_shipment, throttled)
