"""Evaluate a card in the warehouse: the public entry point ``evaluate``.

It resolves the card and its parameters, reads the windows, builds the card's statements with
SQLAlchemy (``metric_cards.query``, ``metric_cards.classification_coverage``) and reads them
through ``metric_cards.card_reading`` (contract check, aggregate, watermark, coverage, payload);
a stall card is read at the instant (``metric_cards.stalled``, SQL in ``metric_cards.stall_sql``).
Given a ``Plan`` on DuckDB, the statements' SQL is recorded for ``metric_cards.warm_evaluate``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from metric_cards.card_reading import prepare, read_card
from metric_cards.classification_coverage import coverage_query
from metric_cards.connection import connect, open_engine
from metric_cards.definitions import CardDefinition
from metric_cards.params import CardParams
from metric_cards.query import aggregate_query, freshness_query
from metric_cards.readers import Plan
from metric_cards.registry import get_card
from metric_cards.sql_reader import SqlReader, builders
from shipping_core.windows import Window

log = logging.getLogger(__name__)


def card_statements(card: CardDefinition, params: CardParams, as_of: datetime, window: Window,
                    prior: Window, schema: str | None) -> dict[str, Callable[[], Any]]:
    """Builders of the statements ``card_reading.read_card`` reads, by name."""
    return {"aggregate": lambda: aggregate_query(card, params, as_of, window, prior, schema)[0],
            "freshness": lambda: freshness_query(schema),
            "coverage": lambda: coverage_query(schema, window)}


def evaluate(card: CardDefinition | str, engine: Engine | str, as_of: datetime | str,
             timezone: str | None = None, params: dict[str, Any] | None = None,
             schema: str | None = "raw", plan: Plan | None = None) -> dict[str, Any]:
    """Evaluate ``card`` as of ``as_of`` in ``timezone`` (default: the card's, UTC).

    ``engine`` is a SQLAlchemy Engine or URL; ``schema`` qualifies the contract tables
    (``raw`` for the DuckDB loader, ``None`` for SQLite). ``params`` overrides the card's
    parameters (``exclude_returns``, ``include_transient``, thresholds, ``min_sample``,
    ``carriers``). ``plan``, if given, records the statements as DuckDB received them.
    Returns the card payload (JSON-serialisable dict).
    """
    definition = get_card(card) if isinstance(card, str) else card
    resolved, moment, window, prior = prepare(definition, params, as_of, timezone)
    owned = isinstance(engine, str)
    eng = open_engine(engine) if isinstance(engine, str) else engine
    try:
        with connect(eng) as conn:
            if definition.stall is not None:  # read at the instant (metric_cards.stalled)
                from metric_cards.stall_sql import stall_statements
                from metric_cards.stalled import StallRule, evaluate_stalled
                build = stall_statements(definition, resolved, StallRule.of(definition),
                                         timezone or definition.timezone, schema)
                reader = SqlReader(conn, schema, build, plan)
                try:
                    return evaluate_stalled(reader, definition, resolved, moment, timezone)
                finally:
                    reader.close()
            reader = SqlReader(conn, schema, builders(card_statements(
                definition, resolved, moment, window, prior, schema)), plan)
            try:
                return read_card(reader, definition, resolved, moment, window, prior)
            finally:
                reader.close()
    finally:
        if owned:
            eng.dispose()
