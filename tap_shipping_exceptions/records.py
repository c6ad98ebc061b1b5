"""Build the tap's Singer records (data-contract.md) from ShippyPro payloads.

Pure functions plus one ``RecordBuilder`` holding the classifier and carrier aliases; no I/O.
Timestamps come in as Unix seconds and go out as ISO 8601 UTC strings with a ``Z`` suffix.
``event_id`` is a SHA-1 over the event's identity (shipment, instant, code, native code,
normalised message and city), so the same carrier event seen twice — repeated in a response,
re-polled, or delivered twice by a webhook — always gets the same id.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from dataclasses import dataclass
from typing import Any, Protocol

import msgspec

from tap_shipping_exceptions.errors import ResponseFormatError
from tap_shipping_exceptions.promises import read_promise

_INTEGER = re.compile(r"[ \t]*(-?[0-9]{1,19})[ \t]*")  # ASCII digits only: not "²", not "--5"
NO_EVENT_STATUS = "info_received"
RECORD_HASH_CHARS = 16
# Unix seconds of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the range ISO 8601 can write.
MIN_UNIX_SECONDS = -62_135_596_800
MAX_UNIX_SECONDS = 253_402_300_799
_SORTED_JSON = msgspec.json.Encoder(order="sorted", enc_hook=str)
DAY_SECONDS = 86_400
DATES_KEPT = 4_096  # "YYYY-MM-DDT" per day number, cleared when full (never unbounded)
_DATES: dict[int, str] = {}
_TWO_DIGITS = tuple(f"{n:02d}" for n in range(60))
_HOURS_MINUTES = tuple(f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60))
IDENTITY_TEXTS_KEPT = 16_384  # event texts' two forms remembered (cleared when full)
IDENTITY_TEXT_MAX_CHARS = 200  # longer texts are normalised every time, never kept
_IDENTITY_TEXTS: dict[str, tuple[str | None, str]] = {}


class ClassificationLike(Protocol):
    milestone: str
    exception_category: str | None
    exception_reason: str | None
    exception_class: str | None
    classified_by: str
    taxonomy_version: str


class ClassifierLike(Protocol):
    taxonomy_version: str

    def classify(self, carrier_key: str, shippypro_code: int, message: str | None,
                 carrier_code: str | None = None) -> ClassificationLike: ...


def iso_utc(unix_seconds: int) -> str:
    """Unix seconds → ``2026-03-01T10:00:00Z``; ``ValueError`` outside years 1-9999.

    The date part is worked out once per day (``time.gmtime``, kept in a bounded table) and the
    time of day read from a table of ``HH:MM:`` strings: about a fifth of formatting all six
    fields per call, which matters at two or three timestamps per record.
    """
    if not MIN_UNIX_SECONDS <= unix_seconds <= MAX_UNIX_SECONDS:
        raise ValueError(f"Unix time {unix_seconds!r} is outside the years 1-9999")
    day, second_of_day = divmod(unix_seconds, DAY_SECONDS)
    date = _DATES.get(day)
    if date is None:
        if len(_DATES) >= DATES_KEPT:
            _DATES.clear()
        t = time.gmtime(day * DAY_SECONDS)
        date = _DATES[day] = f"{t[0]:04d}-{t[1]:02d}-{t[2]:02d}T"
    minute, second = divmod(second_of_day, 60)
    return date + _HOURS_MINUTES[minute] + _TWO_DIGITS[second] + "Z"


def now_iso() -> str:
    """The current instant as an ISO 8601 UTC string (microseconds kept for ordering)."""
    micros = time.time_ns() // 1000
    seconds, fraction = divmod(micros, 1_000_000)
    return f"{iso_utc(seconds)[:-1]}.{fraction:06d}Z"


def as_int(value: Any, field: str, where: str, *, method: str | None = None,
           subject: str = "") -> int:
    """An integer from an int or a string of digits; else ``ResponseFormatError`` naming field."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = _INTEGER.fullmatch(value) if isinstance(value, str) else None
    if match is not None:
        return int(match.group(1))
    raise ResponseFormatError(
        f"{where}: field '{field}' expected an integer (Unix seconds / code), got "
        f"{_shown(value)}", field=field, method=method, subject=subject)


