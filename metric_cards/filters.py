"""Compile a card's typed filter conditions (``metric_cards.conditions``) into SQLAlchemy Core.

Values always travel as bound parameters; field names come from the JSON-Schema enums, so a
definition cannot inject SQL. Event conditions (``has_event``) become one-row-per-shipment
subqueries over ``tracking_events`` that are LEFT JOINed to ``shipments``; events after
``as_of`` are ignored. ``auto_resolved`` is the data contract's derived event attribute:
``exception_class = 'transient'``, or a ``conditional`` exception followed by forward progress
(an ``in_transit``/``out_for_delivery``/``delivered`` event that is not itself an exception)
within 72 hours, both no later than ``as_of``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, case, false, func, literal, or_, select, true
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Subquery

from metric_cards.conditions import (
    AnyOf,
    Compare,
    Condition,
    EventCompare,
    HasEvent,
    PromiseState,
)
from metric_cards.definitions import TIMESTAMP_FIELDS
from metric_cards.dialect import instant, plus_hours, utc_ts
from metric_cards.promises import promise_condition

FORWARD_PROGRESS = ("in_transit", "out_for_delivery", "delivered")
AUTO_RESOLVE_HOURS = 72

Expr = ColumnElement[Any]


@dataclass
class EventFlag:
    """A compiled ``has_event``: a subquery with ``shipment_id``, ``first_at`` (+ ``first_key``)."""

    subquery: Subquery
    attributable: bool


@dataclass
class FilterCompiler:
    """Compiles conditions for one evaluation (fixed ``as_of`` and parameter switches)."""

    shipments: Table
    events: Table
    as_of: datetime
    switches: dict[str, bool]
    flags: list[EventFlag] = field(default_factory=list)
    timezone: str = "UTC"  # the card's zone: promised days are judged in it
    promise_basis: str = "day"
    years: tuple[int, int] = (1990, 2060)  # years around the evaluation (SQLite zone tables)
    #: Optional lower bound on the events a ``has_event`` counts (``occurred_at >= since``).
    events_since: datetime | None = None

    def enabled(self, cond: Condition | EventCompare) -> bool:
        when = cond.when
        return when is None or self.switches[when.param] == when.equals

    # shipments ---------------------------------------------------------------------------
    def conditions(self, conds: Sequence[Condition],
                   attribution: tuple[str, tuple[str, ...]] | None = None) -> Expr | None:
        """AND of ``conds`` (disabled ones dropped); None when nothing applies.

        ``attribution`` = (event field, tie-break order) makes the (single) top-level
        ``has_event`` also compute ``first_key``, the field of the shipment's earliest event.
        """
        parts = [p for p in (self.condition(c, attribution) for c in conds) if p is not None]
        if not parts:
            return None
        return and_(*parts) if len(parts) > 1 else parts[0]

    def condition(self, cond: Condition,
                  attribution: tuple[str, tuple[str, ...]] | None = None) -> Expr | None:
        if not self.enabled(cond):
            return None
        if isinstance(cond, AnyOf):
            parts = [p for p in (self.condition(c) for c in cond.conditions) if p is not None]
            if not parts:
                return None
            return or_(*parts) if len(parts) > 1 else parts[0]
        if isinstance(cond, PromiseState):
            return promise_condition(self.shipments, cond.promise, self.timezone,
                                     self.promise_basis, self.years)
        if isinstance(cond, HasEvent):
            flag = self.event_flag(cond.where, attribution)
            self.flags.append(flag)
            return flag.subquery.c.shipment_id.is_not(None)
        return self.comparison(cond)

    def comparison(self, cond: Compare) -> Expr:
        """A shipment field against a literal, another column or the reading instant."""
        column = self.shipments.c[cond.field]
        is_time = cond.field in TIMESTAMP_FIELDS
        left: Expr = utc_ts(column) if is_time else column
        if cond.column is not None:
            other = self.shipments.c[cond.column]
            right: Any = utc_ts(other) if cond.column in TIMESTAMP_FIELDS else other
        elif cond.instant is not None:
            right = instant(self.as_of)
        else:
            right = cond.value
            if is_time and right is not None:
                raise ValueError(f"{cond.field}: compare timestamps with 'instant' or 'column'")
        return apply_op(left, cond.op, right, column)

    # events ------------------------------------------------------------------------------
    def event_flag(self, where: Sequence[EventCompare],
                   attribution: tuple[str, tuple[str, ...]] | None) -> EventFlag:
        ev = self.events
        occurred = utc_ts(ev.c.occurred_at)
        needs_resolution = any(c.field == "auto_resolved" and self.enabled(c) for c in where)
        source: Any = ev
        resolved = None
        if needs_resolution:
            resolved = self.resolved_conditionals()
            source = ev.outerjoin(resolved, resolved.c.event_id == ev.c.event_id)
        parts: list[Expr] = [occurred <= instant(self.as_of)]
        if self.events_since is not None:
            parts.append(occurred >= instant(self.events_since))
        for cond in where:
            if not self.enabled(cond):
                continue
            if cond.field == "auto_resolved":
                assert resolved is not None
                flag = case((or_(ev.c.exception_class == "transient",
                                 resolved.c.event_id.is_not(None)), 1), else_=0)
                parts.append(apply_op(flag, cond.op, _as_flag(cond.value), None))
            else:
                column = ev.c[cond.field]
                parts.append(apply_op(column, cond.op, cond.value, column))
        if attribution is None:
            sub = (select(ev.c.shipment_id, func.min(occurred).label("first_at"))
                   .select_from(source).where(*parts).group_by(ev.c.shipment_id))
            return EventFlag(sub.subquery(), False)
        key_field, order = attribution
        key = ev.c[key_field]
        rank = case(*[(key == value, i) for i, value in enumerate(order)], else_=len(order))
        ranked = (select(ev.c.shipment_id, occurred.label("first_at"), key.label("first_key"),
                         func.row_number().over(partition_by=ev.c.shipment_id,
                                                order_by=(occurred, rank, key)).label("rn"))
                  .select_from(source).where(*parts).subquery("ranked_events"))
        sub = (select(ranked.c.shipment_id, ranked.c.first_at, ranked.c.first_key)
               .where(ranked.c.rn == 1))
        return EventFlag(sub.subquery(), True)

    def resolved_conditionals(self) -> Subquery:
        """Event ids of conditional exceptions followed by forward progress within 72 h."""
        exc = self.events.alias("exc")
        prog = self.events.alias("prog")
        exc_at = utc_ts(exc.c.occurred_at)
        prog_at = utc_ts(prog.c.occurred_at)
        as_of = instant(self.as_of)
        return (select(exc.c.event_id)
                .select_from(exc.join(prog, prog.c.shipment_id == exc.c.shipment_id))
                .where(exc.c.exception_class == "conditional",
                       exc.c.exception_category.is_not(None),
                       exc_at <= as_of,
                       prog.c.milestone.in_(FORWARD_PROGRESS),
                       prog.c.exception_category.is_(None),
                       prog_at > exc_at,
                       prog_at <= plus_hours(utc_ts(exc.c.occurred_at), AUTO_RESOLVE_HOURS),
                       prog_at <= as_of)
                .group_by(exc.c.event_id)
                .subquery("resolved_conditionals"))


def _as_flag(value: Any) -> int:
    if not isinstance(value, bool):
        raise ValueError(f"auto_resolved compares with true or false, got {value!r}")
    return int(value)


_BINARY: dict[str, Callable[[Any, Any], Expr]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
}


def apply_op(left: Any, op: str, right: Any, column: Any) -> Expr:
    """``left <op> right``; booleans bind through the column type (SQLite 0/1)."""
    if op == "is_null":
        return left.is_(None)
    if op == "is_not_null":
        return left.is_not(None)
    if op == "in":
        return left.in_(list(right))
    if op == "not_in":
        return left.not_in(list(right))
    if isinstance(right, bool) and column is not None:
        right = true() if right else false()
        if op == "eq":
            return left == right
        if op == "ne":
            return left != right
    if not hasattr(right, "__clause_element__") and not isinstance(right, ColumnElement):
        right = literal(right, type_=column.type) if column is not None else literal(right)
    return _BINARY[op](left, right)
