"""The webhook archive format: file names, line framing and what a delivery must be.

One home for the contract between the receiver (``webhooks/``), which writes the archive, and
the tap (``discovery.py``), which reads it. Both call ``parse_delivery`` on the same bytes, so
a body the receiver answers 200 is exactly a line the tap accepts, and the reverse (a
property-based test checks it).

* **Files**: ``deliveries-YYYYMMDD-NNNN.jsonl`` (UTC day, 4-digit sequence); a plain sort is
  arrival order.
* **Framing**: one delivery per line. A body is stored as sent, with surrounding whitespace
  removed and every CR/LF byte replaced by a space (valid JSON holds CR/LF only as whitespace
  between tokens, so the line parses to the same value and a one-line body is kept byte for
  byte). Only complete (newline-terminated) lines are read.
* **Deliveries**: UTF-8 JSON (RFC 8259: no NaN/Infinity, no lone surrogates, numbers within
  float range, nesting at most ``MAX_DEPTH``) holding an object with a non-empty string
  ``Event``. ``ORDER_SHIPPED`` and ``TRACKING_UPDATE`` (ASCII letters in any case) must carry the
  ShippyPro ``OrderID``: an integer 1..2**63-1, or that integer as a string of ASCII digits.
  Other events are archived and ignored by the tap.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

# -- file naming ------------------------------------------------------------------------------

PREFIX = "deliveries-"
SUFFIX = ".jsonl"
MAX_SEQUENCE = 9999
_NAME = re.compile(r"^deliveries-(\d{8})-(\d{4})\.jsonl$")


@dataclass(frozen=True, order=True)
class ArchiveName:
    day: str  # YYYYMMDD, UTC
    sequence: int

    @property
    def filename(self) -> str:
        return f"{PREFIX}{self.day}-{self.sequence:04d}{SUFFIX}"


def parse_name(filename: str) -> ArchiveName | None:
    match = _NAME.match(filename)
    if match is None:
        return None
    return ArchiveName(match.group(1), int(match.group(2)))


def receiver_files(directory: Path) -> list[tuple[ArchiveName, Path]]:
    """The receiver's files in ``directory``, oldest first (other files are ignored)."""
    found = []
    for entry in directory.iterdir():
        name = parse_name(entry.name)
        if name is not None and entry.is_file():
            found.append((name, entry))
    return sorted(found)


# -- line framing -----------------------------------------------------------------------------

_LINE_BREAKS = bytes.maketrans(b"\r\n", b"  ")
_BLANK = b" \t\r\n"


def frame(body: bytes) -> bytes:
    """The archive line (without its newline) that stores ``body``."""
    return body.strip(_BLANK).translate(_LINE_BREAKS)


def is_blank(line: bytes) -> bool:
    return not line.strip(_BLANK)


def complete_length(path: Path, chunk: int = 64 * 1024) -> int:
    """Byte length of the prefix of ``path`` that ends with its last newline."""
    with path.open("rb") as handle:
        position = handle.seek(0, os.SEEK_END)
        while position > 0:
            start = max(0, position - chunk)
            handle.seek(start)
            data = handle.read(position - start)
            newline = data.rfind(b"\n")
            if newline >= 0:
                return start + newline + 1
            position = start
        return 0


def read_complete_lines(path: Path, offset: int = 0) -> tuple[list[bytes], int]:
    """Complete lines of ``path`` from ``offset`` and the offset after the last one (an
    unterminated tail is left for a later read)."""
    with path.open("rb") as handle:
        handle.seek(offset)
        data = handle.read()
    end = data.rfind(b"\n")
    if end < 0:
        return [], offset
    return data[: end + 1].splitlines(), offset + end + 1


# -- deliveries -------------------------------------------------------------------------------

ORDER_EVENTS = {"ORDER_SHIPPED": ("TrackingNumber", "CarrierName"),
                "TRACKING_UPDATE": ("tracking", "TrackingCarrier")}
MAX_ORDER_ID = 2**63 - 1
MAX_DEPTH = 64
_DIGITS = re.compile(r"[ \t]*([0-9]{1,19})[ \t]*")
_decode = msgspec.json.Decoder().decode
_JSON_TYPES = {list: "array", str: "string", int: "number", float: "number", bool: "boolean",
               type(None): "null"}


class DeliveryRejected(ValueError):
    """Not a delivery the archive holds; the message says what was expected (and the field)."""

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


