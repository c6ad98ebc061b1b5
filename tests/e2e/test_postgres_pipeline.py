"""The worked example through Meltano into Postgres reads exactly as in DuckDB.

The tap runs once (``meltano invoke tap-shipping-exceptions`` against the sandbox) and its
Singer output feeds ``meltano invoke target-duckdb`` and ``meltano invoke target-postgres`` —
the plugins exactly as ``meltano run`` configures them — with the Postgres database's default
zone UTC and then Europe/Rome during the load (the client's PGTZ Europe/Rome while reading). Every
card's full payload (both zones, the parameter combinations the reconciliation rule set uses)
and ``reconcile``'s full payload must be identical on both warehouses.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pg_warehouse.server import scratch_database
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from metric_cards.connection import open_engine
from metric_cards.evaluate import evaluate
from metric_cards.registry import packaged_cards
from reconciliation.bridge import reconcile
from shipping_core.windows import parse_instant
from tests.support.meltano_project import install_plugin, meltano_lock

from .conftest import AS_OF, BIN, MeltanoProject

pytestmark = pytest.mark.e2e
TRANSIENT_CARDS = ("exception_rate", "exception_rate_by_category", "exception_rate_by_carrier")


def invoke_with_input(plugin: str, env: dict[str, str], source: Path) -> None:
    with source.open("rb") as stdin, meltano_lock():
        proc = subprocess.run([str(BIN / "meltano"), "invoke", plugin], stdin=stdin, env=env,
                              cwd=Path(__file__).resolve().parents[2], capture_output=True,
                              timeout=1800)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-6000:]


@pytest.fixture(scope="module")
def tap_output(worked_example_project: MeltanoProject,
               tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    work = tmp_path_factory.mktemp("pg_pipeline")
    env = {**worked_example_project.env,
           "MELTANO_DATABASE_URI": f"sqlite:///{work / 'meltano.db'}"}
    install_plugin("loader", "target-postgres")
    singer = work / "tap.singer.jsonl"
    with singer.open("wb") as out, meltano_lock():
        proc = subprocess.run([str(BIN / "meltano"), "invoke", "tap-shipping-exceptions"],
                              stdout=out, stderr=subprocess.PIPE, env=env,
                              cwd=Path(__file__).resolve().parents[2], timeout=1800)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-6000:]
    return singer, env


@pytest.fixture(scope="module")
def duckdb_warehouse(tap_output: tuple[Path, dict[str, str]],
                     tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    singer, env = tap_output
    path = tmp_path_factory.mktemp("pg_pipeline_duck") / "warehouse.duckdb"
    invoke_with_input("target-duckdb", {**env, "TARGET_DUCKDB_PATH": str(path)}, singer)
    engine = open_engine(f"duckdb:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module", params=["UTC", "Europe/Rome"], ids=lambda z: f"db_zone_{z}")
def postgres_warehouse(request, tap_output: tuple[Path, dict[str, str]]) -> Iterator[Engine]:
    singer, env = tap_output
    with scratch_database("tse_e2e", timezone=request.param) as url, \
            pytest.MonkeyPatch.context() as patch:
        parsed = make_url(url)
        target_env = {**env, "TARGET_POSTGRES_HOST": parsed.host or "127.0.0.1",
                      "TARGET_POSTGRES_PORT": str(parsed.port or 5432),
                      "TARGET_POSTGRES_USER": parsed.username or "postgres",
                      "TARGET_POSTGRES_PASSWORD": parsed.password or "",
                      "TARGET_POSTGRES_DATABASE": parsed.database or ""}
        target_env.pop("PGTZ", None)  # the plugin's own env (meltano.yml) pins the loader
        invoke_with_input("target-postgres", target_env, singer)
        engine = create_engine(url)
        with engine.begin() as conn:  # the index docs/metric-cards.md recommends
            conn.execute(text("create index if not exists tracking_events_shipment_id "
                              "on raw.tracking_events (shipment_id)"))
        patch.setenv("PGTZ", "Europe/Rome")  # a reader in another zone
        engine.dispose()
        yield engine
        engine.dispose()


def test_worked_example_headline_on_postgres(postgres_warehouse: Engine) -> None:
    card = evaluate("exception_rate", postgres_warehouse, AS_OF, schema="raw")
    assert (card["numerator"], card["denominator"]) == (464, 16_000)
    assert card["freshness"]["lag_hours"] is not None
    assert card["freshness"]["latest_synced_at"] <= "2099"


def test_every_card_payload_identical_to_duckdb(postgres_warehouse: Engine,
                                                duckdb_warehouse: Engine) -> None:
    compared = 0
    for card_id in packaged_cards():
        param_sets: list[dict[str, bool]] = [{}, {"exclude_returns": False}]
        if card_id in TRANSIENT_CARDS:
            param_sets.append({"include_transient": False})
        for params in param_sets:
            for zone in ("UTC", "Europe/Rome"):
                pg = evaluate(card_id, postgres_warehouse, AS_OF, timezone=zone, params=params,
                              schema="raw")
                duck = evaluate(card_id, duckdb_warehouse, AS_OF, timezone=zone,
                                params=params, schema="raw")
                assert pg == duck, (card_id, params, zone)
                compared += 1
    assert compared >= 40


def test_reconcile_payload_identical_to_duckdb(postgres_warehouse: Engine,
                                               duckdb_warehouse: Engine,
                                               tmp_path: Path) -> None:
    from shipping_sandbox.generator import generate
    from shipping_sandbox.portal import write_portal_export

    as_of = parse_instant(AS_OF)
    export = tmp_path / "portal_exceptions.csv"
    total = write_portal_export(generate("worked_example", 7), export, as_of=as_of).total
    pg = reconcile(postgres_warehouse, "raw", export, total, as_of, "Europe/Rome")
    duck = reconcile(duckdb_warehouse, "raw", export, total, as_of, "Europe/Rome")
    assert (pg["ours"]["numerator"], pg["ours"]["denominator"]) == (464, 16_000)
    assert pg["verdict"] == "reconciled"
    assert pg == duck


def test_loader_env_pins_utc() -> None:
    """The loader's sessions are pinned by meltano.yml, not by whoever runs it."""
    import yaml

    project = yaml.safe_load((Path(__file__).resolve().parents[2] / "meltano.yml").read_text())
    loader = next(p for p in project["plugins"]["loaders"] if p["name"] == "target-postgres")
    assert loader["env"]["PGTZ"] == "UTC"
    assert "variant" not in loader


def test_card_without_as_of_reads_the_demo_warehouse(duckdb_warehouse: Engine) -> None:
    """What ``meltano invoke metric-cards:exception-rate`` runs: no --as-of to guess."""
    from .conftest import cli_json

    duckdb_warehouse.dispose()  # DuckDB locks the file per process: release it for the CLI
    card = cli_json("evaluate", "exception_rate", "--warehouse",
                    str(duckdb_warehouse.url), "--schema", "raw")
    assert (card["numerator"], card["denominator"]) == (464, 16_000)
    assert card["as_of"] <= AS_OF
    assert (card["window"]["start"], card["window"]["end"]) == ("2026-02-10T00:00:00Z",
                                                                "2026-03-12T00:00:00Z")
