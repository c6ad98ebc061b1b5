"""The portal simulator's export, worked out by hand on a handful of shipments."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from reconciliation.portal_export import read_portal_export
from reconciliation.ruleset import load_ruleset
from shipping_sandbox.portal import write_portal_export

from .world_builder import exception, progress, shipment, ts, world

AS_OF = "2026-03-12T08:00:00Z"  # portal window: [2026-02-09 23:00Z, 2026-03-11 23:00Z)


def hand_world():
    return world([
        # 1: real address exception inside: listed, open.
        shipment(1, "2026-02-20 09:00", events=[exception("2026-02-21 10:00", "address")]),
        # 2: transient only: hidden in the default view.
        shipment(2, "2026-02-20 09:00",
                 events=[exception("2026-02-21 10:00", "recipient", "transient")]),
        # 3: conditional, progress 24 h later: auto-resolved, hidden.
        shipment(3, "2026-02-20 09:00",
                 events=[exception("2026-02-21 10:00", "depot_network", "conditional"),
                         progress("2026-02-22 10:00")]),
        # 4: return leg with an exception: listed (unfiltered view), counted in the total.
        shipment(4, "2026-02-20 09:00", is_return=True, carrier="GLS",
                 events=[exception("2026-02-21 10:00", "damage_lost"),
                         progress("2026-02-23 10:00", 6)]),
        # 5: exception after the overnight recompute (11 Mar 23:30Z): not listed.
        shipment(5, "2026-03-05 09:00", events=[exception("2026-03-11 23:30", "address")]),
        # 6: the portal's taxonomy calls it Customs.
        shipment(6, "2026-02-20 09:00",
                 events=[exception("2026-02-21 10:00", "other", portal="customs_border")]),
        # 7: label 9 Feb 23:30Z = 10 Feb CET: in the total; 8: label 11 Mar 23:30Z: not.
        shipment(7, "2026-02-09 23:30"),
        shipment(8, "2026-03-11 23:30"),
        # 9: exception 9 Feb 22:50Z, its webhook landed at 23:10Z: inside the portal's window.
        shipment(9, "2026-02-01 09:00", events=[exception("2026-02-09 22:50", "address")],
                 webhook_times=[ts("2026-02-09 23:10")]),
        # 10: exception 11 Mar 22:55Z, webhook 23:05Z: after the recompute, not listed.
        shipment(10, "2026-03-01 09:00", events=[exception("2026-03-11 22:55", "recipient")],
                 webhook_times=[ts("2026-03-11 23:05")]),
    ])


def test_default_view_rows_and_total(tmp_path: Path) -> None:
    out = tmp_path / "portal.csv"
    summary = write_portal_export(hand_world(), out, as_of=AS_OF)
    assert summary.total == 8  # 1, 2, 3, 4, 5, 6, 7, 10 (label dates in Rome days)
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["OrderID"] for r in rows] == ["9", "1", "4", "6"]
    by_id = {r["OrderID"]: r for r in rows}
    assert by_id["1"] == {"OrderID": "1", "TrackingNumber": "TN1", "Carrier": "BRT",
                          "Category": "Address", "EventDate": "2026-02-21 11:00",
                          "Resolution": "open", "IsReturn": "0"}
    assert (by_id["4"]["Resolution"], by_id["4"]["IsReturn"]) == ("resolved", "1")
    assert by_id["6"]["Category"] == "Customs"
    assert by_id["9"]["EventDate"] == "2026-02-09 23:50"  # carrier time, shown in CET
    assert summary.listed == 4


def test_include_transient_and_italian_semicolon_export_reads_back(tmp_path: Path) -> None:
    out = tmp_path / "portale.csv"
    summary = write_portal_export(hand_world(), out, as_of=AS_OF, language="it", sep=";",
                                  include_transient=True)
    header = out.read_text(encoding="utf-8").splitlines()[0]
    assert header == "ID Ordine;Numero di tracking;Corriere;Categoria;Data evento;Risoluzione;Reso"
    export = read_portal_export(out, load_ruleset().export, "Europe/Rome")
    assert sorted(export.rows, key=int) == ["1", "2", "3", "4", "6", "9"]
    assert summary.listed == 6
    assert export.rows["2"].resolution == "auto-resolved"
    assert export.rows["4"].category == "damage_lost" and export.rows["4"].is_return
    assert export.includes_auto_resolved


def test_bad_arguments_are_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="language"):
        write_portal_export(hand_world(), tmp_path / "x.csv", as_of=AS_OF, language="fr")
    with pytest.raises(ValueError, match="sep"):
        write_portal_export(hand_world(), tmp_path / "x.csv", as_of=AS_OF, sep="|")


def test_shipping_sandbox_portal_export_command(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from shipping_sandbox.cli import main

    out = tmp_path / "portal.csv"
    assert main(["portal-export", "--scenario", "bulk", "--param", "shipments=300",
                 "--param", "start=2026-02-01", "--as-of", "2026-03-05T08:00:00Z",
                 "--out", str(out), "--sep", "tab"]) == 0
    printed = json.loads(capsys.readouterr().out)
    export = read_portal_export(out, load_ruleset().export, "Europe/Rome")
    assert printed["listed"] == len(export.rows)
    assert 0 < printed["listed"] < printed["total"] <= 300 + 300  # returns legs included
    assert printed["window_end"] == "2026-03-04T23:00:00Z"
