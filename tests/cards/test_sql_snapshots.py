"""Compiled-SQL snapshots for Postgres (dialect compile only, no server).

Regenerate after an intended change with ``UPDATE_SNAPSHOTS=1 pytest tests/cards``.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.dialects import postgresql

from metric_cards.params import resolve
from metric_cards.query import aggregate_query
from metric_cards.reading import card_windows
from metric_cards.registry import get_card, packaged_cards

SNAPSHOTS = Path(__file__).parent / "snapshots"
AS_OF = datetime(2026, 4, 5, 8, 0, tzinfo=UTC)
VARIANTS = [(card_id, {}) for card_id, card in sorted(packaged_cards().items())
            if "stall" not in card.data] + [  # stall cards: test_stalled_shipments.py
    ("exception_rate", {"include_transient": False, "exclude_returns": False,
                        "carriers": "brt,gls"})]


def compiled(card_id: str, params: dict) -> str:
    card = get_card(card_id)
    window, prior = card_windows(card, AS_OF, "Europe/Rome")
    query, _ = aggregate_query(card, resolve(card, params), AS_OF, window, prior, "raw")
    compiled_sql = query.compile(dialect=postgresql.dialect())
    bound = "\n".join(f"--   {k} = {v!r}" for k, v in sorted(compiled_sql.params.items()))
    return f"{compiled_sql}\n-- bound parameters:\n{bound}\n"


@pytest.mark.parametrize(("card_id", "params"), VARIANTS,
                         ids=[f"{c}{'-variant' if p else ''}" for c, p in VARIANTS])
def test_postgres_sql_snapshot(card_id, params):
    text = compiled(card_id, params)
    path = SNAPSHOTS / f"{card_id}{'.variant' if params else ''}.postgresql.sql"
    if os.environ.get("UPDATE_SNAPSHOTS") or not path.exists():
        if not os.environ.get("UPDATE_SNAPSHOTS"):
            pytest.fail(f"missing snapshot {path}; run with UPDATE_SNAPSHOTS=1 to create it")
        path.write_text(text)
    assert text == path.read_text()


def test_values_are_bound_not_inlined():
    text = compiled("exception_rate", {"include_transient": False, "carriers": "brt,gls"})
    sql = text.split("-- bound parameters:")[0]
    for literal in ("'brt'", "'damage_lost'", "'conditional'", "2026-"):
        assert literal not in sql
    assert "'brt'" in text.split("-- bound parameters:")[1]
    # the only inlined constant is the fixed 72-hour auto-resolution horizon from code
    assert "INTERVAL '72 hours'" in sql
