"""Payload shape, rate-only mode, verdict and tolerance, annotations, breakdowns, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from metric_cards.cli import main as metric_cards_main
from metric_cards.evaluate import evaluate
from reconciliation.bridge import reconcile

from .warehouse_builder import Warehouse, utc, write_export

AS_OF = utc("2026-03-12 08:00")


def month(warehouse: Warehouse, n: int = 600) -> list[dict]:
    """n outbound shipments in mid-window, every 20th with a real exception; 3 transient;
    2 returns legs with exceptions. Returns the portal's (default view) rows."""
    rows = []
    for i in range(n):
        sid = str(1000 + i)
        carrier = ("brt", "gls", "poste_italiane")[i % 3]
        warehouse.shipment(sid, f"2026-02-{12 + i % 15:02d} 10:00", carrier=carrier)
        if i % 20 == 0:
            category = ("address", "recipient", "customs_border")[i % 3]
            warehouse.event(sid, f"2026-02-{13 + i % 15:02d} 10:00", category)
            rows.append({"shipment_id": sid, "category": category,
                         "event": f"2026-02-{13 + i % 15:02d} 10:00",
                         "carrier": carrier.upper()})
    for sid in ("T1", "T2", "T3"):
        warehouse.shipment(sid, "2026-02-20 10:00")
        warehouse.event(sid, "2026-02-21 10:00", "recipient", "transient")
    for sid in ("R1", "R2"):
        warehouse.shipment(sid, "2026-02-20 10:00", is_return=True)
        warehouse.event(sid, "2026-02-21 10:00", "damage_lost")
        rows.append({"shipment_id": sid, "category": "damage_lost", "event": "2026-02-21 10:00",
                     "is_return": True})
    return rows


def test_payload_keys_and_exact_bridge(warehouse: Warehouse, tmp_path: Path) -> None:
    rows = month(warehouse)
    export = write_export(tmp_path / "e.csv", rows)
    payload = reconcile(warehouse.engine(), "raw", export, 605, AS_OF)
    assert payload["ours"] == {"value": 33 / 603, "numerator": 33, "denominator": 603}
    assert payload["portal"] == {"value": 32 / 605, "numerator": 32, "denominator": 605}
    assert [s["rule"] for s in payload["bridge"]] == [
        "window_anchor", "time_zone", "transient", "returns_leg", "sync_timing", "taxonomy"]
    assert {k for s in payload["bridge"] for k in s} == {
        "rule", "numerator_delta", "denominator_delta", "value_after", "shipments"}
    steps = {s["rule"]: (s["numerator_delta"], s["denominator_delta"]) for s in payload["bridge"]}
    assert steps["transient"] == (-3, 0) and steps["returns_leg"] == (2, 2)
    assert payload["unexplained"]["shipments"] == []
    assert payload["residual"]["tolerance_applied"] is True
    assert payload["verdict"] == "reconciled"
    carriers = {c["carrier"]: c for c in payload["by_carrier"]}
    assert carriers["gls"]["ours"]["numerator"] == 10
    assert json.loads(json.dumps(payload)) == payload


def test_ours_matches_the_exception_rate_card(warehouse: Warehouse, tmp_path: Path) -> None:
    month(warehouse)
    engine = warehouse.engine()
    card = evaluate("exception_rate", engine, AS_OF)
    payload = reconcile(engine, "raw", None, 605, AS_OF, portal_rate=0.05)
    as_pair = (payload["ours"]["numerator"], payload["ours"]["denominator"])
    assert as_pair == (card["numerator"], card["denominator"])


def test_dropping_many_rows_breaks_tolerance(warehouse: Warehouse, tmp_path: Path) -> None:
    rows = month(warehouse)
    export = write_export(tmp_path / "e.csv", rows[5:])
    payload = reconcile(warehouse.engine(), "raw", export, 605, AS_OF)
    assert len(payload["unexplained"]["shipments"]) == 5
    assert payload["residual"]["within_tolerance"] is False  # 5/605 = 0.83 points
    assert payload["verdict"] == "investigate"


