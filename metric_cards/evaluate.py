"""Evaluate a card in the warehouse: the public entry point ``evaluate``.

It resolves the card and its parameters, reads the windows, checks the warehouse against the
data contract, runs the card's query (``metric_cards.query``) and builds the payload
(``metric_cards.payload``); a stall card is read at the instant (``metric_cards.stalled``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from metric_cards.classification_coverage import classification_coverage
from metric_cards.connection import connect, open_engine
from metric_cards.contract_check import check_contract
from metric_cards.definitions import CardDefinition
from metric_cards.params import resolve
from metric_cards.payload import build_payload
from metric_cards.query import (
    aggregate,
    aggregate_query,
    card_windows,
    freshness_query,
    latest_sync,
)
from metric_cards.registry import get_card
from shipping_core.windows import iso_utc, parse_instant, window_ending_before

log = logging.getLogger(__name__)


def evaluate(card: CardDefinition | str, engine: Engine | str, as_of: datetime | str,
             timezone: str | None = None, params: dict[str, Any] | None = None,
             schema: str | None = "raw") -> dict[str, Any]:
    """Evaluate ``card`` as of ``as_of`` in ``timezone`` (default: the card's, UTC).

    ``engine`` is a SQLAlchemy Engine or URL; ``schema`` qualifies the contract tables
    (``raw`` for the DuckDB loader, ``None`` for SQLite). ``params`` overrides the card's
    parameters (``exclude_returns``, ``include_transient``, thresholds, ``min_sample``,
    ``carriers``). Returns the card payload (JSON-serialisable dict).
    """
    definition = get_card(card) if isinstance(card, str) else card
    resolved = resolve(definition, params)
    moment = parse_instant(as_of) if isinstance(as_of, str) else as_of
    if moment.tzinfo is None:
        raise ValueError("as_of: expected a timezone-aware instant, got a naive datetime")
    moment = moment.astimezone(UTC)
    window, prior = card_windows(definition, moment, timezone)
    owned = isinstance(engine, str)
    eng = open_engine(engine) if isinstance(engine, str) else engine
    try:
        with connect(eng) as conn:
            if definition.stall is not None:  # read at the instant (metric_cards.stalled)
                from metric_cards.stalled import StallRule, evaluate_stalled, in_flight_set
                zone_name = timezone or definition.timezone
                lookback = window_ending_before(moment, zone_name, definition.window_days)
                flight = in_flight_set(definition, resolved, StallRule.of(definition),
                                       as_of=moment, start=lookback.start, timezone=zone_name,
                                       schema=schema)
                check_contract(conn, schema, [flight, freshness_query(schema)],
                               f"card {definition.id}")
                return evaluate_stalled(conn, definition, resolved, moment, timezone, schema,
                                        latest_sync(conn, schema))
            query = aggregate_query(definition, resolved, moment, window, prior, schema)[0]
            check_contract(conn, schema, [query, freshness_query(schema)],
                           f"card {definition.id}")
            reading = aggregate(conn, definition, resolved, moment, window, prior, schema)
            watermark = latest_sync(conn, schema)
            quality = classification_coverage(conn, schema, window)
    finally:
        if owned:
            eng.dispose()
    log.info("evaluated card %s as of %s (%s, schema %s)", definition.id, iso_utc(moment),
             window.timezone, schema)
    payload = build_payload(definition, resolved, moment, window, prior, reading, watermark)
    payload.setdefault("data_quality", {}).update(quality)
    return payload
