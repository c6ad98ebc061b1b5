"""A card's filter conditions as typed, frozen values (what ``metric_cards.filters`` compiles).

Built by :func:`build_conditions` from a definition that already passed the JSON Schema and
the semantic checks of ``metric_cards.definitions``, so the builders trust the document's shape:
a condition is exactly one of a field comparison (:class:`Compare`), an ``any_of``
(:class:`AnyOf`), a ``has_event`` (:class:`HasEvent`, whose ``where`` items are
:class:`EventCompare`) or a ``promise`` (:class:`PromiseState`); each may carry a ``when``
switch that turns it on or off for one evaluation. Lists in the document become tuples.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Scalar = str | int | float | bool
Operand = Scalar | tuple[Scalar, ...] | None


@dataclass(frozen=True)
class When:
    """The condition applies only when boolean parameter ``param`` equals ``equals``."""

    param: str
    equals: bool


@dataclass(frozen=True)
class Compare:
    """``<shipment field> <op>`` a literal ``value``, another shipment ``column``, or the
    reading instant (``instant`` = ``"as_of"``); ``is_null`` / ``is_not_null`` take none."""

    field: str
    op: str
    value: Operand = None
    column: str | None = None
    instant: str | None = None
    when: When | None = None


@dataclass(frozen=True)
class EventCompare:
    """``<tracking-event field> <op> value`` inside a ``has_event`` (literal values only)."""

    field: str
    op: str
    value: Operand = None
    when: When | None = None


@dataclass(frozen=True)
class HasEvent:
    """The shipment has an event (up to the reading instant) meeting every ``where`` item."""

    where: tuple[EventCompare, ...]
    when: When | None = None


@dataclass(frozen=True)
class AnyOf:
    """At least one of ``conditions`` holds (those switched off by ``when`` left out)."""

    conditions: tuple[Condition, ...]
    when: When | None = None


@dataclass(frozen=True)
class PromiseState:
    """The shipment's delivery promise is ``given``, ``kept`` or ``missed``."""

    promise: str
    when: When | None = None


Condition = Compare | AnyOf | HasEvent | PromiseState


def build_conditions(documents: Sequence[dict[str, Any]]) -> tuple[Condition, ...]:
    """Typed conditions of a validated ``filters`` list, in document order."""
    return tuple(build_condition(document) for document in documents)


def build_condition(document: dict[str, Any]) -> Condition:
    """One validated shipment condition as its typed form."""
    when = _when(document)
    if "any_of" in document:
        return AnyOf(build_conditions(document["any_of"]), when)
    if "has_event" in document:
        where = tuple(EventCompare(item["field"], item["op"], _operand(item.get("value")),
                                   _when(item))
                      for item in document["has_event"]["where"])
        return HasEvent(where, when)
    if "promise" in document:
        return PromiseState(document["promise"], when)
    return Compare(document["field"], document["op"], _operand(document.get("value")),
                   document.get("column"), document.get("instant"), when)


def _when(document: dict[str, Any]) -> When | None:
    when = document.get("when")
    return None if when is None else When(when["param"], when["equals"])


def _operand(value: Any) -> Operand:
    return tuple(value) if isinstance(value, list) else value