def as_unix_seconds(value: Any, field: str, where: str, *, method: str | None = None,
                    subject: str = "") -> int:
    """``as_int`` for an instant: Unix seconds within 1970..9999 (what ``iso_utc`` can write)."""
    seconds = as_int(value, field, where, method=method, subject=subject)
    if not 0 <= seconds <= MAX_UNIX_SECONDS:
        raise ResponseFormatError(
            f"{where}: field '{field}' expected Unix seconds between 0 and "
            f"{MAX_UNIX_SECONDS} (years 1970..9999), got {_shown(seconds)}",
            field=field, method=method, subject=subject)
    return seconds


def _shown(value: Any, limit: int = 80) -> str:
    """``repr`` cut to ``limit`` characters (a hostile value may be megabytes long)."""
    text = repr(value) if not isinstance(value, int) or abs(value) < 10**40 else (
        f"an integer of {len(str(abs(value)))} digits")
    return text if len(text) <= limit else text[:limit] + "…"


def normalise_code(code: int) -> int:
    """ShippyPro's newer 1000..6000 statuses mean the same as 1..6."""
    return code // 1000 if code >= 1000 else code


def identity_text(text: str | None) -> str:
    """Collapse whitespace and case so cosmetic differences don't change an event's identity.

    Deliberately not the classifier's ``shipping_core.text.normalise_text`` (which also strips
    accents and folds quotes): every ``event_id`` already loaded was hashed from this form, so
    changing it would load each of those events a second time under a new id.

    ``str.split()`` splits on exactly the characters regex ``\\s`` matches (``str.isspace``), so
    this equals ``re.sub(r"\\s+", " ", text).strip().casefold()`` at a third of the cost.
    """
    return " ".join(text.split()).casefold() if text else ""


def _text_forms(value: Any) -> tuple[str | None, str]:
    """(``_optional_text(value)``, ``identity_text`` of it) for an event's text field,
    remembered for short strings: carriers repeat the same few hundred messages and cities
    across every shipment. Bounded (cleared when full); long texts are never kept."""
    if value.__class__ is str:
        found = _IDENTITY_TEXTS.get(value)
        if found is not None:
            return found
    text = _optional_text(value)
    found = (text, identity_text(text))
    if value.__class__ is str and len(value) <= IDENTITY_TEXT_MAX_CHARS:
        if len(_IDENTITY_TEXTS) >= IDENTITY_TEXTS_KEPT:
            _IDENTITY_TEXTS.clear()
        _IDENTITY_TEXTS[value] = found
    return found


def make_event_id(shipment_id: str, occurred: int, code: int, carrier_code: str | None,
                  message: str | None, city: str | None) -> str:
    return _event_id(shipment_id, occurred, code, carrier_code or "", _text_forms(message)[1],
                     _text_forms(city)[1])


def _event_id(shipment_id: str, occurred: int, code: int, carrier_code: str,
              message_identity: str, city_identity: str) -> str:
    """The one definition of an event's id (``identity_text`` forms of message and city)."""
    key = "\x1f".join((shipment_id, str(occurred), str(code), carrier_code, message_identity,
                       city_identity))
    return hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()


