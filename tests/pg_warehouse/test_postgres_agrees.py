"""Postgres gives the same full payloads as DuckDB, whatever the session or database zone.

A real PostgreSQL server (``server.server_url``). Columns as the contract DDL makes them
(``timestamptz``) and as target-postgres makes them (naive ``timestamp`` holding UTC); the
client's ``PGTZ`` and the database's default zone set to Europe/Rome must not move a figure.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine

from metric_cards.evaluate import evaluate
from metric_cards.registry import packaged_cards
from reconciliation.bridge import reconcile

from .builder import build_postgres
from .server import scratch_database

AS_OF = "2026-03-12T08:00:00Z"
TRANSIENT_CARDS = ("exception_rate", "exception_rate_by_category", "exception_rate_by_carrier")


def param_sets(card_id: str) -> list[dict[str, bool]]:
    sets: list[dict[str, bool]] = [{}, {"exclude_returns": False}]
    if card_id in TRANSIENT_CARDS:
        sets += [{"include_transient": False},
                 {"include_transient": False, "exclude_returns": False}]
    return sets


#: (column kind, database default zone, client PGTZ)
VARIANTS = [("timestamptz", "UTC", "UTC"), ("naive", "UTC", "Europe/Rome"),
            ("timestamptz", "Europe/Rome", "Europe/Rome"), ("naive", "Europe/Rome", "UTC")]
_duck_payloads: dict[tuple[str, str, str], dict] = {}


@pytest.fixture(scope="module", params=VARIANTS,
                ids=lambda p: f"{p[0]}-db_zone_{p[1]}-pgtz_{p[2]}".replace("/", "_"))
def postgres(request, rows) -> Iterator[Engine]:
    kind, db_zone, client_zone = request.param
    with scratch_database("tse_agree", timezone=db_zone) as url, \
            pytest.MonkeyPatch.context() as patch:
        build_postgres(url, rows, kind)
        patch.setenv("PGTZ", client_zone)  # libpq sends it when a connection opens
        engine = create_engine(url)
        yield engine
        engine.dispose()


def test_every_card_payload_identical_to_duckdb(postgres: Engine,
                                                duckdb_warehouse: Engine) -> None:
    compared = 0
    for card_id in packaged_cards():
        for params in param_sets(card_id):
            for zone in ("UTC", "Europe/Rome"):
                ours = evaluate(card_id, postgres, AS_OF, timezone=zone, params=params,
                                schema="raw")
                key = (card_id, repr(sorted(params.items())), zone)
                if key not in _duck_payloads:
                    _duck_payloads[key] = evaluate(card_id, duckdb_warehouse, AS_OF,
                                                   timezone=zone, params=params, schema="raw")
                duck = _duck_payloads[key]
                assert duck["denominator"] > 0, card_id
                assert ours == duck, (card_id, params, zone)
                compared += 1
    assert compared >= 40


@pytest.mark.parametrize("params", [{}, {"include_transient": False},
                                    {"exclude_returns": False}])
def test_reconcile_payload_identical_to_duckdb(postgres: Engine, duckdb_warehouse: Engine,
                                               params: dict[str, bool]) -> None:
    from shipping_core.windows import parse_instant

    as_of = parse_instant(AS_OF)
    ours = reconcile(postgres, "raw", None, 600, as_of, "Europe/Rome", portal_rate=0.03,
                     params=params)
    duck = reconcile(duckdb_warehouse, "raw", None, 600, as_of, "Europe/Rome", portal_rate=0.03,
                     params=params)
    assert ours == duck
    card = evaluate("exception_rate", postgres, as_of, params=params, schema="raw")
    assert (ours["ours"]["numerator"], ours["ours"]["denominator"]) == (
        card["numerator"], card["denominator"])


def test_contract_check_on_postgres(rows) -> None:
    from sqlalchemy import text

    from metric_cards.errors import WarehouseError

    with scratch_database("tse_contract") as url:
        build_postgres(url, rows, "naive")
        engine = create_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(text("alter table raw.tracking_events drop column "
                                  "exception_category"))
            with pytest.raises(WarehouseError, match=r"tracking_events\.exception_category is "
                                                     "missing"):
                evaluate("exception_rate", engine, AS_OF, schema="raw")
        finally:
            engine.dispose()
