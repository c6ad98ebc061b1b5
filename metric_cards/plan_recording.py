"""``metric-cards evaluate`` through SQLAlchemy, recording the plans a warm process reuses.

The cold half of ``metric_cards.warm_evaluate``: the card is evaluated exactly as
``metric_cards.evaluate.evaluate`` does; on a plain DuckDB file with the plan cache on, the
statements SQLAlchemy compiled (as DuckDB received them) are stored under keys that cover the
card file's bytes, the code and every parameter (``metric_cards.plan_cache``). The card is
parsed from the very bytes the key hashes, so a plan never pairs one version of a card file with
another's key.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from metric_cards.connection import open_engine
from metric_cards.default_as_of import LATEST, NOW, as_of_choice, resolve_as_of
from metric_cards.definitions import CardDefinition, parse_definition
from metric_cards.errors import CardDefinitionError
from metric_cards.evaluate import evaluate
from metric_cards.params import parse_assignments
from metric_cards.plan_cache import PlanCache, card_key, latest_key
from metric_cards.readers import Plan
from metric_cards.registry import get_card
from metric_cards.warm_evaluate import Request, card_bytes, duckdb_file

log = logging.getLogger(__name__)


def recordable(request: Request, cache: PlanCache | None,
               card: CardDefinition) -> tuple[bytes, CardDefinition] | None:
    """(card file bytes, the card parsed from them) when this evaluation can be recorded."""
    if cache is None or duckdb_file(request.url) is None:
        return None
    if (request.as_of or "").strip().lower() == NOW:
        return None  # a wall-clock instant is never asked for twice
    found = card_bytes(request.card_id)
    if found is None or found[0] != card.path:
        return None
    path, data = found
    try:
        return data, parse_definition(data.decode("utf-8"), str(path), path)
    except (CardDefinitionError, UnicodeDecodeError):
        return None


def evaluate_and_record(request: Request, cache: PlanCache | None,
                        as_of: datetime | None = None) -> dict[str, Any]:
    """The payload through SQLAlchemy; ``as_of`` is an instant already read (else --as-of)."""
    card = get_card(request.card_id)
    overrides = parse_assignments(request.assignments)
    engine = open_engine(request.url)
    recorded = recordable(request, cache, card)
    if recorded is not None:
        card = recorded[1]
    latest_plan = Plan() if recorded is not None and as_of is None and \
        as_of_choice(request.as_of) == LATEST else None
    card_plan = Plan(card=card.data) if recorded is not None else None
    try:
        moment = as_of or resolve_as_of(request.as_of, engine, request.schema, plan=latest_plan)
        payload = evaluate(card, engine, moment, timezone=request.timezone, params=overrides,
                           schema=request.schema, plan=card_plan)
    finally:
        engine.dispose()
    if cache is not None and recorded is not None:
        if latest_plan is not None:
            cache.store(latest_key(request.schema), latest_plan)
        if card_plan is not None:
            cache.store(card_key(recorded[0], request.schema, request.timezone,
                                 request.assignments, moment), card_plan)
    return payload
