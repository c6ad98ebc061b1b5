"""Read a delivery promise (``EstDeliveryDate`` / ``est_delivery_date``) as what the source gave.

Carriers and platforms promise a delivery **day**; a few services promise a time ("by 12:00").
The tap records which one the source gave and never invents precision:

* ``0``, ``"0"``, empty or missing → no promise;
* Unix seconds (int or digit string) at exactly 00:00:00 UTC → a day (that UTC date): a date
  sent as a timestamp carries no time of day;
* other Unix seconds → an instant (a time-window promise);
* ``"2026-03-12"`` → a day; an ISO 8601 instant with an offset → an instant, or the written
  day when its time is exactly midnight in its own offset.

Anything else is not a promise: ``read_promise`` logs a warning naming the field and returns no
promise, so the shipment itself still lands (a promise is optional context, not identity).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

log = logging.getLogger(__name__)

DAY_SECONDS = 86400
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DIGITS = re.compile(r"^\d+$")


@dataclass(frozen=True)
class Promise:
    """At most one of ``day`` (a calendar date) and ``at`` (Unix seconds, UTC) is set."""

    day: date | None = None
    at: int | None = None

    @property
    def given(self) -> bool:
        return self.day is not None or self.at is not None


NO_PROMISE = Promise()


class PromiseFormatError(ValueError):
    """A promise value that is neither a date, nor an instant, nor 'none'."""


def parse_promise(value: Any, field: str) -> Promise:
    """The promise in ``value`` (see module doc); ``PromiseFormatError`` names ``field``."""
    if value is None or value is False:
        return NO_PROMISE
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        text = value.strip()
        if text in ("", "0"):
            return NO_PROMISE
        if _DIGITS.match(text):
            value = int(text)
        elif _DATE.match(text):
            try:
                return Promise(day=date.fromisoformat(text))
            except ValueError:
                raise PromiseFormatError(f"field '{field}': {value!r} is not a calendar date"
                                         ) from None
        else:
            return _iso_instant(text, value, field)
    if isinstance(value, int) and not isinstance(value, bool):
        if value == 0:
            return NO_PROMISE
        if value < 0:
            raise PromiseFormatError(f"field '{field}': expected Unix seconds >= 0, got {value}")
        if value % DAY_SECONDS == 0:
            return Promise(day=datetime.fromtimestamp(value, UTC).date())
        return Promise(at=value)
    raise PromiseFormatError(f"field '{field}': expected Unix seconds, an ISO date "
                             f"(2026-03-12) or an ISO instant with offset, got {value!r}")


def _iso_instant(text: str, value: Any, field: str) -> Promise:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise PromiseFormatError(f"field '{field}': expected Unix seconds, an ISO date "
                                 f"(2026-03-12) or an ISO instant with offset "
                                 f"(2026-03-12T12:00:00+01:00), got {value!r}")
    if moment.timetz().replace(tzinfo=None) == time.min:
        return Promise(day=moment.date())
    return Promise(at=int(moment.astimezone(UTC).timestamp()))


def read_promise(sources: list[tuple[Any, str]], *, subject: str) -> Promise:
    """The first promise given among ``(value, field)`` sources, in order.

    A malformed value is logged (naming the field and the shipment) and skipped.
    """
    for value, field in sources:
        try:
            promise = parse_promise(value, field)
        except PromiseFormatError as exc:
            log.warning("stream=shipments %s: %s; no promise recorded from it", subject, exc)
            continue
        if promise.given:
            return promise
    return NO_PROMISE
