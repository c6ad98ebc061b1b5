"""Send DuckDB card queries with their parameters written in as typed SQL literals.

DuckDB's Python driver imports pandas (~0.3 s, more than the query) the first time it binds
*any* parameter, to recognise pandas values. A card query binds only plain values, so for DuckDB
they are rendered as typed literals instead (``'text'::VARCHAR``, ``TIMESTAMP '…'``, ``42``) and
the statement goes out without parameters; the driver never touches pandas. A statement holding
a value of any other type is sent unchanged, with its parameters, as before. The SQLAlchemy hook
that applies this is ``metric_cards.dialect.send_literals``; this module imports no SQLAlchemy
(the plan-cache path renders its information-schema lookups with ``sql_literal`` too).

Placeholders (``$1``…, DuckDB's numeric style) are found outside quoted strings and identifiers
only. DuckDB strings have no backslash escapes, so doubling ``'`` is the whole of string quoting.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\$(\d+)")


class _NotLiteral(Exception):
    """A value this module does not render; the statement keeps its parameters."""


def sql_literal(value: Any) -> str:
    """``value`` as a DuckDB literal of the type the driver would have bound it as."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value) if -(2**63) <= value < 2**63 else f"{value}::HUGEINT"
    if isinstance(value, float):
        return f"{value!r}::DOUBLE" if math.isfinite(value) else f"'{value!r}'::DOUBLE"
    if isinstance(value, Decimal) and value.is_finite():
        return str(value)
    if isinstance(value, str):
        if "\x00" in value:
            raise _NotLiteral
        return "'" + value.replace("'", "''") + "'::VARCHAR"
    if isinstance(value, datetime):
        kind = "TIMESTAMPTZ" if value.tzinfo is not None else "TIMESTAMP"
        return f"{kind} '{value.isoformat(sep=' ')}'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, time) and value.tzinfo is None:
        return f"TIME '{value.isoformat()}'"
    raise _NotLiteral


def inline_parameters(statement: str, parameters: Sequence[Any]) -> str | None:
    """``statement`` with ``$n`` replaced by literals, or None if a value can't be rendered."""
    try:
        literals = [sql_literal(v) for v in parameters]
    except _NotLiteral:
        return None

    def replace(match: re.Match[str]) -> str:
        number = match.group(1)
        if number is None:
            return match.group(0)
        return literals[int(number) - 1]

    try:
        return _TOKENS.sub(replace, statement)
    except IndexError:
        return None
