"""The warehouse data contract is declared once (shipping_core/contract.py) and every other form
agrees with it: the tap's stream schemas (what it writes), the card engine's SQLAlchemy tables
(what cards and reconciliation read) and the column lists of docs/data-contract.md.

The tap and the card engine never import each other (the layers in pyproject.toml), so only this
test sees both: a column added, renamed or re-typed in one form only fails here, naming it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, Numeric, String, Table

from metric_cards.warehouse import contract_tables
from shipping_core.contract import TABLES, TERMINAL_MILESTONES, ContractTable
from tap_shipping_exceptions.tap import TapShippingExceptions

CONFIG = {"api_key": "test-key", "api_url": "http://127.0.0.1:9/api"}
DOC = Path(__file__).resolve().parents[2] / "docs" / "data-contract.md"

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

#: contract kind -> the JSON type key of its stream property, and the type word in the document
JSON_TYPE_OF_KIND = {"string": "string", "timestamp": "string:date-time", "date": "string:date",
                     "integer": "integer", "boolean": "boolean", "object": "object",
                     "string_array": "array"}
DOC_TYPE_OF_KIND = {"string": "string", "timestamp": "timestamp", "date": "date",
                    "integer": "integer", "boolean": "boolean", "object": "object",
                    "string_array": "array"}


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


def _nullable(schema: dict[str, Any]) -> bool:
    options = schema.get("anyOf") or [schema]
    return any("null" in ([o.get("type")] if isinstance(o.get("type"), str) else
                          o.get("type", [])) for o in options)


def _doc_columns(text: str) -> dict[str, list[tuple[str, str]]]:
    """Per ``## `table``` section: (column, type word) in document order.

    A table row may name several columns (``origin_country, destination_country``); a section
    without a table lists its columns as backticked names, an ``(array)`` note giving a type.
    """
    sections: dict[str, list[tuple[str, str]]] = {}
    for match in re.finditer(r"^## `(\w+)`[^\n]*\n(.*?)(?=^## |\Z)", text, re.M | re.S):
        name, body = match.groups()
        rows = [line for line in body.splitlines() if line.startswith("|")]
        columns: list[tuple[str, str]] = []
        if rows:
            for row in rows[2:]:
                cells = [cell.strip() for cell in row.strip("|").split("|")]
                kind = cells[1].split(",")[0].strip()
                columns += [(column.strip(), kind) for column in cells[0].split(",")]
        else:
            paragraph = body.strip().split("\n\n")[0]
            for column, note in re.findall(r"`(\w+)`(?: \((\w+)\))?", paragraph):
                columns.append((column, note or "?"))
        sections[name] = columns
    return sections


def test_generated_forms_name_the_declared_tables() -> None:
    assert sorted(_streams()) == sorted(TABLES)
    assert sorted(_tables()) == sorted(TABLES)


@pytest.mark.parametrize("table", sorted(TABLES))
def test_stream_schema_is_the_declaration(table: str) -> None:
    declared: ContractTable = TABLES[table]
    stream = _streams()[table]
    properties = stream.schema["properties"]
    assert list(properties) == [c.name for c in declared.columns], (
        f"{table}: stream columns differ from shipping_core/contract.py")
    wrong = []
    for column in declared.columns:
        schema = properties[column.name]
        if _json_type(schema) != JSON_TYPE_OF_KIND[column.kind]:
            wrong.append(f"{table}.{column.name}: stream {_json_type(schema)}, "
                         f"declared {column.kind}")
        if _nullable(schema) == column.key:
            wrong.append(f"{table}.{column.name}: nullable {_nullable(schema)}, key {column.key}")
        if schema.get("description") != column.description:
            wrong.append(f"{table}.{column.name}: description differs")
    assert not wrong, "\n".join(wrong)
    assert tuple(stream.primary_keys) == declared.primary_key
    assert set(stream.schema.get("required", [])) == set(declared.primary_key)


@pytest.mark.parametrize("table", sorted(TABLES))
def test_card_table_is_the_declaration(table: str) -> None:
    declared = TABLES[table]
    columns = _tables()[table].columns
    assert list(columns.keys()) == [c.name for c in declared.columns]
    assert tuple(c.name for c in _tables()[table].primary_key.columns) == declared.primary_key


@pytest.mark.parametrize("table", sorted(_tables()))
def test_tap_and_cards_have_compatible_types(table: str) -> None:
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


@pytest.mark.parametrize("table", sorted(TABLES))
def test_document_lists_the_declared_columns(table: str) -> None:
    documented = _doc_columns(DOC.read_text(encoding="utf-8"))
    assert sorted(documented) == sorted(TABLES)
    names = [name for name, _ in documented[table]]
    assert len(names) == len(set(names)), f"docs/data-contract.md lists a {table} column twice"
    declared = TABLES[table]
    assert names == [c.name for c in declared.columns], (
        f"docs/data-contract.md {table}: only in the document "
        f"{sorted(set(names) - {c.name for c in declared.columns})}, only declared "
        f"{sorted({c.name for c in declared.columns} - set(names))}")
    wrong = [f"{table}.{name}: document says {kind}, declared {declared.column(name).kind}"
             for name, kind in documented[table]
             if kind != "?" and kind != DOC_TYPE_OF_KIND[declared.column(name).kind]]
    assert not wrong, "\n".join(wrong)


def test_the_checks_see_a_difference() -> None:
    """The comparisons themselves can fail: a re-typed column and a missing one are reported."""
    properties = {"occurred_at": {"type": ["string", "null"]}}
    assert _json_type(properties["occurred_at"]) == "string"
    assert not isinstance(_tables()["tracking_events"].columns["occurred_at"].type,
                          COMPATIBLE["string"])
    edited = DOC.read_text(encoding="utf-8").replace("| shippypro_code | integer |",
                                                     "| shippypro_code | string |")
    assert _doc_columns(edited)["tracking_events"] != _doc_columns(
        DOC.read_text(encoding="utf-8"))["tracking_events"]
    dropped = DOC.read_text(encoding="utf-8").replace("`services` (array), ", "")
    assert [n for n, _ in _doc_columns(dropped)["carriers"]] == [
        "carrier", "carrier_name", "taxonomy_version"]


def test_terminal_milestones_are_milestones_of_the_contract() -> None:
    """Every terminal milestone is a value the document allows and the mapping schema knows."""
    text = DOC.read_text("utf-8")
    row = next(line for line in text.splitlines() if line.startswith("| milestone |"))
    documented = re.findall(r"`(\w+)`", row)
    schema = json.loads((DOC.parents[1] / "tap_shipping_exceptions" / "normalize"
                         / "mapping.schema.json").read_text("utf-8"))
    assert set(TERMINAL_MILESTONES) <= set(documented), documented
    assert set(TERMINAL_MILESTONES) <= set(_enums(schema)), "mapping schema"


def _enums(node: Any) -> list[str]:
    """Every string of every ``enum`` in a JSON Schema document."""
    if isinstance(node, dict):
        found = [v for v in node.get("enum", []) if isinstance(v, str)]
        return found + [x for value in node.values() for x in _enums(value)]
    if isinstance(node, list):
        return [x for value in node for x in _enums(value)]
    return []
