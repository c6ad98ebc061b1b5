"""Business days on the Italian carrier calendar (weekends and national holidays excluded).

Day arithmetic happens here, in Python, on local calendar dates; the warehouse only compares
instants with cutoffs computed from it (``stall_cutoff_day``), so DuckDB, Postgres and SQLite
give identical results whatever their date functions or session time zones.

``business_days_between(last, today)`` is the number of whole business days strictly between
two local dates: a parcel last scanned on Monday and read on Friday has had Tuesday, Wednesday
and Thursday without a scan, i.e. 3 business days.
"""

from __future__ import annotations

from datetime import date, timedelta

from metric_cards.holidays import italian_holidays

MAX_DAYS = 366


def is_business_day(day: date) -> bool:
    """Monday to Friday and not an Italian national public holiday."""
    return day.weekday() < 5 and day not in italian_holidays(day.year)


def business_days_between(last: date, today: date) -> int:
    """Whole business days ``d`` with ``last < d < today`` (0 when ``today <= last + 1``)."""
    count = 0
    day = last + timedelta(days=1)
    while day < today:
        count += is_business_day(day)
        day += timedelta(days=1)
    return count


def stall_cutoff_day(today: date, business_days: int) -> date:
    """The local day ``B`` such that ``last < B`` ⇔ ``business_days_between(last, today) >= n``.

    ``B`` is the ``n``-th business day counting back from the day before ``today``.
    """
    if not 1 <= business_days <= MAX_DAYS:
        raise ValueError(f"business_days: expected 1..{MAX_DAYS}, got {business_days}")
    found = 0
    day = today
    while found < business_days:
        day -= timedelta(days=1)
        found += is_business_day(day)
    return day
