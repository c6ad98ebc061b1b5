"""Round trip: a sandbox World -> the warehouse a correct tap lands -> the portal simulator's
export -> reconciliation. Every difference must be attributed; tampering with the export must
show up as exactly the tampered shipments in ``unexplained``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from reconciliation.bridge import reconcile
from shipping_sandbox.portal import write_portal_export

from .warehouse_builder import Warehouse, utc
from .world_builder import land, random_world

AS_OF = utc("2026-03-12 08:00")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, Path, int]:
    tmp = tmp_path_factory.mktemp("roundtrip")
    w = random_world(seed=11, n=4000)
    wh = Warehouse(tmp / "warehouse.duckdb")
    land(w, wh)
    engine = wh.engine()
    export = tmp / "portal.csv"
    summary = write_portal_export(w, export, as_of=AS_OF)
    return engine, export, summary.total


def test_every_difference_is_attributed(sandbox) -> None:
    engine, export, total = sandbox
    payload = reconcile(engine, "raw", export, total, AS_OF, "Europe/Rome")
    assert payload["unexplained"]["shipments"] == []
    assert payload["unexplained"]["numerator_delta"] == 0
    assert payload["unexplained"]["denominator_delta"] == 0
    assert payload["verdict"] == "reconciled"
    moved = {s["rule"]: len(s["shipments"]) for s in payload["bridge"]}
    # The mix exercises every rule.
    assert all(moved[r] > 0 for r in ("window_anchor", "time_zone", "transient", "returns_leg",
                                      "sync_timing", "taxonomy")), moved
    assert payload["ours"]["value"] != payload["portal"]["value"]
    last = payload["bridge"][-1]["value_after"]
    assert last == pytest.approx(payload["portal"]["value"])
    cats = payload["by_category"]
    assert sum(c["portal"] for c in cats) == payload["portal"]["numerator"]
    assert sum(c["ours"] for c in cats) == payload["ours"]["numerator"]
    carriers = payload["by_carrier"]
    assert sum(c["ours"]["numerator"] for c in carriers) == payload["ours"]["numerator"]
    assert sum(c["portal"]["numerator"] for c in carriers) == payload["portal"]["numerator"]


def tamper(export: Path, out: Path) -> tuple[list[str], str, str]:
    """Drop two rows and re-point a third at a shipment the portal did not list."""
    with export.open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    listed = {r[0] for r in body}
    # choose rows in the middle of the window (far from the edges the sync rule explains)
    middle = [r for r in body if "2026-02-20" <= r[4] < "2026-03-05"]
    dropped = [middle[0][0], middle[5][0]]
    altered_from = middle[10][0]
    altered_to = next(str(i) for i in range(1, 100000) if str(i) not in listed)
    kept = []
    for r in body:
        if r[0] in dropped:
            continue
        if r[0] == altered_from:
            r = [altered_to, *r[1:]]
        kept.append(r)
    with out.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *kept])
    return dropped, altered_from, altered_to


def test_removed_and_altered_rows_are_exactly_the_unexplained(sandbox, tmp_path: Path) -> None:
    engine, export, total = sandbox
    dropped, altered_from, altered_to = tamper(export, tmp_path / "tampered.csv")
    payload = reconcile(engine, "raw", tmp_path / "tampered.csv", total, AS_OF, "Europe/Rome")
    names = sorted(s["shipment_id"] for s in payload["unexplained"]["shipments"])
    assert names == sorted([*dropped, altered_from, altered_to])
    reasons = {s["shipment_id"]: s["reason"] for s in payload["unexplained"]["shipments"]}
    assert all(reasons[d].startswith("not in the portal's export") for d in dropped)
    assert reasons[altered_to].startswith("listed by the portal")
    assert payload["verdict"] == "reconciled"  # 4 shipments of ~4,000: within tolerance


def test_generator_world_reconciles(tmp_path: Path) -> None:
    """The sandbox generator's own traffic (its webhook timing, transient mix, returns legs,
    portal taxonomy disagreements), landed as a correct tap lands it."""
    from datetime import UTC, datetime

    from shipping_sandbox.generator import generate

    w = generate("bulk", 3, start="2026-02-01", days=40, shipments=2500)
    wh = Warehouse(tmp_path / "warehouse.duckdb")
    land(w, wh)
    as_of = datetime.fromtimestamp(w.as_of, UTC)
    summary = write_portal_export(w, tmp_path / "portal.csv", as_of=as_of, language="it",
                                  sep=";")
    payload = reconcile(wh.engine(), "raw", tmp_path / "portal.csv", summary.total, as_of)
    assert payload["unexplained"]["shipments"] == []
    assert payload["unexplained"]["denominator_delta"] == 0
    assert payload["verdict"] == "reconciled"
    assert payload["ours"]["numerator"] > 0 and payload["portal"]["numerator"] > 0
