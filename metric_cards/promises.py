"""Delivery promises in SQL: the promised day, and whether a delivery kept the promise.

A promise is a calendar **day** (``shipments.promised_delivery_date``) unless the source gave a
time (``promised_delivery_at``, e.g. "by 12:00"). Cards judge it in their zone:

* ``day`` reading (default): on time = delivered on or before the end of the promised day in
  the card's zone — ``local_date(delivered_at) <= promised day``. A time-window promise counts
  by its day in the card's zone.
* ``instant`` reading: a time-window promise is kept when ``delivered_at <= promised_delivery_at``;
  a day promise is still judged by its day (there is no finer promise to hold it to).

Every conversion between UTC instants and local days goes through ``metric_cards.dialect``
(``local_date``, ``zone_day_start``), so the result does not depend on the session time zone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, and_, func, or_
from sqlalchemy.sql.elements import ColumnElement

from metric_cards.dialect import ZONE_TABLE_YEARS, as_date, local_date, utc_ts, zone_day_start

PROMISE_BASES = ("day", "instant")
PROMISE_STATES = ("given", "kept", "missed")

Expr = ColumnElement[Any]


Years = tuple[int, int]


def promised_day(ship: Table, zone: str, years: Years = ZONE_TABLE_YEARS) -> Expr:
    """The promised day: the source's date, else the time-window promise's day in ``zone``.

    ``years`` bounds the zone transitions SQLite's SQL spells out (see ``dialect.local_date``).
    """
    return func.coalesce(as_date(ship.c.promised_delivery_date),
                         local_date(utc_ts(ship.c.promised_delivery_at), zone, years))


def promised_day_start(ship: Table, zone: str, years: Years = ZONE_TABLE_YEARS) -> Expr:
    """The UTC instant at which the promised day begins in ``zone`` (a card window anchor)."""
    return zone_day_start(promised_day(ship, zone, years), zone, years)


def promise_condition(ship: Table, state: str, zone: str, basis: str,
                      years: Years = ZONE_TABLE_YEARS) -> Expr:
    """``given`` / ``kept`` / ``missed`` for a shipment, judged in ``zone`` on ``basis``.

    ``kept`` and ``missed`` need a delivery: an undelivered shipment is neither.
    """
    if basis not in PROMISE_BASES:
        raise ValueError(f"promise_basis: got {basis!r}; expected one of "
                         f"{', '.join(PROMISE_BASES)}")
    day = as_date(ship.c.promised_delivery_date)
    at = ship.c.promised_delivery_at
    if state == "given":
        return or_(day.is_not(None), at.is_not(None))
    if state not in ("kept", "missed"):
        raise ValueError(f"promise: got {state!r}; expected one of {', '.join(PROMISE_STATES)}")
    delivered = utc_ts(ship.c.delivered_at)
    delivered_day = local_date(delivered, zone, years)
    kept = state == "kept"
    if basis == "day":
        day_promised = promised_day(ship, zone, years)
        by_day = delivered_day <= day_promised if kept else delivered_day > day_promised
        return and_(delivered.is_not(None), by_day)
    by_instant = delivered <= utc_ts(at) if kept else delivered > utc_ts(at)
    by_date = delivered_day <= day if kept else delivered_day > day
    return and_(delivered.is_not(None),
                or_(and_(at.is_not(None), by_instant), and_(at.is_(None), by_date)))
