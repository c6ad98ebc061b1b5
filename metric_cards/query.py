"""The card's SQL: the one aggregate query, the freshness watermark and the shipment-set reads
reconciliation reuses (the windows are ``metric_cards.reading``'s; ``metric_cards.card_reading``
runs the card's statements).

One aggregate query per card runs inside the warehouse over the card's shipment set
(``shipment_sets.shipment_set``) for the prior window plus the current window: it groups by a
day bucket (bounds computed in Python with ``zoneinfo`` and bound as UTC instants) and by the
breakdown dimensions, so only a few hundred aggregated rows come back. A second tiny query
reads the freshness watermark (latest ``tracking_events.synced_at``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.engine import Connection

from metric_cards.definitions import CardDefinition
from metric_cards.dialect import instant
from metric_cards.instants import to_utc
from metric_cards.params import CardParams
from metric_cards.reading import PRIOR_BUCKET
from metric_cards.shipment_sets import attribution_of, shipment_set
from metric_cards.warehouse import contract_tables
from shipping_core.windows import (
    Window,
    day_start_utc,
    local_days,
    zone,
)


def aggregate_query(card: CardDefinition, params: CardParams, as_of: datetime, window: Window,
                    prior: Window, schema: str | None) -> tuple[Select[Any], tuple[str, ...]]:
    """The card's one aggregate query and its dimension column names.

    Rows: ``(bucket, dims..., num, den)`` where bucket ``-1`` is the prior window and
    ``0..N-1`` the local days of the current window.
    """
    fields: list[str] = []
    for b in card.breakdowns:
        fields += [f for f in b.fields if f not in fields]
    has_key = attribution_of(card) is not None
    shipments = shipment_set(card, params, as_of=as_of, start=prior.start, end=window.end,
                             schema=schema, fields=fields or ("carrier",),
                             timezone=window.timezone).subquery("card_set")
    day_ends = [day_start_utc(d + timedelta(days=1), zone(window.timezone))
                for d in local_days(window)]
    bucket = case((shipments.c.anchor_at < instant(window.start), PRIOR_BUCKET),
                  *[(shipments.c.anchor_at < instant(end), i) for i, end in enumerate(day_ends)],
                  else_=len(day_ends))
    dim_cols = [shipments.c[f] for f in fields]
    if has_key:
        dim_cols.append(shipments.c.attribution_key)
    bucketed = select(bucket.label("bucket"), shipments.c.in_numerator, *dim_cols).subquery("b")
    dims = [bucketed.c[c.name] for c in dim_cols]
    query = (select(bucketed.c.bucket, *dims, func.sum(bucketed.c.in_numerator).label("num"),
                    func.count().label("den"))
             .group_by(bucketed.c.bucket, *dims))
    return query, tuple(c.name for c in dims)


def freshness_query(schema: str | None) -> Select[Any]:
    """The freshness watermark: the latest ``tracking_events.synced_at``."""
    events = contract_tables(schema).tracking_events
    return select(func.max(events.c.synced_at))


def count_shipment_set(conn: Connection, card: CardDefinition, params: CardParams, *,
                       as_of: datetime, start: datetime, end: datetime,
                       schema: str | None) -> tuple[int, int]:
    """(numerator, denominator) of ``card`` over ``[start, end)`` — one aggregate query."""
    ss = shipment_set(card, params, as_of=as_of, start=start, end=end, schema=schema).subquery()
    row = conn.execute(select(func.coalesce(func.sum(ss.c.in_numerator), 0), func.count())).one()
    return int(row[0]), int(row[1])


def fetch_shipment_set(conn: Connection, card: CardDefinition, params: CardParams, *,
                       as_of: datetime, start: datetime, end: datetime, schema: str | None,
                       numerator_only: bool = False) -> list[dict[str, Any]]:
    """Rows of the card's shipment set (for shipment-by-shipment reconciliation).

    Timestamps come back as aware UTC datetimes whatever the dialect stores.
    """
    ss = shipment_set(card, params, as_of=as_of, start=start, end=end, schema=schema).subquery()
    query = select(ss)
    if numerator_only:
        query = query.where(ss.c.in_numerator == 1)
    out = []
    for row in conn.execute(query.order_by(ss.c.shipment_id)).mappings():
        item = dict(row)
        for key in ("anchor_at", "first_event_at"):
            item[key] = to_utc(item[key])
        out.append(item)
    return out
