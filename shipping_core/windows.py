"""Card window bounds: whole calendar days in a time zone, returned as UTC instants.

The window is the N whole days in zone ``Z`` that end at the start of ``as_of``'s day in ``Z``;
the prior window is the N days before it. Bounds are computed with ``zoneinfo`` so a window over
a clock change is not ``N * 24`` hours. All returned datetimes are timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True)
class Window:
    """A half-open interval ``[start, end)`` of UTC instants, with the local days it covers."""

    start: datetime
    end: datetime
    first_day: date
    last_day: date
    timezone: str

    def as_payload(self) -> dict[str, str]:
        return {"start": iso_utc(self.start), "end": iso_utc(self.end)}


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` suffix."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def zone(name: str) -> ZoneInfo:
    """Return the zone called ``name`` or raise ``ValueError`` naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"timezone: unknown time zone {name!r} (expected an IANA name such as "
                         f"'UTC' or 'Europe/Rome')") from exc


def parse_instant(text: str, name: str = "as_of", *, naive_is_utc: bool = False) -> datetime:
    """Parse an ISO 8601 instant to UTC; a naive value is rejected rather than guessed, unless
    ``naive_is_utc`` (warehouse values, which the data contract keeps in UTC).

    ``name`` is the setting, option or column the text came from, for the error message. The
    one ISO 8601 parser of the project: every package parses instants through it.
    """
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"{name}: {text!r} is not an ISO 8601 instant "
                         "(expected e.g. 2026-03-12T08:00:00Z)") from exc
    if moment.tzinfo is None:
        if naive_is_utc:
            return moment.replace(tzinfo=UTC)
        raise ValueError(f"{name}: {text!r} has no UTC offset (expected e.g. 2026-03-12T08:00:00Z)")
    return moment.astimezone(UTC)


def day_start_utc(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant at which local ``day`` begins in ``tz``."""
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def window_ending_before(as_of: datetime, timezone: str = "UTC", days: int = 30) -> Window:
    """The ``days`` whole local days that end at the start of ``as_of``'s local day."""
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    if days < 1:
        raise ValueError(f"window days must be >= 1, got {days}")
    tz = zone(timezone)
    today = as_of.astimezone(tz).date()
    first = today - timedelta(days=days)
    last = today - timedelta(days=1)
    return Window(day_start_utc(first, tz), day_start_utc(today, tz), first, last, timezone)


def prior_window(window: Window, days: int = 30) -> Window:
    """The ``days`` local days immediately before ``window``."""
    tz = zone(window.timezone)
    first = window.first_day - timedelta(days=days)
    last = window.first_day - timedelta(days=1)
    return Window(day_start_utc(first, tz), day_start_utc(window.first_day, tz), first, last,
                  window.timezone)


def local_days(window: Window) -> list[date]:
    """Every local day of ``window`` in order."""
    count = (window.last_day - window.first_day).days + 1
    return [window.first_day + timedelta(days=i) for i in range(count)]
