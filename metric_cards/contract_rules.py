"""What the data contract asks of a warehouse column, and the check that names what is wrong.

``check_columns`` takes the columns a set of statements needs (``{table: {column: kind}}``) and a
function listing a warehouse table's columns, and raises ``WarehouseError`` naming the first
missing table, missing column or incompatible type. ``metric_cards.contract_check`` finds the
needed columns in SQLAlchemy statements; the plan-cache path of ``metric-cards evaluate`` reads
them from the plan recorded when those statements were compiled. No SQLAlchemy here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from metric_cards.errors import WarehouseError

#: What a contract column's type must be compatible with, by kind.
KIND_LABELS = {"timestamp": "a timestamp", "date": "a date (or ISO 8601 date text)",
               "text": "text", "integer": "an integer",
               "boolean": "a boolean", "json": "JSON or text"}

#: Words of a warehouse's type name (information_schema / SQLite declared type) per kind.
TYPE_WORDS = {
    "timestamp": ("timestamp", "datetime"),
    # target-duckdb 0.8.0 writes a JSON-Schema ``date`` as VARCHAR (read with ``as_date``)
    "date": ("date", "char", "text", "string"),
    "boolean": ("bool",),
    "integer": ("int", "numeric", "decimal", "number"),
    "json": ("json", "char", "text", "string", "clob"),
    "text": ("char", "text", "string", "clob", "enum"),
}
#: SQLite stores instants as ISO 8601 text and booleans as integers (its own conventions).
SQLITE_EXTRA = {"timestamp": ("char", "text", "string"), "boolean": ("int",)}

Needs = Mapping[str, Mapping[str, str]]


def compatible(expected: str, found: str, dialect: str) -> bool:
    """Whether a warehouse column of type name ``found`` can hold a column of kind ``expected``."""
    name = found.lower()
    words = TYPE_WORDS[expected] + (SQLITE_EXTRA.get(expected, ()) if dialect == "sqlite" else ())
    if dialect == "sqlite" and not name:
        return True  # a column without a declared type takes any value
    return any(word in name for word in words)


def columns_sql(table: str, schema: str | None) -> str:
    """The information-schema query listing a table's (column name, type name); ``table`` and
    ``schema`` are SQL expressions (bind markers or literals), ``schema`` None = current one."""
    return ("select column_name, data_type from information_schema.columns "
            f"where table_name = {table} and table_schema = {schema or 'current_schema()'}")


def check_columns(needed: Needs, columns_of: Callable[[str], dict[str, str]], *, dialect: str,
                  schema: str | None, url: str, purpose: str) -> None:
    """Raise WarehouseError naming the first missing or mistyped column ``needed`` lists.

    ``columns_of(table)`` returns ``{column name (lower case): type name}`` ({} when the table
    does not exist) and raises WarehouseError when the warehouse cannot list them.
    """
    where = f"schema {schema!r}" if schema else "the default schema"
    for table in sorted(needed):
        reflected = columns_of(table)
        if not reflected:
            raise WarehouseError(f"warehouse {url}: table {table!r} not found in {where} "
                                 f"({purpose} needs it; pass --schema to choose another schema)")
        for name in sorted(needed[table]):
            expected = needed[table][name]
            found = reflected.get(name.lower())
            if found is None:
                raise WarehouseError(f"warehouse {url}: column {table}.{name} is missing in "
                                     f"{where} ({purpose} needs it as {KIND_LABELS[expected]})")
            if not compatible(expected, found, dialect):
                raise WarehouseError(f"warehouse {url}: column {table}.{name} has type "
                                     f"{found or 'none'} in {where}; {purpose} needs "
                                     f"{KIND_LABELS[expected]}")
