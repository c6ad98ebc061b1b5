"""The reading instant a card uses when none is given: the warehouse's own data freshness.

``--as-of`` defaults to ``latest``: the newest ``tracking_events.occurred_at`` in the warehouse
(capped at the current time, so a carrier clock running ahead cannot move the window into the
future). On a warehouse kept in sync that is minutes before now and reads the same window as
the wall clock; on one loaded from a past period (the sandbox's worked example, a backfill
restored from an archive) it reads that period instead of an empty window. ``now`` asks for the
wall clock; any ISO 8601 instant with an offset is used as given.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select

from metric_cards.connection import connect
from metric_cards.contract_check import check_contract
from metric_cards.dialect import to_utc, utc_ts
from metric_cards.warehouse import contract_tables
from shipping_core.windows import iso_utc, parse_instant

log = logging.getLogger(__name__)
LATEST = "latest"
NOW = "now"


def latest_event_query(schema: str | None):
    events = contract_tables(schema).tracking_events
    return select(func.max(utc_ts(events.c.occurred_at)))


def data_as_of(engine: Engine, schema: str | None, now: datetime | None = None) -> datetime:
    """The newest event's instant (at most ``now``); ``now`` when the warehouse has none."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    query = latest_event_query(schema)
    # Every card reads shipments too: name a missing contract table in the usual order.
    shipments = select(contract_tables(schema).shipments.c.shipment_id)
    with connect(engine) as conn:
        check_contract(conn, schema, [shipments, query], "the card (and its default --as-of)")
        latest = to_utc(conn.execute(query).scalar())
    if latest is None:
        return now
    return min(latest, now)


def resolve_as_of(text: str | None, engine: Engine, schema: str | None) -> datetime:
    """``--as-of`` as an aware UTC instant: ``latest`` (default), ``now`` or ISO 8601."""
    choice = (text or LATEST).strip()
    if choice.lower() == NOW:
        return datetime.now(UTC)
    if choice.lower() == LATEST:
        moment = data_as_of(engine, schema)
        log.info("as of %s (the warehouse's latest tracking event; pass --as-of to choose)",
                 iso_utc(moment))
        return moment
    return parse_instant(choice)
