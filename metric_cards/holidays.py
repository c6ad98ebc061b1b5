"""Italian public holidays and the ferragosto period, for window annotations.

The calendar is data (``calendars/it_holidays.yaml``): fixed dates and Easter-relative dates
(Easter by the Gregorian computus, so no external dependency is needed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any

import yaml


def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return date(year, month, day + 1)


@cache
def _calendar() -> dict[str, Any]:
    text = (resources.files("metric_cards").joinpath("calendars/it_holidays.yaml")
            .read_text("utf-8"))
    return yaml.safe_load(text)


def italian_holidays(year: int) -> dict[date, str]:
    """National public holidays of ``year``: date → name."""
    out: dict[date, str] = {}
    for item in _calendar()["holidays"]:
        if year < item.get("from_year", 0):
            continue
        if "fixed" in item:
            day = date(year, item["fixed"]["month"], item["fixed"]["day"])
        else:
            day = easter_sunday(year) + timedelta(days=item["easter_offset"])
        out[day] = item["name"]
    return out


@dataclass(frozen=True)
class Annotation:
    kind: str          # "public_holiday" or "period"
    name: str
    start: date
    end: date
    applies_to: str    # "window" or "comparison"
    note: str

    def as_payload(self) -> dict[str, str]:
        return {"kind": self.kind, "name": self.name, "start": self.start.isoformat(),
                "end": self.end.isoformat(), "applies_to": self.applies_to, "note": self.note}


def annotations(first: date, last: date, applies_to: str) -> list[Annotation]:
    """Holidays and periods touching the local days ``first``..``last`` (inclusive)."""
    out: list[Annotation] = []
    for year in range(first.year, last.year + 1):
        for period in _calendar()["periods"]:
            start = date(year, period["start"]["month"], period["start"]["day"])
            end = date(year, period["end"]["month"], period["end"]["day"])
            if start <= last and end >= first:
                out.append(Annotation("period", period["name"], start, end, applies_to,
                                      period["note"]))
        for day, name in sorted(italian_holidays(year).items()):
            if first <= day <= last:
                out.append(Annotation("public_holiday", name, day, day, applies_to,
                                       "Italian public holiday: carriers do not deliver; "
                                       "expect fewer shipments and later events around it"))
    return out
