"""Per-shipment facts for reconciliation, computed in the warehouse with SQLAlchemy Core.

Two queries over the data contract (``metric_cards.warehouse.contract_tables``): the shipments
relevant to any view (label date in either window, or an exception event in either window), and,
per shipment and category, the earliest exception event in each event scope the views need.
Only these per-shipment aggregates reach Python, never raw events.

Instants go through ``metric_cards.dialect`` (``utc_ts``/``instant``/``plus_hours``), the same
per-dialect handling the cards use, so DuckDB (naive UTC TIMESTAMP from target-duckdb or
TIMESTAMPTZ), SQLite and Postgres warehouses all compare correctly.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Engine, and_, case, exists, func, literal, or_, select
from sqlalchemy.sql import ColumnElement

from metric_cards.dialect import instant, plus_hours, to_utc, utc_ts
from metric_cards.evaluate import connect, require_tables
from metric_cards.warehouse import ContractTables

from .ruleset import AutoResolved
from .views import EventScope, ShipmentFacts

log = logging.getLogger(__name__)
LOOKUP_CHUNK = 500


class FactQuery:
    """Builds and runs the per-shipment queries for a set of event scopes."""

    def __init__(self, tables: ContractTables, scopes: Iterable[EventScope], as_of: datetime,
                 label_range: tuple[datetime, datetime], auto: AutoResolved | None,
                 priority: tuple[str, ...]) -> None:
        self.t = tables
        self.scopes = list(dict.fromkeys(scopes))
        self.as_of = as_of
        self.label_range = label_range
        self.auto = auto
        self.priority = {c: i for i, c in enumerate(priority)}

    def _auto_resolved(self, events, limit: datetime, inclusive: bool) -> ColumnElement[bool]:
        """The data contract's auto-resolved exception, judged with progress known by ``limit``."""
        if self.auto is None:
            return literal(False)
        progress = self.t.tracking_events.alias("progress")
        at = utc_ts(progress.c.occurred_at)
        bound = at <= instant(limit) if inclusive else at < instant(limit)
        resolved_later = exists().where(
            progress.c.shipment_id == events.c.shipment_id,
            progress.c.milestone.in_(self.auto.progress_milestones),
            at > utc_ts(events.c.occurred_at),
            at <= plus_hours(utc_ts(events.c.occurred_at), self.auto.progress_within_hours),
            bound,
        )
        return or_(events.c.exception_class.in_(self.auto.classes),
                   and_(events.c.exception_class == self.auto.conditional_class, resolved_later))

    def _in_scope(self, events, scope: EventScope) -> ColumnElement[bool]:
        occurred = utc_ts(events.c.occurred_at)
        conditions = [occurred <= instant(scope.end) if scope.end_inclusive
                      else occurred < instant(scope.end)]
        if scope.start is not None:
            conditions.append(occurred >= instant(scope.start))
        if scope.hide_transient:
            conditions.append(~self._auto_resolved(events, scope.end, scope.end_inclusive))
        return and_(*conditions)

    def relevant_ids(self):
        # Aliased tables: a schema named ``raw`` would otherwise be read as the JSON column
        # ``raw`` of a correlated table (DuckDB resolves ``raw.tracking_events.x`` that way).
        s, e = self.t.shipments.alias("rs"), self.t.tracking_events.alias("re")
        lo, hi = self.label_range
        floor = min([lo] + [sc.start for sc in self.scopes if sc.start is not None])
        with_events = select(e.c.shipment_id).where(
            e.c.exception_category.is_not(None),
            utc_ts(e.c.occurred_at) >= instant(floor),
            utc_ts(e.c.occurred_at) <= instant(self.as_of),
        )
        created = utc_ts(s.c.created_at)
        by_label = select(s.c.shipment_id).where(created >= instant(lo), created < instant(hi))
        return by_label.union(with_events).subquery("relevant")

    def run(self, engine: Engine) -> dict[str, ShipmentFacts]:
        s, e = self.t.shipments.alias("sh"), self.t.tracking_events.alias("ev")
        relevant = self.relevant_ids()
        ship_q = select(s.c.shipment_id, s.c.carrier, s.c.is_return,
                        utc_ts(s.c.created_at).label("created_at")).where(
            s.c.shipment_id.in_(select(relevant.c.shipment_id)))
        firsts = [func.min(case((self._in_scope(e, scope), utc_ts(e.c.occurred_at))))
                  .label(f"s{i}")
                  for i, scope in enumerate(self.scopes)]
        event_q = (
            select(e.c.shipment_id, e.c.exception_category, *firsts)
            .where(e.c.exception_category.is_not(None),
                   utc_ts(e.c.occurred_at) <= instant(self.as_of),
                   e.c.shipment_id.in_(select(relevant.c.shipment_id)))
            .group_by(e.c.shipment_id, e.c.exception_category)
        )
        facts: dict[str, ShipmentFacts] = {}
        firsts_by_id: dict[str, dict[EventScope, tuple[datetime, str] | None]] = {}
        with connect(engine) as conn:
            require_tables(conn, self.t.shipments.schema)
            for row in conn.execute(event_q):
                slots = firsts_by_id.setdefault(str(row.shipment_id), {})
                for i, scope in enumerate(self.scopes):
                    moment = to_utc(row[2 + i])
                    if moment is None:
                        continue
                    candidate = (moment, row.exception_category)
                    current = slots.get(scope)
                    if current is None or self._earlier(candidate, current):
                        slots[scope] = candidate
            for row in conn.execute(ship_q):
                sid = str(row.shipment_id)
                facts[sid] = ShipmentFacts(sid, row.carrier, bool(row.is_return),
                                           to_utc(row.created_at), firsts_by_id.pop(sid, {}))
        if firsts_by_id:
            log.warning("reconciliation: %d shipment(s) have exception events but no shipments "
                        "row (e.g. %s); they are left out", len(firsts_by_id),
                        next(iter(firsts_by_id)))
        log.info("reconciliation: per-shipment facts for %d shipments over %d event scopes",
                 len(facts), len(self.scopes))
        return facts

    def _earlier(self, a: tuple[datetime, str], b: tuple[datetime, str]) -> bool:
        rank = len(self.priority)
        return (a[0], self.priority.get(a[1], rank), a[1]) < (
            b[0], self.priority.get(b[1], rank), b[1])


def lookup_shipments(engine: Engine, tables: ContractTables,
                     ids: Iterable[str]) -> dict[str, tuple[str | None, bool, datetime | None]]:
    """carrier, is_return, created_at for ``ids`` (used to describe portal-only shipments)."""
    s = tables.shipments.alias("sh")
    wanted = sorted(set(ids))
    found: dict[str, tuple[str | None, bool, datetime | None]] = {}
    with connect(engine) as conn:
        for i in range(0, len(wanted), LOOKUP_CHUNK):
            chunk = wanted[i:i + LOOKUP_CHUNK]
            q = select(s.c.shipment_id, s.c.carrier, s.c.is_return,
                       utc_ts(s.c.created_at).label("created_at")).where(
                s.c.shipment_id.in_(chunk))
            for row in conn.execute(q):
                found[str(row.shipment_id)] = (row.carrier, bool(row.is_return),
                                               to_utc(row.created_at))
    return found
