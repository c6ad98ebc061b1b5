"""How an evaluation reads the warehouse: named statements, checked and run by a reader.

An evaluation (``metric_cards.card_reading``, ``metric_cards.default_as_of``) asks for its
statements by name: ``check(names, purpose)`` checks the warehouse against the data contract
for the columns those statements need, ``rows(name)`` runs one and returns its column names and
rows. Two readers implement this: ``metric_cards.sql_reader.SqlReader`` builds each statement
with SQLAlchemy (the one home of every card query) and may record the SQL it sent in a ``Plan``;
``metric_cards.native_duckdb.PlanReader`` runs a recorded plan through DuckDB's own connection,
without importing SQLAlchemy. No SQLAlchemy here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


class QueryFailed(Exception):
    """A statement failed in the warehouse; ``detail`` is the driver's first line."""

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(f"{name}: {detail}")
        self.name = name
        self.detail = detail


class PlanIncomplete(LookupError):
    """A plan lacks a statement the evaluation asked for (the caller compiles afresh)."""


@dataclass(frozen=True)
class Rows:
    keys: tuple[str, ...]
    rows: list[tuple[Any, ...]]


@dataclass
class Plan:
    """What a warm process needs to repeat an evaluation without SQLAlchemy.

    ``statements``: name -> ``{"needs": {table: {column: kind}}, "sql": str | None, "keys":
    [...]}`` (``sql`` None for a statement only checked, never run); ``card``: the card document
    as validated, when the plan is a card's; ``complete`` turns False when a statement went out
    with bound parameters (such a plan is not stored).
    """

    statements: dict[str, dict[str, Any]] = field(default_factory=dict)
    card: dict[str, Any] | None = None
    complete: bool = True

    def as_json(self) -> dict[str, Any]:
        return {"statements": self.statements, "card": self.card}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        return cls(dict(data["statements"]), data.get("card"))


class Reader(Protocol):
    url: str  # the warehouse, password hidden (for messages)

    def check(self, names: Sequence[str], purpose: str) -> None: ...

    def rows(self, name: str) -> Rows: ...


def merged_needs(needs: Sequence[dict[str, dict[str, str]]]) -> dict[str, dict[str, str]]:
    """The union of several statements' ``{table: {column: kind}}``."""
    out: dict[str, dict[str, str]] = {}
    for need in needs:
        for table, columns in need.items():
            out.setdefault(table, {}).update(columns)
    return out
