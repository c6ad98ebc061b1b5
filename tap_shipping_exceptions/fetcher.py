"""One shipment's API work: GetOrder (when due) then GetTracking.

``fetch_steps`` is that work as steps (a generator yielding waits and request bodies, see
``ShippyProClient.call_steps``), run many at a time on one thread by ``fetch_loop`` (or on the
calling thread by ``ShippyProClient.run_steps``). It never raises for one shipment's failure: any
exception (an API error, a hostile value, JSON nested too deeply to re-encode) is returned with
whatever was fetched, so it costs that shipment only. ``AuthenticationError`` alone escapes, as
it must stop the whole sync. Payloads are made encodable here: a lone surrogate in a text (valid
JSON, not valid UTF-8) is replaced by U+FFFD, so nothing downstream fails to write it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec

from tap_shipping_exceptions.client import Steps, subject_for
from tap_shipping_exceptions.errors import AuthenticationError, ResponseFormatError
from tap_shipping_exceptions.records import TrackingEvent, as_int, as_unix_seconds, parse_events

WINDOW_PER_WORKER = 8  # shipments taken ahead per connection (results wait to go out in order)


@dataclass(slots=True)
class FetchJob:
    order_id: int
    order: dict[str, Any] | None  # cached Order from state; None → GetOrder is due
    refetch_order: bool = False


@dataclass(slots=True)
class FetchResult:
    job: FetchJob
    order: dict[str, Any] | None = None
    tracking: dict[str, Any] | None = None
    events: list[TrackingEvent] = field(default_factory=list)
    error: Exception | None = None
    before_start: bool = False
    order_fetched: bool = False


def fetch_steps(client: Any, job: FetchJob, *,
                start_date: int | None = None) -> Steps[FetchResult]:
    """All API work for one shipment, as steps (see ``ShippyProClient.call_steps``), so the
    event loop in ``fetch_loop`` can run many shipments on one thread. Only
    ``AuthenticationError`` escapes."""
    result = FetchResult(job, order=job.order)
    subject = subject_for(job.order_id)
    try:
        if result.order is None or job.refetch_order:
            order = yield from _answer(client, "get_order", job.order_id)
            result.order = encodable(order, "GetOrder", subject)
            result.order_fetched = True
        order = result.order
        returned_id = as_int(order.get("OrderID"), "Order.OrderID",
                             f"ShippyPro GetOrder ({subject})", method="GetOrder",
                             subject=subject)
        if returned_id != job.order_id:
            raise ResponseFormatError(
                f"ShippyPro GetOrder ({subject}): field 'Order.OrderID' is {returned_id}, "
                f"expected the requested {job.order_id}", field="Order.OrderID",
                method="GetOrder", subject=subject)
        created = as_unix_seconds(order.get("Date"), "Order.Date",
                                  f"ShippyPro GetOrder ({subject})", method="GetOrder",
                                  subject=subject)
        if start_date is not None and created < start_date:
            result.before_start = True
            return result
        tracking_number = order.get("TrackingNumber") or ""
        if tracking_number:
            tracking = yield from _answer(client, "get_tracking", tracking_number,
                                          order.get("CarrierName"), order_id=job.order_id)
            result.tracking = encodable(tracking, "GetTracking", subject)
            result.events = parse_events(result.tracking["Events"],
                                         shipment_id=str(job.order_id),
                                         subject=subject_for(job.order_id, tracking_number))
    except AuthenticationError:
        raise
    except Exception as exc:  # one hostile shipment must never stop the sync
        result.error = exc
    return result


def _answer(client: Any, method: str, *args: Any, **kwargs: Any) -> Steps[Any]:
    """``client.<method>`` as steps; a stand-in without ``<method>_steps`` answers at once."""
    steps = getattr(client, f"{method}_steps", None)
    if steps is None:
        return getattr(client, method)(*args, **kwargs)
    return (yield from steps(*args, **kwargs))


_encode = msgspec.json.Encoder().encode


def encodable(payload: Any, method: str, subject: str) -> Any:
    """``payload`` if it can be written as JSON; lone surrogates replaced; else raise naming why.
    """
    try:
        _encode(payload)
        return payload
    except UnicodeEncodeError:
        return _without_surrogates(payload)
    except RecursionError:
        raise ResponseFormatError(
            f"ShippyPro {method} ({subject}): response nested too deeply to store",
            field="(body)", method=method, subject=subject) from None


def _without_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, dict):
        return {_without_surrogates(k): _without_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_surrogates(v) for v in value]
    return value
