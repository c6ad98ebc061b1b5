"""The portal simulator's own window (kept apart from the card engine's on purpose)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from shipping_sandbox.portal import portal_window


def _utc(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def test_thirty_rome_days_across_the_spring_clock_change() -> None:
    # 09:00 CEST on 12 Apr 2026: the window is 13 Mar .. 11 Apr in Rome; the clocks went
    # forward on 29 Mar, so the window is 30 days minus one hour long.
    window = portal_window(datetime(2026, 4, 12, 7, tzinfo=UTC), "Europe/Rome")
    assert (window.first_day, window.last_day) == (date(2026, 3, 13), date(2026, 4, 11))
    assert window.start == _utc("2026-03-12T23:00:00")  # midnight CET
    assert window.cutoff == _utc("2026-04-11T22:00:00")  # midnight CEST
    assert window.cutoff - window.start == 30 * 86400 - 3600


def test_the_local_day_decides_not_the_utc_day() -> None:
    # 23:30 UTC on 11 Mar is already 12 Mar in Rome: the window ends at Rome's 12 Mar midnight
    window = portal_window(datetime(2026, 3, 11, 23, 30, tzinfo=UTC), "Europe/Rome")
    assert window.last_day == date(2026, 3, 11)
    assert window.cutoff == _utc("2026-03-11T23:00:00")
    utc_window = portal_window(datetime(2026, 3, 11, 23, 30, tzinfo=UTC), "UTC")
    assert utc_window.cutoff == _utc("2026-03-11T00:00:00")


def test_unknown_zone_is_named() -> None:
    with pytest.raises(ValueError, match="Mars/Olympus"):
        portal_window(datetime(2026, 3, 12, tzinfo=UTC), "Mars/Olympus")
