"""Run a recorded plan (``metric_cards.readers.Plan``) through DuckDB's own connection.

The warm path of ``metric-cards evaluate``: the statements were built and compiled by
SQLAlchemy in an earlier process and recorded with the exact SQL DuckDB received; here they run
on ``duckdb.connect`` with the same session setup (``metric_cards.session_setup``) and the same
contract check (``metric_cards.contract_rules``, columns listed with literals so the driver never
binds a parameter and never imports pandas). No SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from metric_cards.contract_rules import check_columns, columns_sql
from metric_cards.duckdb_literals import sql_literal
from metric_cards.errors import WarehouseError
from metric_cards.readers import Plan, PlanIncomplete, QueryFailed, Rows, merged_needs
from metric_cards.session_setup import SESSION_SETUP


def first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]


class PlanReader:
    """A ``Reader`` over one DuckDB file for the statements of recorded plans."""

    def __init__(self, path: Path, url: str, schema: str | None) -> None:
        self.url = url
        self.schema = schema
        self.plan = Plan()
        try:
            self.con = duckdb.connect(str(path))
            for statement in SESSION_SETUP["duckdb"]:
                self.con.execute(statement)
        except duckdb.Error as exc:
            raise WarehouseError(f"cannot reach warehouse {url}: {first_line(exc)}") from exc

    def use(self, plan: Plan) -> None:
        """Read the statements of ``plan`` from now on."""
        self.plan = plan

    def _entry(self, name: str) -> dict[str, Any]:
        try:
            return self.plan.statements[name]
        except KeyError:
            raise PlanIncomplete(name) from None

    def check(self, names: Sequence[str], purpose: str) -> None:
        needed = merged_needs([self._entry(n)["needs"] for n in names])
        check_columns(needed, self._columns_of, dialect="duckdb", schema=self.schema,
                      url=self.url, purpose=purpose)

    def _columns_of(self, table: str) -> dict[str, str]:
        sql = columns_sql(sql_literal(table),
                          sql_literal(self.schema) if self.schema else None)
        try:
            rows = self.con.execute(sql).fetchall()
        except duckdb.Error as exc:
            raise WarehouseError(f"warehouse {self.url}: cannot list the columns of {table!r} "
                                 f"({first_line(exc)})") from exc
        return {str(r[0]).lower(): str(r[1]) for r in rows}

    def rows(self, name: str) -> Rows:
        entry = self._entry(name)
        if entry["sql"] is None:
            raise PlanIncomplete(name)
        try:
            rows = self.con.execute(entry["sql"]).fetchall()
        except duckdb.Error as exc:
            raise QueryFailed(name, first_line(exc)) from exc
        return Rows(tuple(entry["keys"]), rows)

    def close(self) -> None:
        self.con.close()