def test_small_sample_skips_tolerance(warehouse: Warehouse, tmp_path: Path) -> None:
    rows = month(warehouse, n=40)
    export = write_export(tmp_path / "e.csv", rows)
    payload = reconcile(warehouse.engine(), "raw", export, 45, AS_OF)
    assert payload["residual"]["tolerance_applied"] is False
    assert payload["verdict"] == "reconciled"  # exact: nothing unexplained
    extra = {"shipment_id": "99999", "category": "other", "event": "2026-02-21 10:00"}
    export = write_export(tmp_path / "e.csv", [*rows, extra])
    payload = reconcile(warehouse.engine(), "raw", export, 45, AS_OF)
    assert payload["unexplained"]["shipments"][0]["reason"].startswith(
        "listed by the portal but not in the warehouse")
    assert payload["verdict"] == "investigate"


def test_portal_total_not_accounted_for_is_unexplained_denominator(
        warehouse: Warehouse, tmp_path: Path) -> None:
    rows = month(warehouse)
    export = write_export(tmp_path / "e.csv", rows)
    payload = reconcile(warehouse.engine(), "raw", export, 640, AS_OF)
    assert payload["unexplained"]["denominator_unlisted"] == 35
    assert payload["unexplained"]["denominator_delta"] == 35


def test_rate_only_bridge_is_labelled_and_adds_up(warehouse: Warehouse) -> None:
    month(warehouse)
    payload = reconcile(warehouse.engine(), "raw", None, 605, AS_OF, portal_rate=0.0529)
    assert payload["mode"] == "rate_only"
    assert "cannot be traced to shipments" in payload["bridge_basis"]
    assert payload["portal"]["numerator"] == 32  # round(0.0529 * 605)
    steps = {s["rule"]: s for s in payload["bridge"]}
    assert (steps["transient"]["numerator_delta"], steps["returns_leg"]["numerator_delta"]) == (
        -3, 2)
    assert {s["shipment_id"] for s in steps["transient"]["shipments"]} == {"T1", "T2", "T3"}
    assert "skipped" in next(r for r in payload["rules"] if r["id"] == "taxonomy")
    assert payload["unexplained"] == {"numerator_delta": 0, "denominator_delta": 0,
                                      "shipments": []}


def test_ferragosto_annotation(warehouse: Warehouse) -> None:
    warehouse.shipment("1", "2026-08-01 10:00")
    payload = reconcile(warehouse.engine(), "raw", None, 1, utc("2026-08-15 08:00"),
                        portal_rate=0.0)
    note = payload["annotations"][0]
    assert (note["id"], note["first_day"], note["last_day"]) == ("ferragosto", "2026-08-10",
                                                                 "2026-08-14")
    payload = reconcile(warehouse.engine(), "raw", None, 1, AS_OF, portal_rate=0.0)
    assert payload["annotations"] == []


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"portal_export_path": None}, "exactly one of"),
    ({"portal_rate": 1.5, "portal_export_path": None}, "portal_rate"),
    ({"portal_total": -1}, "portal_total"),
])
def test_bad_arguments(warehouse: Warehouse, tmp_path: Path, kwargs: dict, message: str) -> None:
    args = {"portal_export_path": tmp_path / "x.csv", "portal_total": 10, "as_of": AS_OF}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        reconcile(warehouse.engine(), "raw", **args)


def test_cli_json_and_table(warehouse: Warehouse, tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    rows = month(warehouse)
    warehouse.engine().dispose()
    export = write_export(tmp_path / "e.csv", rows, sep=";")
    url = f"duckdb:///{warehouse.path}"
    common = ["reconcile", "--warehouse", url, "--portal-total", "605",
              "--as-of", "2026-03-12T09:00:00+01:00"]
    assert metric_cards_main([*common, "--portal-export", str(export), "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["verdict"] == "reconciled" and payload["as_of"] == "2026-03-12T08:00:00Z"
    assert metric_cards_main([*common, "--portal-export", str(export)]) == 0
    table = capsys.readouterr().out
    assert "verdict: RECONCILED" in table and "returns_leg" in table
    assert metric_cards_main([*common, "--portal-rate", "5.29%"]) == 0
    assert "rate_only" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("OrderID,Category\n1,Address\n", encoding="utf-8")
    assert metric_cards_main([*common, "--portal-export", str(bad)]) == 2
    assert "header lacks" in capsys.readouterr().err
