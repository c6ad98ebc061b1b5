"""The data contract's two declarations agree: the tap's stream schemas (what it writes) and
the card engine's SQLAlchemy tables (what cards and reconciliation read).

The two packages never import each other (the layers in pyproject.toml), so only this test sees
both: a column added, renamed or re-typed on one side only fails here, naming it.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, Numeric, String, Table

from metric_cards.warehouse import contract_tables
from tap_shipping_exceptions.tap import TapShippingExceptions

CONFIG = {"api_key": "test-key", "api_url": "http://127.0.0.1:9/api"}

#: JSON Schema type (with format) -> SQLAlchemy types a loader may give that column
COMPATIBLE: dict[str, tuple[type, ...]] = {
    "string": (String,),
    "string:date-time": (DateTime,),
    "string:date": (Date,),
    "integer": (Integer,),
    "number": (Numeric, Float, Integer),
    "boolean": (Boolean,),
    "object": (JSON,),
    "array": (JSON,),
}


def _streams() -> dict[str, Any]:
    return TapShippingExceptions(config=CONFIG, parse_env_config=False).streams


def _tables() -> dict[str, Table]:
    tables = contract_tables(None)
    return {name: getattr(tables, name) for name in type(tables).__dataclass_fields__}


def _json_type(schema: dict[str, Any]) -> str:
    """``string:date-time``-style key of a property schema (null alternatives ignored)."""
    options = schema.get("anyOf") or [schema]
    kinds = set()
    for option in options:
        types = option.get("type", [])
        for kind in [types] if isinstance(types, str) else types:
            if kind != "null":
                kinds.add(f"{kind}:{option['format']}" if "format" in option else kind)
    assert len(kinds) == 1, f"ambiguous JSON type {sorted(kinds)} in {schema}"
    return kinds.pop()


def test_same_tables() -> None:
    assert sorted(_streams()) == sorted(_tables())


@pytest.mark.parametrize("table", sorted(_tables()))
def test_same_columns_with_compatible_types(table: str) -> None:
    properties = _streams()[table].schema["properties"]
    columns = _tables()[table].columns
    only_tap = sorted(set(properties) - set(columns.keys()))
    only_cards = sorted(set(columns.keys()) - set(properties))
    assert not only_tap and not only_cards, (
        f"{table}: columns only in tap_shipping_exceptions/schemas.py {only_tap}, "
        f"only in metric_cards/warehouse.py {only_cards}")
    wrong = []
    for name, column in columns.items():
        json_type = _json_type(properties[name])
        allowed = COMPATIBLE.get(json_type, ())
        if not isinstance(column.type, allowed):
            wrong.append(f"{table}.{name}: tap {json_type}, cards {type(column.type).__name__}")
        if json_type == "string:date-time" and not column.type.timezone:
            wrong.append(f"{table}.{name}: an instant (UTC) read as a naive timestamp")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("table", sorted(_tables()))
def test_same_primary_keys_and_they_are_required(table: str) -> None:
    stream = _streams()[table]
    keys = [c.name for c in _tables()[table].primary_key.columns]
    assert list(stream.primary_keys) == keys
    required = set(stream.schema.get("required", []))
    assert set(keys) <= required, f"{table}: primary key {keys} not required by the tap"


def test_the_check_sees_a_difference() -> None:
    """The comparison itself can fail: a re-typed column is reported."""
    properties = {"occurred_at": {"type": ["string", "null"]}}
    assert _json_type(properties["occurred_at"]) == "string"
    assert not isinstance(_tables()["tracking_events"].columns["occurred_at"].type,
                          COMPATIBLE["string"])
