"""``metric-cards evaluate`` on DuckDB from a cached plan: no SQLAlchemy, no YAML, no JSON Schema.

The first evaluation of a card (for a schema, time zone, ``--set`` list and reading instant)
compiles its statements with SQLAlchemy and stores the plan (``metric_cards.plan_cache``); the
next identical one finds it and runs the recorded SQL on DuckDB's own connection
(``metric_cards.native_duckdb``), with the same contract check and the same Python that turns
rows into the payload (``metric_cards.card_reading``). With ``--as-of latest`` (the default) the
reading instant is itself read through a cached plan first.

Only plain ``duckdb:///<file>`` URLs of an existing file take this path (no query options, no
in-memory or MotherDuck database), and only packaged cards. Anything else, and any cache miss,
returns ``Cold``: the caller evaluates through SQLAlchemy as before and records the plans for
next time.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from metric_cards.card_reading import prepare, read_card
from metric_cards.default_as_of import LATEST, as_of_choice, latest_or_now, log_latest
from metric_cards.definitions import validated_again
from metric_cards.params import parse_assignments
from metric_cards.plan_cache import PlanCache, card_key, latest_key
from metric_cards.readers import PlanIncomplete
from metric_cards.registry import card_file

log = logging.getLogger(__name__)
PREFIX = "duckdb:///"


def duckdb_file(url: str) -> Path | None:
    """The database file of a plain ``duckdb:///<path>`` URL, else None."""
    if not url.startswith(PREFIX) or any(c in url for c in "?#%@"):
        return None
    database = url[len(PREFIX):]
    if database in ("", ":memory:") or database.startswith(("md:", "motherduck:")):
        return None
    return Path(database)


@dataclass(frozen=True)
class Cold:
    """Evaluate through SQLAlchemy; ``as_of`` is the instant already read, if any."""

    reason: str
    as_of: datetime | None = None


@dataclass(frozen=True)
class Request:
    url: str
    card_id: str
    as_of: str | None
    timezone: str | None
    assignments: Sequence[str]
    schema: str | None


def card_bytes(card_id: str) -> tuple[Path, bytes] | None:
    path = card_file(card_id)
    if path is None:
        return None
    try:
        return path, path.read_bytes()
    except OSError:
        return None


def evaluate_warm(request: Request, cache: PlanCache | None) -> dict[str, Any] | Cold:
    """The payload from cached plans, or ``Cold`` saying why not."""
    path = duckdb_file(request.url)
    if cache is None or path is None:
        return Cold("no plan cache for this warehouse URL")
    card = card_bytes(request.card_id)
    if card is None or not path.is_file():
        return Cold("not a packaged card file, or no warehouse file")
    card_path, text = card
    choice = as_of_choice(request.as_of)
    latest_plan = cache.load(latest_key(request.schema)) if choice == LATEST else None
    if choice == LATEST and latest_plan is None:
        return Cold("no plan for the latest instant")
    from metric_cards.native_duckdb import PlanReader

    reader = PlanReader(path, request.url, request.schema)
    moment: datetime | None = None
    try:
        if latest_plan is not None:
            reader.use(latest_plan)
            moment = latest_or_now(reader)
            log_latest(moment)
        else:
            assert isinstance(choice, datetime)
            moment = choice
        key = card_key(text, request.schema, request.timezone, request.assignments, moment)
        plan = cache.load(key)
        if plan is None or not isinstance(plan.card, dict):
            return Cold("no plan for this card, instant and parameters", moment)
        definition = validated_again(plan.card, card_path)
        if definition is None:
            return Cold("cached card document no longer valid here", moment)
        resolved, moment, window, prior = prepare(definition,
                                                  parse_assignments(request.assignments),
                                                  moment, request.timezone)
        reader.use(plan)
        if definition.stall is not None:
            from metric_cards.stalled import evaluate_stalled
            payload = evaluate_stalled(reader, definition, resolved, moment, request.timezone)
        else:
            payload = read_card(reader, definition, resolved, moment, window, prior)
    except PlanIncomplete as exc:
        return Cold(f"cached plan lacks statement {exc}", moment)
    finally:
        reader.close()
    log.info("card %s read through a cached plan (%s)", definition.id, cache.directory)
    return payload