@dataclass(slots=True)
class Delivery:
    """A parsed delivery: its body and what it says about a shipment (order events only)."""

    body: dict[str, Any]
    event: str
    order_id: int | None = None  # set for ORDER_SHIPPED / TRACKING_UPDATE
    tracking: str | None = None
    carrier_name: str | None = None

    @property
    def concerns_shipment(self) -> bool:
        return self.order_id is not None

    def log_context(self) -> str:
        """Event, order, tracking and carrier for log lines (no addresses, no secrets)."""
        return (f"event={self.event} order={self.order_id} tracking={self.tracking} "
                f"carrier={self.carrier_name}")


def order_event(event: str) -> tuple[str, str] | None:
    """The (tracking, carrier) field names of an order event, None for other events.

    Only ASCII letters fold, so ``"order_sh\u0131pped"`` (dotless i) is another event, for the
    receiver and the tap alike."""
    return ORDER_EVENTS.get(event.upper()) if event.isascii() else None


def parse_order_id(value: Any) -> int:
    """The OrderID rule; raises ``DeliveryRejected`` naming the field."""
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        match = _DIGITS.fullmatch(value)
        number = int(match.group(1)) if match else None
    if number is None or not 1 <= number <= MAX_ORDER_ID:
        shown = _show(value)
        raise DeliveryRejected(f"field 'OrderID': expected the ShippyPro OrderID, an integer "
                               f"1..{MAX_ORDER_ID} or a string of those digits, got {shown}",
                               "OrderID")
    return number


def parse_delivery(data: bytes) -> Delivery:
    """Parse one body / archive line; raise ``DeliveryRejected`` with the reason."""
    body = _body(data)
    return Delivery(body, *_judge(body))


def order_fields(data: bytes) -> tuple[int, str | None, str | None] | None:
    """What one archive line says about a shipment: ``(OrderID, tracking, carrier)`` for an
    order event, None for another event. The tap's scan path: the same decoding and rules as
    ``parse_delivery`` (accepts and rejects exactly the same lines, with the same reasons)
    without building a ``Delivery``."""
    _event, order_id, tracking, carrier = _judge(_body(data))
    return None if order_id is None else (order_id, tracking, carrier)


def _body(data: bytes) -> dict[str, Any]:
    """The decoded delivery object; raises ``DeliveryRejected`` for anything else."""
    try:
        body = _decode(data)
    except msgspec.DecodeError as exc:
        if is_blank(data):
            raise DeliveryRejected('empty body: expected a JSON object with an "Event" '
                                   'field') from None
        reason = str(exc)
        if "UTF-8" in reason:
            raise DeliveryRejected("body is not UTF-8 text: expected JSON") from None
        raise DeliveryRejected(f"body is not valid JSON ({reason}); expected one webhook "
                               "delivery (a JSON object)") from None
    except RecursionError:
        raise DeliveryRejected(f"body is JSON nested too deeply; expected a webhook delivery "
                               f"(at most {MAX_DEPTH} levels)") from None
    if type(body) is not dict:
        raise DeliveryRejected(f"body is a JSON {_JSON_TYPES.get(type(body), 'value')}, "
                               'expected an object with an "Event" field')
    if data.count(b"{") + data.count(b"[") > MAX_DEPTH and _depth_exceeds(body, MAX_DEPTH):
        raise DeliveryRejected(f"body is JSON nested too deeply; expected a webhook delivery "
                               f"(at most {MAX_DEPTH} levels)")
    return body


def _judge(body: dict[str, Any]) -> tuple[str, int | None, str | None, str | None]:
    """``(Event, OrderID, tracking, carrier)`` of a decoded delivery (the last three None for
    events other than order events); raises ``DeliveryRejected`` naming the field."""
    event = body.get("Event")
    if event is None:
        raise DeliveryRejected('field "Event" missing: expected e.g. "TRACKING_UPDATE"', "Event")
    if not isinstance(event, str) or not event.strip():
        raise DeliveryRejected(f'field "Event" must be a non-empty string, got {_show(event)}',
                               "Event")
    fields = order_event(event)
    if fields is None:
        return event, None, None, None
    if "OrderID" not in body:
        raise DeliveryRejected(f"{event} delivery has no 'OrderID' field (expected the "
                               "ShippyPro OrderID)", "OrderID")
    order_id = parse_order_id(body["OrderID"])
    return event, order_id, _text(body.get(fields[0])), _text(body.get(fields[1]))


def _depth_exceeds(value: Any, limit: int) -> bool:
    """True when containers nest deeper than ``limit`` (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children
                     if isinstance(child, dict | list))
    return False


def _text(value: Any) -> str | None:
    """A tracking number / carrier name: strings and integers, stripped; else None."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _show(value: Any, limit: int = 60) -> str:
    text = msgspec.json.encode(value).decode()
    return text if len(text) <= limit else text[:limit] + "…"
