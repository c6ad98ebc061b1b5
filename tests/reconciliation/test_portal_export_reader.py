"""Reading the portal's export: tolerant of real-world CSV variations, strict on broken files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciliation.portal_export import PortalExportError, read_portal_export
from reconciliation.ruleset import load_ruleset

VOCAB = load_ruleset().export


def read(path: Path):
    return read_portal_export(path, VOCAB, "Europe/Rome")


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_english_comma_file(tmp_path: Path) -> None:
    export = read(write(tmp_path, "OrderID,TrackingNumber,Carrier,Category,EventDate,Resolution,"
                        "IsReturn\n101,TN1,BRT,Address,2026-02-21 11:00,open,0\n"))
    row = export.rows["101"]
    assert row.category == "address" and row.carrier == "BRT" and not row.is_return
    assert row.event_at == datetime(2026, 2, 21, 10, 0, tzinfo=UTC)  # CET -> UTC
    assert row.line == 2


def test_italian_semicolon_bom_reordered_and_trailing_blank_lines(tmp_path: Path) -> None:
    text = ("\ufeffCategoria;Data evento;ID Ordine;Corriere;Reso;Risoluzione;Numero di tracking\n"
            "Danno/Smarrito;2026-07-01 10:00;7;Poste Italiane;1;risolta;TN7\n"
            "deposito;2026-02-01 10:00;8;GLS;0;Aperta;TN8\n"
            "\n\n  \n")
    export = read(write(tmp_path, text))
    assert set(export.rows) == {"7", "8"}
    assert export.rows["7"].category == "damage_lost" and export.rows["7"].is_return
    assert export.rows["7"].event_at == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)  # CEST
    assert export.rows["8"].category == "depot_network"
    assert export.rows["8"].resolution == "open"


def test_extra_columns_are_ignored(tmp_path: Path) -> None:
    export = read(write(tmp_path, "OrderID\tNote\tTrackingNumber\tCarrier\tCategory\tEventDate\t"
                        "Resolution\tIsReturn\n5\tx\tTN5\tGLS\tOther\t2026-02-21 11:00\topen\t0\n"))
    assert export.rows["5"].category == "other"


HEADER = "OrderID,TrackingNumber,Carrier,Category,EventDate,Resolution,IsReturn\n"


@pytest.mark.parametrize(("body", "expected"), [
    ("1,TN1,BRT,Weather,2026-02-21 11:00,open,0\n", r":2, column 'Category': unknown category "
     r"'Weather'"),
    ("1,TN1,BRT,Address,21/02/2026 11h,open,0\n", r":2, column 'EventDate': '21/02/2026 11h' is "
     r"not a workspace-local date-time"),
    ("1,TN1,BRT,Address,2026-02-21 11:00,open,0\n2,TN2,BRT,Address,2026-02-21 11:00,closed,0\n",
     r":3, column 'Resolution': unknown resolution 'closed'"),
    ("1,TN1,BRT,Address,2026-02-21 11:00,open,maybe\n", r":2, column 'IsReturn': 'maybe' is not "
     r"a 0/1 flag"),
    ("1,TN1,BRT,Address,2026-02-21 11:00,open\n", r":2: 6 fields, expected 7"),
    (",TN1,BRT,Address,2026-02-21 11:00,open,0\n", r":2, column 'OrderID': empty order id"),
    ("1,TN1,BRT,Address,2026-02-21 11:00,open,0\n\n1,TN1,BRT,Address,2026-02-21 11:00,open,0\n",
     r":3: blank line inside the data"),
    ("1,TN1,BRT,Address,2026-02-21 11:00,open,0\n1,TN1,BRT,Other,2026-02-22 11:00,open,0\n",
     r":3, column 'OrderID': order 1 listed twice \(also line 2\)"),
    ('1,TN1,"BRT,Address,2026-02-21 11:00,open,0\n', r":\d+: malformed CSV"),
])
def test_broken_rows_name_line_and_column(tmp_path: Path, body: str, expected: str) -> None:
    with pytest.raises(PortalExportError, match=expected):
        read(write(tmp_path, HEADER + body))


def test_missing_header_column_is_named(tmp_path: Path) -> None:
    with pytest.raises(PortalExportError, match=r":1: header lacks category \(one of Category, "
                                                 r"Categoria\)"):
        read(write(tmp_path, "OrderID,TrackingNumber,Carrier,EventDate,Resolution,IsReturn\n"))


def test_empty_file_and_non_utf8(tmp_path: Path) -> None:
    with pytest.raises(PortalExportError, match="empty file"):
        read(write(tmp_path, "\n\n"))
    with pytest.raises(PortalExportError, match=r":2: not UTF-8"):
        read(write(tmp_path, HEADER + "1,TN1,Poste Italiane,Città,2026-02-21 11:00,open,0\n",
                   encoding="latin-1"))
    with pytest.raises(PortalExportError, match="cannot read"):
        read(tmp_path / "missing.csv")
