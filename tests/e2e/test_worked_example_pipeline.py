"""The whole product on the seed's worked example: sandbox -> tap -> Meltano -> DuckDB -> cards.

One Meltano project per session (isolated state and warehouse); the tests share it, so they stay
in this one file (the suite runs with xdist's `--dist loadfile`) and run in order.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import duckdb
import pytest
from sqlalchemy.engine import Engine

from metric_cards.connection import open_engine
from reconciliation.bridge import reconcile
from shipping_core.windows import parse_instant

from .conftest import AS_OF, BIN, MeltanoProject, cli_json, emitted_records, run

pytestmark = pytest.mark.e2e
STREAMS = ("carriers", "shipments", "tracking_events")


def warehouse_engine(project: MeltanoProject) -> Engine:
    return open_engine(f"duckdb:///{project.warehouse}")


def table_counts(project: MeltanoProject) -> dict[str, int]:
    with duckdb.connect(str(project.warehouse), read_only=True) as con:
        return {s: con.execute(f"select count(*) from raw.{s}").fetchone()[0] for s in STREAMS}


@pytest.fixture(scope="module")
def first_run(worked_example_project: MeltanoProject) -> dict[str, int]:
    proc = worked_example_project.run("run", "tap-shipping-exceptions", "target-duckdb")
    return emitted_records(proc.stdout + proc.stderr)


def test_every_emitted_record_lands_in_duckdb(first_run: dict[str, int],
                                             worked_example_project: MeltanoProject) -> None:
    assert set(STREAMS) <= set(first_run), f"record_count metrics missing: {first_run}"
    assert first_run["shipments"] > 16_000
    assert table_counts(worked_example_project) == {s: first_run[s] for s in STREAMS}


def test_second_run_adds_nothing(first_run: dict[str, int],
                                 worked_example_project: MeltanoProject) -> None:
    before = table_counts(worked_example_project)
    proc = worked_example_project.run("run", "tap-shipping-exceptions", "target-duckdb")
    second = emitted_records(proc.stdout + proc.stderr)
    assert second.get("shipments", 0) == 0
    assert second.get("tracking_events", 0) == 0
    assert table_counts(worked_example_project) == before


def test_exception_rate_card_reads_as_the_seed(first_run: dict[str, int],
                                              worked_example_project: MeltanoProject) -> None:
    card = cli_json("evaluate", "exception_rate", "--warehouse",
                    f"duckdb:///{worked_example_project.warehouse}", "--schema", "raw",
                    "--as-of", AS_OF)
    assert (card["denominator"], card["numerator"]) == (16_000, 464)
    assert round(card["value"] * 100, 2) == 2.90
    assert card["status"] == "warn"
    assert (card["window"]["start"], card["window"]["end"]) == ("2026-02-10T00:00:00Z",
                                                                "2026-03-12T00:00:00Z")
    by_category = {r["key"]: r["numerator"] for r in card["breakdowns"]["by_category"]}
    assert by_category == {"address": 138, "recipient": 122, "depot_network": 110,
                           "customs_border": 56, "damage_lost": 38, "other": 0}
    by_carrier = {r["key"]: r["numerator"] for r in card["breakdowns"]["by_carrier"]}
    assert by_carrier == {"brt": 150, "poste_italiane": 180, "dhl_express": 50, "gls": 84}


def test_on_time_delivery_judges_the_promised_day(first_run: dict[str, int],
                                                 worked_example_project: MeltanoProject) -> None:
    """Promises landed as days (target-duckdb writes the date as text) and judged in Rome."""
    warehouse = f"duckdb:///{worked_example_project.warehouse}"
    otd = cli_json("evaluate", "on_time_delivery_rate", "--warehouse", warehouse, "--schema",
                   "raw", "--as-of", AS_OF)
    assert otd["timezone"] == "Europe/Rome" and otd["params"]["promise_basis"] == "day"
    assert (otd["numerator"], otd["denominator"]) == (14_986, 15_356)   # 97.59 %, as documented
    assert otd["status"] == "ok"
    rates = {r["key"]: round(r["value"] * 100, 2) for r in otd["breakdowns"]["by_carrier"]}
    assert rates == {"brt": 98.31, "poste_italiane": 97.74, "gls": 98.44, "dhl_express": 94.48}
    instant = cli_json("evaluate", "on_time_delivery_rate", "--warehouse", warehouse, "--schema",
                       "raw", "--as-of", AS_OF, "--set", "promise_basis=instant")
    assert (instant["numerator"], instant["denominator"]) == (14_785, 15_356)
    late = cli_json("evaluate", "late_shipments", "--warehouse", warehouse, "--schema", "raw",
                    "--as-of", AS_OF)
    assert (late["numerator"], late["denominator"]) == (558, 16_355)


def test_stalled_card_and_report_on_the_pipeline_warehouse(
        first_run: dict[str, int], worked_example_project: MeltanoProject,
        tmp_path: Path) -> None:
    """The figures docs/metric-cards.md gives for the stalled card, and the HTML report."""
    url = f"duckdb:///{worked_example_project.warehouse}"
    card = cli_json("evaluate", "stalled_shipments", "--warehouse", url, "--schema", "raw",
                    "--as-of", AS_OF)
    assert (card["numerator"], card["denominator"], card["status"]) == (19, 1493, "ok")
    assert {r["key"]: (r["numerator"], r["denominator"])
            for r in card["breakdowns"]["by_carrier"]} == {
        "brt": (11, 545), "poste_italiane": (6, 363), "gls": (1, 296), "dhl_express": (1, 289)}
    assert card["list"]["total"] == 19 and len(card["list"]["rows"]) == 19
    out = tmp_path / "cards.html"
    run([str(BIN / "metric-cards"), "report", "stalled_shipments", "--warehouse", url,
         "--schema", "raw", "--as-of", AS_OF, "--out", str(out)], dict(os.environ))
    assert "19</span> / <span data-field=\"denominator\">1,493" in out.read_text("utf-8")


@pytest.fixture(scope="module")
def portal_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    from shipping_sandbox.generator import generate
    from shipping_sandbox.portal import write_portal_export

    path = tmp_path_factory.mktemp("portal") / "portal_exceptions.csv"
    summary = write_portal_export(generate("worked_example", 7), path,
                                  as_of=parse_instant(AS_OF))
    return path, summary.total


def test_reconciles_with_the_sandbox_portal(first_run: dict[str, int],
                                           worked_example_project: MeltanoProject,
                                           portal_export: tuple[Path, int]) -> None:
    path, total = portal_export
    payload = reconcile(warehouse_engine(worked_example_project), "raw", path, total,
                        parse_instant(AS_OF), "Europe/Rome")
    assert (payload["ours"]["numerator"], payload["ours"]["denominator"]) == (464, 16_000)
    assert payload["portal"]["numerator"] != payload["ours"]["numerator"]
    assert payload["unexplained"]["shipments"] == []
    assert payload["verdict"] == "reconciled"


def test_tampered_export_rows_are_exactly_the_unexplained(
        first_run: dict[str, int], worked_example_project: MeltanoProject,
        portal_export: tuple[Path, int], tmp_path: Path) -> None:
    path, total = portal_export
    header, *rows = list(csv.reader(path.open(encoding="utf-8")))
    middle = [r for r in rows if "2026-02-20" <= r[4] < "2026-03-05"]
    dropped = {middle[0][0], middle[7][0]}
    tampered = tmp_path / "tampered.csv"
    with tampered.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *(r for r in rows if r[0] not in dropped)])
    payload = reconcile(warehouse_engine(worked_example_project), "raw", tampered, total,
                        parse_instant(AS_OF), "Europe/Rome")
    assert {s["shipment_id"] for s in payload["unexplained"]["shipments"]} == dropped
