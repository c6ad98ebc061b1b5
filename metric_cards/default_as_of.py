"""The reading instant a card uses when none is given: the warehouse's own data freshness.

``--as-of`` defaults to ``latest``: the newest ``tracking_events.occurred_at`` in the warehouse
(capped at the current time, so a carrier clock running ahead cannot move the window into the
future). On a warehouse kept in sync that is minutes before now and reads the same window as
the wall clock; on one loaded from a past period (the sandbox's worked example, a backfill
restored from an archive) it reads that period instead of an empty window. ``now`` asks for the
wall clock; any ISO 8601 instant with an offset is used as given.

The check and the query run on any ``metric_cards.readers.Reader`` (``latest_or_now``), so the
plan-cache path of ``metric-cards evaluate`` reads the same instant without SQLAlchemy.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from metric_cards.errors import WarehouseError
from metric_cards.instants import to_utc
from metric_cards.readers import Plan, QueryFailed, Reader
from shipping_core.windows import iso_utc, parse_instant

if TYPE_CHECKING:
    from sqlalchemy import Engine

log = logging.getLogger(__name__)
LATEST = "latest"
NOW = "now"
PURPOSE = "the card (and its default --as-of)"


def latest_event_query(schema: str | None) -> Any:
    from sqlalchemy import func, select

    from metric_cards.dialect import utc_ts
    from metric_cards.warehouse import contract_tables

    events = contract_tables(schema).tracking_events
    return select(func.max(utc_ts(events.c.occurred_at)))


def latest_statements(schema: str | None) -> dict[str, Callable[[], Any]]:
    """Builders of the statements ``latest_or_now`` reads (for ``SqlReader``)."""
    def shipments() -> Any:
        from sqlalchemy import select

        from metric_cards.warehouse import contract_tables
        return select(contract_tables(schema).shipments.c.shipment_id)

    return {"shipments": shipments, "latest_event": lambda: latest_event_query(schema)}


def latest_or_now(reader: Reader, now: datetime | None = None) -> datetime:
    """The newest event's instant (at most ``now``); ``now`` when the warehouse has none."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    # Every card reads shipments too: name a missing contract table in the usual order.
    reader.check(("shipments", "latest_event"), PURPOSE)
    try:
        latest = to_utc(reader.rows("latest_event").rows[0][0])
    except QueryFailed as exc:
        raise WarehouseError(f"warehouse {reader.url}: cannot read the latest tracking event "
                             f"({exc.detail})") from exc
    if latest is None:
        return now
    return min(latest, now)


def data_as_of(engine: Engine, schema: str | None, now: datetime | None = None,
               plan: Plan | None = None) -> datetime:
    """``latest_or_now`` on a SQLAlchemy engine (recording its statements in ``plan``)."""
    from metric_cards.connection import connect
    from metric_cards.sql_reader import SqlReader, builders

    with connect(engine) as conn:
        reader = SqlReader(conn, schema, builders(latest_statements(schema)), plan)
        try:
            return latest_or_now(reader, now)
        finally:
            reader.close()


def as_of_choice(text: str | None) -> datetime | str:
    """``--as-of`` as an instant, or ``LATEST`` when the warehouse must be read for it."""
    choice = (text or LATEST).strip()
    if choice.lower() == NOW:
        return datetime.now(UTC)
    if choice.lower() == LATEST:
        return LATEST
    return parse_instant(choice)


def log_latest(moment: datetime) -> None:
    log.info("as of %s (the warehouse's latest tracking event; pass --as-of to choose)",
             iso_utc(moment))


def resolve_as_of(text: str | None, engine: Engine, schema: str | None,
                  plan: Plan | None = None) -> datetime:
    """``--as-of`` as an aware UTC instant: ``latest`` (default), ``now`` or ISO 8601."""
    choice = as_of_choice(text)
    if not isinstance(choice, str):
        return choice
    moment = data_as_of(engine, schema, plan=plan)
    log_latest(moment)
    return moment
