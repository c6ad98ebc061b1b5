"""The SQLAlchemy reader: builds each named statement, checks it against the contract, runs it.

Statements are built on first use by the evaluation's ``build(name)`` (``builders`` turns a
dict of builders into one). With a ``Plan`` to
record into (DuckDB only), each statement's needed columns and the exact SQL text the driver
received are kept: DuckDB statements go out with their parameters as literals
(``metric_cards.dialect.send_literals``), so that text is the whole statement; one that still
carries bound parameters marks the plan incomplete and it is not stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from metric_cards.connection import safe_url
from metric_cards.contract_check import check_needs, needed_kinds
from metric_cards.readers import Plan, QueryFailed, Rows, merged_needs

Build = Callable[[str], Any]


def builders(named: dict[str, Callable[[], Any]]) -> Build:
    """``build(name)`` over a fixed set of statement builders."""
    return lambda name: named[name]()


class SqlReader:
    def __init__(self, conn: Connection, schema: str | None, build: Build,
                 plan: Plan | None = None) -> None:
        self.conn = conn
        self.schema = schema
        self.url = safe_url(conn.engine)
        self._build = build
        self._built: dict[str, Any] = {}
        self._needs: dict[str, dict[str, dict[str, str]]] = {}
        self._plan = plan if plan is not None and conn.dialect.name == "duckdb" else None
        self._sent: list[tuple[str, Any]] = []
        if self._plan is not None:
            event.listen(conn, "before_cursor_execute", self._capture)

    def _capture(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                 executemany: bool) -> None:
        self._sent.append((statement, parameters))

    def statement(self, name: str) -> Any:
        if name not in self._built:
            self._built[name] = self._build(name)
            self._needs[name] = needed_kinds([self._built[name]])
            if self._plan is not None:
                self._plan.statements.setdefault(name, {"needs": self._needs[name], "sql": None,
                                                        "keys": None})
        return self._built[name]

    def check(self, names: Sequence[str], purpose: str) -> None:
        for name in names:
            self.statement(name)
        check_needs(self.conn, self.schema, merged_needs([self._needs[n] for n in names]),
                    purpose)

    def rows(self, name: str) -> Rows:
        statement = self.statement(name)
        self._sent.clear()
        try:
            result = self.conn.execute(statement)
            keys = tuple(result.keys())
            rows = [tuple(r) for r in result]
        except SQLAlchemyError as exc:
            raise QueryFailed(name, str(exc).splitlines()[0]) from exc
        if self._plan is not None:
            entry = self._plan.statements[name]
            if len(self._sent) == 1 and not self._sent[0][1]:
                entry["sql"], entry["keys"] = self._sent[0][0], list(keys)
            else:
                self._plan.complete = False
        return Rows(keys, rows)

    def close(self) -> None:
        if self._plan is not None and event.contains(self.conn, "before_cursor_execute",
                                                     self._capture):
            event.remove(self.conn, "before_cursor_execute", self._capture)
