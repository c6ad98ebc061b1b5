"""JSON Schemas of the three streams, generated from the data contract (shipping_core/contract.py).

Timestamps are ``date-time`` strings in UTC (``Z``); ``raw`` keeps the API's object untouched
(``additionalProperties`` allowed, no declared properties, so it survives schema flattening as
one JSON column). Primary keys are non-nullable strings; every other column may be null.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from singer_sdk import typing as th

from shipping_core.contract import CARRIERS as CARRIERS_TABLE
from shipping_core.contract import KINDS, ContractColumn, ContractTable
from shipping_core.contract import SHIPMENTS as SHIPMENTS_TABLE
from shipping_core.contract import TRACKING_EVENTS as TRACKING_EVENTS_TABLE

#: ``raw``: an object of any shape. No ``properties`` on purpose: with ``flattening_enabled`` the
#: SDK then keeps ``raw`` as one column holding the object as JSON text (every key kept) instead
#: of recursing into an empty property list and emitting undeclared ``raw__*`` keys a loader
#: drops. Unflattened, loaders store it as a JSON column (jsonb, DuckDB JSON).
RAW_SCHEMA: dict = {"type": ["object", "null"], "additionalProperties": True}
RAW = th.CustomType(RAW_SCHEMA)

#: contract kind -> singer-sdk type for a column (``required``: the primary key, non-nullable)
_JSON_TYPES: dict[str, Callable[[bool], Any]] = {
    "string": lambda required: th.StringType(nullable=not required),
    "timestamp": lambda required: th.DateTimeType(nullable=not required),
    "date": lambda required: th.DateType(nullable=not required),
    "integer": lambda required: th.IntegerType(nullable=not required),
    "boolean": lambda required: th.BooleanType(nullable=not required),
    "object": lambda required: RAW,
    "string_array": lambda required: th.ArrayType(th.StringType, nullable=not required),
}
assert set(_JSON_TYPES) == KINDS, "every contract kind needs a JSON Schema type"


def _property(column: ContractColumn) -> th.Property:
    return th.Property(column.name, _JSON_TYPES[column.kind](column.key), required=column.key,
                       description=column.description)


def stream_schema(table: ContractTable) -> dict:
    """The JSON Schema of the stream that lands ``table``."""
    return th.PropertiesList(*(_property(column) for column in table.columns)).to_dict()


SHIPMENTS = stream_schema(SHIPMENTS_TABLE)
TRACKING_EVENTS = stream_schema(TRACKING_EVENTS_TABLE)
CARRIERS = stream_schema(CARRIERS_TABLE)
