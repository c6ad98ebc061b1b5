"""The SQL of stall cards (``metric_cards.stalled``): the in-flight set and its two reads.

Statements are named for ``metric_cards.readers``: ``stall_flight@<instant>`` (the in-flight set,
checked against the contract), ``stall_counts@<instant>`` (one aggregate per reading) and
``stall_list@<instant>`` (the bounded list), ``<instant>`` in ISO 8601 UTC with microseconds, and
``freshness``. ``stall_statements`` builds any of them for ``SqlReader``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, false, func, literal, or_, select

from metric_cards.definitions import CardDefinition
from metric_cards.dialect import instant, utc_ts
from metric_cards.filters import FilterCompiler
from metric_cards.params import CardParams
from metric_cards.query import freshness_query
from metric_cards.stalled import (
    DEFAULT_KEY,
    NO_SCAN,
    StallRule,
    statement_instant,
)
from metric_cards.warehouse import contract_tables
from shipping_core.contract import TERMINAL_MILESTONES
from shipping_core.windows import window_ending_before


def in_flight_set(card: CardDefinition, params: CardParams, rule: StallRule, *,
                  as_of: datetime, start: datetime, timezone: str,
                  schema: str | None) -> Select[Any]:
    """One row per in-flight shipment at ``as_of`` created in ``[start, as_of]``.

    Columns: shipment_id, tracking_number, carrier, last_milestone, reference_at, stalled (1/0).
    """
    t = contract_tables(schema)
    s, ev = t.shipments, t.tracking_events
    at = instant(as_of)
    created = utc_ts(s.c.created_at)
    population = select(s.c.shipment_id).where(created >= instant(start), created <= at)
    occurred = utc_ts(ev.c.occurred_at)
    seen = and_(occurred <= at, ev.c.shipment_id.in_(population))
    ranked = (select(ev.c.shipment_id, occurred.label("last_at"),
                     func.coalesce(ev.c.milestone,
                                   case((ev.c.exception_category.is_not(None), "exception"),
                                        else_="unknown")).label("last_milestone"),
                     func.row_number().over(partition_by=ev.c.shipment_id,
                                            order_by=(occurred.desc(), ev.c.event_id.desc())
                                            ).label("rn"))
              .where(seen).subquery("ranked_events"))
    last = (select(ranked.c.shipment_id, ranked.c.last_at, ranked.c.last_milestone)
            .where(ranked.c.rn == 1).subquery("last_event"))
    terminal = (select(ev.c.shipment_id).where(seen, ev.c.milestone.in_(TERMINAL_MILESTONES))
                .group_by(ev.c.shipment_id).subquery("terminal_events"))
    compiler = FilterCompiler(s, ev, as_of, params.switches())
    denominator = compiler.conditions(card.denominator_filters)
    numerator = compiler.conditions(card.numerator_filters)
    reference = func.coalesce(last.c.last_at, utc_ts(s.c.shipped_at), utc_ts(s.c.created_at))
    cutoffs = rule.cutoffs(as_of, timezone)
    named = [(s.c.carrier == carrier, instant(moment))
             for carrier, moment in sorted(cutoffs.items()) if carrier != DEFAULT_KEY]
    cutoff = case(*named, else_=instant(cutoffs[DEFAULT_KEY])) if named \
        else instant(cutoffs[DEFAULT_KEY])
    stalled = reference < cutoff
    if numerator is not None:
        stalled = and_(stalled, numerator)
    source: Any = s.outerjoin(last, last.c.shipment_id == s.c.shipment_id) \
        .outerjoin(terminal, terminal.c.shipment_id == s.c.shipment_id)
    for flag in compiler.flags:
        source = source.outerjoin(flag.subquery, flag.subquery.c.shipment_id == s.c.shipment_id)
    where = [created >= instant(start), created <= at,
             or_(s.c.delivered_at.is_(None), utc_ts(s.c.delivered_at) > at),
             terminal.c.shipment_id.is_(None),
             # closed by the carrier (lost, destroyed, …) no later than the reading instant
             or_(s.c.is_terminal.is_(None), s.c.is_terminal == false(),
                 s.c.updated_at.is_(None), utc_ts(s.c.updated_at) > at)]
    if params.exclude_returns:
        where.append(or_(s.c.is_return.is_(None), s.c.is_return == false()))
    if params.carriers:
        where.append(s.c.carrier.in_(list(params.carriers)))
    if denominator is not None:
        where.append(denominator)
    return (select(s.c.shipment_id, s.c.tracking_number, s.c.carrier,
                   func.coalesce(last.c.last_milestone, literal(NO_SCAN)).label("last_milestone"),
                   reference.label("reference_at"),
                   case((stalled, 1), else_=0).label("stalled"))
            .select_from(source).where(*where))


def stall_statements(card: CardDefinition, params: CardParams, rule: StallRule, timezone: str,
                     schema: str | None) -> Callable[[str], Any]:
    """Build the named statement of a stall card read in ``timezone`` (see the module doc)."""
    def flight(as_of: datetime) -> Any:
        lookback = window_ending_before(as_of, timezone, card.window_days)
        return in_flight_set(card, params, rule, as_of=as_of, start=lookback.start,
                             timezone=timezone, schema=schema)

    def build(name: str) -> Any:
        if name == "freshness":
            return freshness_query(schema)
        kind, as_of = statement_instant(name)
        if kind == "stall_flight":
            return flight(as_of)
        in_flight = flight(as_of).subquery("in_flight")
        if kind == "stall_counts":
            return (select(in_flight.c.carrier, in_flight.c.last_milestone, in_flight.c.stalled,
                           func.count())
                    .group_by(in_flight.c.carrier, in_flight.c.last_milestone,
                              in_flight.c.stalled))
        if kind == "stall_list":
            return (select(in_flight).where(in_flight.c.stalled == 1)
                    .order_by(in_flight.c.reference_at, in_flight.c.shipment_id)
                    .limit(rule.list_limit))
        raise KeyError(name)

    return build
