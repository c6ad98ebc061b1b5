"""Per-shipment status in every view, read from the card engine's shipment set.

Each view (``views.ViewContext``) is the card's ``metric_cards.shipment_sets.shipment_set`` with
other inputs, so reconciliation has no membership rules, window, auto-resolve definition or
carrier keys of its own: the first view *is* the card ``evaluate`` reads, and editing the card
moves both. Queries are cached by their inputs (several views share them) and only
per-shipment rows (flags, the card's first-event key, the shipment's carrier) reach Python.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from metric_cards.connection import connect
from metric_cards.contract_check import check_contract
from metric_cards.instants import to_utc
from metric_cards.params import CardParams
from metric_cards.shipment_sets import shipment_set
from metric_cards.warehouse import contract_tables

from .views import Status, View, ViewContext

log = logging.getLogger(__name__)
LOOKUP_CHUNK = 500

#: (params, window start, window end, events since, events until, numerator only)
QueryKey = tuple[CardParams, datetime | None, datetime | None, datetime | None, datetime, bool]


@dataclass(frozen=True)
class Row:
    """One shipment of a card shipment set."""

    in_numerator: bool
    key: str | None  # the card's first-event key (category), when in the numerator
    first_event_at: datetime | None
    carrier: str | None


@dataclass
class Memberships:
    """Statuses of every shipment any view touches, and what is known about each."""

    statuses: dict[str, list[Status]] = field(default_factory=dict)
    carriers: dict[str, str | None] = field(default_factory=dict)
    first_event: dict[tuple[int, str], datetime] = field(default_factory=dict)
    lag_first_event: dict[str, datetime] = field(default_factory=dict)


class CardViews:
    """Runs the card's shipment set for each view of a reconciliation."""

    def __init__(self, engine: Engine, schema: str | None, context: ViewContext) -> None:
        self.engine = engine
        self.schema = schema
        self.context = context
        self._cache: dict[QueryKey, dict[str, Row]] = {}

    def _statement(self, key: QueryKey) -> Any:
        params, start, end, since, until, numerator_only = key
        ss = shipment_set(self.context.card, params, as_of=until, start=start, end=end,
                          schema=self.schema, events_since=since,
                          fields=("carrier",)).subquery("card_set")
        query = select(ss.c.shipment_id, ss.c.in_numerator, ss.c.attribution_key,
                       ss.c.first_event_at, ss.c.carrier)
        return query.where(ss.c.in_numerator == 1) if numerator_only else query

    def _rows(self, conn: Any, key: QueryKey) -> dict[str, Row]:
        if key not in self._cache:
            self._cache[key] = {
                str(r.shipment_id): Row(bool(r.in_numerator), r.attribution_key,
                                        to_utc(r.first_event_at), r.carrier)
                for r in conn.execute(self._statement(key))}
        return self._cache[key]

    def denominator_key(self, view: View) -> QueryKey:
        ctx = self.context
        window = ctx.window(view)
        return (ctx.params_for(view), window.start, window.end, None, ctx.events_until(view),
                False)

    def event_key(self, view: View, since: datetime) -> QueryKey:
        """Shipments (any label date) with a numerator event in ``[since, until]``."""
        ctx = self.context
        return (ctx.params_for(view), None, None, since, ctx.events_until(view), True)

    def run(self, views: list[View], lag_since: datetime | None = None) -> Memberships:
        """Every view's status of every shipment any view touches.

        ``lag_since`` adds, for the last view, the earliest numerator event since that instant
        (the webhook-lag margin before the portal's window).
        """
        ctx = self.context
        plans = []
        for view in views:
            keys = [self.denominator_key(view)]
            if view.event_anchor:
                keys.append(self.event_key(view, ctx.window(view).start))
            plans.append(keys)
        lag_key = self.event_key(views[-1], lag_since) if lag_since is not None else None
        every = [k for keys in plans for k in keys] + ([lag_key] if lag_key else [])
        out = Memberships()
        with connect(self.engine) as conn:
            check_contract(conn, self.schema, [self._statement(k) for k in dict.fromkeys(every)],
                           f"reconciliation of card {ctx.card.id}")
            results = [[self._rows(conn, k) for k in keys] for keys in plans]
            if lag_key is not None:
                out.lag_first_event = {sid: r.first_event_at
                                       for sid, r in self._rows(conn, lag_key).items()
                                       if r.first_event_at is not None}
        ids = {sid for rows in results for table in rows for sid in table}
        ids |= set(out.lag_first_event)  # outside every view, but a webhook may carry it in
        for sid in ids:
            states = []
            for i, (view, rows) in enumerate(zip(views, results, strict=True)):
                anchored = rows[0].get(sid)
                counted = rows[1].get(sid) if view.event_anchor else anchored
                in_num = counted is not None and counted.in_numerator
                states.append(Status(in_num, anchored is not None,
                                     counted.key if in_num and counted else None))
                for row in (anchored, counted):
                    if row is not None:
                        out.carriers.setdefault(sid, row.carrier)
                if in_num and counted is not None and counted.first_event_at is not None:
                    out.first_event[(i, sid)] = counted.first_event_at
            out.statuses[sid] = states
        log.info("reconciliation: card %s shipment sets for %d views (%d queries), %d shipments",
                 ctx.card.id, len(views), len(self._cache), len(ids))
        return out


def lookup_shipments(engine: Engine, schema: str | None,
                     ids: Iterable[str]) -> dict[str, str | None]:
    """The warehouse carrier key of each of ``ids`` present in ``shipments`` (portal-only ones)."""
    s = contract_tables(schema).shipments.alias("sh")
    wanted = sorted(set(ids))
    found: dict[str, str | None] = {}
    with connect(engine) as conn:
        for i in range(0, len(wanted), LOOKUP_CHUNK):
            chunk = wanted[i:i + LOOKUP_CHUNK]
            query = select(s.c.shipment_id, s.c.carrier).where(s.c.shipment_id.in_(chunk))
            for row in conn.execute(query):
                found[str(row.shipment_id)] = row.carrier
    return found
