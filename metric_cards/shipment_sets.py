"""The per-shipment numerator/denominator set of a card, as one SQLAlchemy SELECT.

This is the reusable core: ``evaluate`` aggregates it inside the warehouse, and reconciliation
can select from it (shipment by shipment) with other parameters or another time zone rather
than rewriting the card's SQL. Columns of ``shipment_set(...)``:

``shipment_id``, ``anchor_at`` (the card's window anchor, normalised UTC), ``in_numerator``
(1/0), ``attribution_key`` (the first-event key of a ``first_event`` breakdown, or NULL),
``first_event_at`` (earliest matching event of that breakdown, or NULL) and the requested
shipment fields (``carrier`` … ``is_return``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, false, literal, null, or_, select
from sqlalchemy.sql.elements import ColumnElement

from metric_cards.definitions import CardDefinition
from metric_cards.dialect import instant, utc_ts
from metric_cards.filters import FilterCompiler
from metric_cards.params import CardParams
from metric_cards.promises import promised_day_start
from metric_cards.warehouse import ContractTables, contract_tables

DEFAULT_FIELDS = ("carrier", "is_return")


def attribution_of(card: CardDefinition) -> tuple[str, tuple[str, ...]] | None:
    """(event field, tie-break order) of the card's first-event breakdown, if it has one."""
    for b in card.breakdowns:
        if b.first_event_field:
            return b.first_event_field, b.tie_break
    return None


def shipment_set(card: CardDefinition, params: CardParams, *, as_of: datetime,
                 start: datetime | None, end: datetime | None, schema: str | None = "raw",
                 tables: ContractTables | None = None,
                 fields: Iterable[str] = DEFAULT_FIELDS,
                 timezone: str | None = None,
                 events_since: datetime | None = None) -> Select[Any]:
    """Shipments of the denominator with anchor in ``[start, end)``, flagged for the numerator.

    ``as_of`` bounds which events count (``occurred_at <= as_of``) and instant comparisons;
    ``events_since`` (optional) is a lower bound on them. ``start``/``end`` None drop that side
    of the anchor range (reconciliation's event-anchored view of the portal).
    ``timezone`` (default: the card's) is the zone promised days are judged in; the anchor
    ``promised_day`` is the instant the promised day begins there.
    """
    t = tables or contract_tables(schema)
    ship = t.shipments
    zone = timezone or card.timezone
    years = ((start or as_of).year - 1, max(end or as_of, as_of).year + 1)
    compiler = FilterCompiler(ship, t.tracking_events, as_of, params.switches(),
                              timezone=zone, promise_basis=params.promise_basis or "day",
                              years=years, events_since=events_since)
    anchor = (promised_day_start(ship, zone, years) if card.anchor == "promised_day"
              else utc_ts(ship.c[card.anchor]))
    where: list[ColumnElement[Any]] = []
    if start is not None:
        where.append(anchor >= instant(start))
    if end is not None:
        where.append(anchor < instant(end))
    if params.exclude_returns:
        where.append(or_(ship.c.is_return.is_(None), ship.c.is_return == false()))
    if params.carriers:
        where.append(ship.c.carrier.in_(list(params.carriers)))
    denominator = compiler.conditions(card.denominator_filters)
    if denominator is not None:
        where.append(denominator)
    attribution = attribution_of(card)
    numerator = compiler.conditions(card.numerator_filters, attribution)
    in_numerator = (case((numerator, 1), else_=0) if numerator is not None else literal(1))
    attributed = next((f for f in compiler.flags if f.attributable), None)
    key = attributed.subquery.c.first_key if attributed is not None else null()
    first_at = attributed.subquery.c.first_at if attributed is not None else null()
    source: Any = ship
    for flag in compiler.flags:
        source = source.outerjoin(flag.subquery, flag.subquery.c.shipment_id == ship.c.shipment_id)
    columns = [ship.c.shipment_id, anchor.label("anchor_at"), in_numerator.label("in_numerator"),
               key.label("attribution_key"), first_at.label("first_event_at")]
    columns += [ship.c[f] for f in dict.fromkeys(fields)]
    return select(*columns).select_from(source).where(*where)
