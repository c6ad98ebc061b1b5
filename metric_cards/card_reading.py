"""One card's reading from named statements: contract check, aggregate, watermark, coverage.

``read_card`` is the evaluation of a window card (every card without a ``stall`` block) once
its statements exist: ``aggregate`` (``metric_cards.query.aggregate_query``), ``freshness``
(``freshness_query``) and ``coverage`` (``metric_cards.classification_coverage``). It runs on
any ``metric_cards.readers.Reader``: SQLAlchemy's (``metric_cards.evaluate``) or a recorded
plan's (``metric_cards.warm_evaluate``), so both paths share every line that turns rows into
the payload. No SQLAlchemy here.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from metric_cards.classification_coverage import coverage_figures
from metric_cards.definitions import CardDefinition
from metric_cards.errors import WarehouseError
from metric_cards.instants import to_utc
from metric_cards.params import CardParams, resolve
from metric_cards.payload import build_payload
from metric_cards.readers import QueryFailed, Reader
from metric_cards.reading import Reading, card_windows
from shipping_core.windows import Window, iso_utc, parse_instant

log = logging.getLogger(__name__)

#: The statements of a window card, in the order they run.
CARD_STATEMENTS = ("aggregate", "freshness", "coverage")


def prepare(card: CardDefinition, params: dict[str, Any] | None, as_of: datetime | str,
            timezone: str | None) -> tuple[CardParams, datetime, Window, Window]:
    """(resolved parameters, reading instant in UTC, window, prior window) of an evaluation."""
    resolved = resolve(card, params)
    moment = parse_instant(as_of) if isinstance(as_of, str) else as_of
    if moment.tzinfo is None:
        raise ValueError("as_of: expected a timezone-aware instant, got a naive datetime")
    moment = moment.astimezone(UTC)
    window, prior = card_windows(card, moment, timezone)
    return resolved, moment, window, prior


def read_card(reader: Reader, card: CardDefinition, params: CardParams, as_of: datetime,
              window: Window, prior: Window) -> dict[str, Any]:
    """The payload of window card ``card`` read at ``as_of``."""
    reader.check(("aggregate", "freshness"), f"card {card.id}")
    try:
        aggregated = reader.rows("aggregate")
    except QueryFailed as exc:
        raise WarehouseError(f"card {card.id}: query failed on {reader.url}: {exc.detail}"
                             ) from exc
    reading = Reading(aggregated.keys[1:-2], aggregated.rows)
    try:
        watermark = to_utc(reader.rows("freshness").rows[0][0])
    except QueryFailed as exc:
        raise WarehouseError(f"card {card.id}: freshness query failed on {reader.url}: "
                             f"{exc.detail}") from exc
    try:
        quality = coverage_figures(reader.rows("coverage").rows[0])
    except QueryFailed as exc:
        raise WarehouseError(f"classification_coverage: query failed: {exc.detail}") from exc
    log.info("evaluated card %s as of %s (%s)", card.id, iso_utc(as_of), window.timezone)
    payload = build_payload(card, params, as_of, window, prior, reading, watermark)
    payload.setdefault("data_quality", {}).update(quality)
    return payload