def record_hash(record: dict[str, Any]) -> str:
    """Short stable digest of a record, to skip re-emitting an unchanged shipment.

    The digest is over ``json.dumps(record, sort_keys=True, separators=(",", ":"))``, as stored
    in existing state. msgspec writes the same bytes for ASCII-only records (floats in exponent
    form aside) at a quarter of the cost, so it is used for them; anything else (non-ASCII
    text, which ``json`` escapes, or a value msgspec refuses) goes through ``json.dumps``.
    """
    try:
        data = _SORTED_JSON.encode(record)
    except (TypeError, ValueError, OverflowError, UnicodeError):
        data = b""
    if not data or not data.isascii():
        data = json.dumps(record, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hashlib.sha1(data).hexdigest()[:RECORD_HASH_CHARS]


def _optional_text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if text.strip() else None


@dataclass(slots=True)
class TrackingEvent:
    """One distinct carrier event of a shipment, parsed and identified."""

    event_id: str
    occurred: int
    code: int
    message: str | None
    city: str | None
    carrier_code: str | None
    raw: dict[str, Any]


def _required(raw: dict[str, Any], field: str, index: int, where: str, subject: str) -> Any:
    value = raw.get(field)
    if value is None:
        raise ResponseFormatError(
            f"{where}: required field 'Events[{index}].{field}' is missing",
            field=f"Events[{index}].{field}", method="GetTracking", subject=subject)
    return value


def _event_instant(raw: dict[str, Any], index: int, where: str, subject: str) -> int:
    value = _required(raw, "date", index, where, subject)
    _required(raw, "code", index, where, subject)  # both missing: 'date' is named, as before
    return as_unix_seconds(value, f"Events[{index}].date", where, method="GetTracking",
                           subject=subject)


def _event_code(raw: dict[str, Any], index: int, where: str, subject: str) -> int:
    value = _required(raw, "code", index, where, subject)
    return as_int(value, f"Events[{index}].code", where, method="GetTracking", subject=subject)


def parse_events(events: list[Any], *, shipment_id: str, subject: str) -> list[TrackingEvent]:
    """Validate ``GetTracking.Events`` and return distinct events in time order.

    Repeats (same ``event_id``) are dropped, keeping the first. Raises ``ResponseFormatError``
    naming ``Events[i].<field>`` for a malformed event.
    """
    where = f"ShippyPro GetTracking ({subject})"
    seen: set[str] = set()
    parsed: list[TrackingEvent] = []
    last = -1  # latest instant so far: events usually come in time order, and need no sort
    in_order = True
    for index, raw in enumerate(events):
        if raw.__class__ is not dict:
            raw = _event_object(raw, index, where, subject)
        occurred, code = raw.get("date"), raw.get("code")
        # the usual case (plain ints in range) is read directly; anything else is checked and
        # explained by as_unix_seconds / as_int, with the field's path in the message
        if occurred.__class__ is not int or not 0 <= occurred <= MAX_UNIX_SECONDS:
            occurred = _event_instant(raw, index, where, subject)
        if code.__class__ is not int:
            code = _event_code(raw, index, where, subject)
        if code >= 1000:
            code = normalise_code(code)
        message, message_identity = _text_forms(raw.get("message"))
        city, city_identity = _text_forms(raw.get("city"))
        carrier_code = _text_forms(raw.get("carrier_code"))[0]
        event_id = _event_id(shipment_id, occurred, code, carrier_code or "", message_identity,
                             city_identity)
        if event_id not in seen:
            seen.add(event_id)
            parsed.append(TrackingEvent(event_id, occurred, code, message, city, carrier_code,
                                        raw))
            if occurred < last:
                in_order = False
            last = max(last, occurred)
    if not in_order:  # stable: equal instants keep the order they came in
        parsed.sort(key=_instant)
    return parsed


def _instant(event: TrackingEvent) -> int:
    return event.occurred


def _event_object(raw: Any, index: int, where: str, subject: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ResponseFormatError(
            f"{where}: field 'Events[{index}]' expected an object, got {type(raw).__name__}",
            field=f"Events[{index}]", method="GetTracking", subject=subject)
    return raw


def _country(address: Any) -> str | None:
    if isinstance(address, dict):
        country = _optional_text(address.get("country"))
        return country.strip().upper() if country else None
    return None


def _positive(value: Any) -> int | None:
    """A positive integer up to ``MAX_UNIX_SECONDS`` from an int, a finite float or a digit string;
    None for anything else (absent, garbage, ``1e999``, ``10**13``)."""
    if isinstance(value, float):
        number = int(value) if math.isfinite(value) else 0
    elif isinstance(value, int):
        number = value
    elif isinstance(value, str):
        match = _INTEGER.fullmatch(value)
        number = int(match.group(1)) if match else 0
    else:
        return None
    return number if 0 < number <= MAX_UNIX_SECONDS else None


class RecordBuilder:
    """Turns one shipment's order + tracking payloads into contract records."""

    def __init__(self, classifier: ClassifierLike, carrier_key: Any,
                 carrier_aliases: dict[str, str] | None = None) -> None:
        self.classifier = classifier
        self._carrier_key_fn = carrier_key
        self._aliases = carrier_aliases or None
        self._keys: dict[str, str] = {}

    def carrier_key(self, name: str) -> str:
        key = self._keys.get(name)
        if key is None:
            key = self._carrier_key_fn(name, self._aliases)
            self._keys[name] = key
        return key

    def classify(self, carrier: str, events: list[TrackingEvent]) -> list[ClassificationLike]:
        return [self.classifier.classify(carrier, e.code, e.message, e.carrier_code)
                for e in events]

    @staticmethod
    def event_record(event: TrackingEvent, classification: ClassificationLike, *,
                     shipment_id: str, tracking_number: str, carrier: str,
                     synced_at: str) -> dict[str, Any]:
        return {
            "event_id": event.event_id,
            "shipment_id": shipment_id,
            "tracking_number": tracking_number,
            "carrier": carrier,
            "occurred_at": iso_utc(event.occurred),
            "shippypro_code": event.code,
            "carrier_code": event.carrier_code,
            "message": event.message,
            "city": event.city,
            "milestone": classification.milestone,
            "exception_category": classification.exception_category,
            "exception_reason": classification.exception_reason,
            "exception_class": classification.exception_class,
            "classified_by": classification.classified_by,
            "taxonomy_version": classification.taxonomy_version,
            "synced_at": synced_at,
            "raw": event.raw,
        }

    def shipment_record(self, order: dict[str, Any], *, shipment_id: str, carrier: str,
                        events: list[TrackingEvent],
                        classifications: list[ClassificationLike], is_terminal: bool,
                        tracking_body: dict[str, Any] | None, subject: str) -> dict[str, Any]:
        where = f"ShippyPro GetOrder ({subject})"
        created = as_unix_seconds(order["Date"], "Order.Date", where, method="GetOrder",
                                  subject=subject)
        shipped_date = _positive(order.get("ShippedDate"))
        first_scan = next((e.occurred for e in events if e.code != 1), None)
        shipped = shipped_date or first_scan
        promise = read_promise(
            [(order.get("EstDeliveryDate"), "Order.EstDeliveryDate"),
             ((tracking_body or {}).get("est_delivery_date"), "GetTracking.est_delivery_date")],
            subject=f"shipment={shipment_id} carrier={carrier}")
        delivered = next((e.occurred for e, c in zip(events, classifications, strict=True)
                          if c.milestone == "delivered"), None)
        status = classifications[-1].milestone if classifications else NO_EVENT_STATUS
        updated = max([created, shipped_date or 0, *(e.occurred for e in events)])
        return {
            "shipment_id": shipment_id,
            "order_ref": _optional_text(order.get("TransactionID")),
            "carrier": carrier,
            "carrier_name": order["CarrierName"],
            "carrier_service": _optional_text(order.get("CarrierService")),
            "tracking_number": order["TrackingNumber"],
            "created_at": iso_utc(created),
            "shipped_at": iso_utc(shipped) if shipped else None,
            "origin_country": _country(order.get("from_address")),
            "destination_country": _country(order.get("to_address")),
            "is_return": bool(_positive(order.get("IsReturn"))),
            "status": status,
            "promised_delivery_at": iso_utc(promise.at) if promise.at else None,
            "promised_delivery_date": promise.day.isoformat() if promise.day else None,
            "delivered_at": iso_utc(delivered) if delivered else None,
            "is_terminal": is_terminal,
            "updated_at": iso_utc(updated),
            "raw": order,
        }
