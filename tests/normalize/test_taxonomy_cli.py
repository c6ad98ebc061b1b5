"""``shipping-taxonomy classify`` and ``coverage`` (DuckDB warehouse built by the test)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from tap_shipping_exceptions.normalize.cli import main


def test_classify_prints_what_decided(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["classify", "--carrier", "BRT", "INDIRIZ.INESISTENTE/INCOMPLETO"]) == 0
    out = capsys.readouterr().out
    assert "address.incorrect" in out and "lexicon.yaml:$.categories.address" in out
    assert main(["classify", "--carrier", "brt", "--carrier-code", "021", "--json", "x"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert (got["classified_by"], got["decided_by"]) == ("carrier_code", "brt.yaml:$.codes.021")


@pytest.fixture
def warehouse(tmp_path: Path) -> str:
    path = tmp_path / "wh.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema raw; create table raw.tracking_events (event_id varchar, "
                "carrier varchar, classified_by varchar, shippypro_code integer, "
                "message varchar)")
    con.executemany("insert into raw.tracking_events values (?, ?, ?, ?, ?)", [
        ("1", "brt", "message", 2, "PARTITA"),
        ("2", "brt", "shippypro_code", 5, "EVENTO 77"),
        ("3", "brt", "shippypro_code", 5000, "EVENTO 77"),
        ("4", "brt", "carrier_code", 4, None),
        ("5", "gls", "lexicon", 4, "Eccezione"),
        ("6", "gls", "none", None, "boh")])
    con.close()
    return f"duckdb:///{path}"


def test_coverage_shares_and_top_undecided_texts(warehouse: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["coverage", "--warehouse", warehouse, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    brt = report["carriers"]["brt"]
    assert brt["events"] == 4 and brt["exception_coded"] == 3
    assert brt["by"] == {"carrier_code": 1, "message": 1, "lexicon": 0, "shippypro_code": 2,
                         "none": 0}
    assert brt["exception_coded_by"]["shippypro_code"] == 2
    assert report["top_undecided_texts"][0] == {"carrier": "brt", "text": "EVENTO 77",
                                                "events": 2, "exception_coded": 2}
    assert main(["coverage", "--warehouse", warehouse]) == 0
    text = capsys.readouterr().out
    assert "exception-coded" in text and "'EVENTO 77'" in text


def test_coverage_errors_name_the_table(warehouse: str, capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    assert main(["coverage", "--warehouse", warehouse, "--schema", "nope"]) == 2
    assert "nope.tracking_events" in capsys.readouterr().err
    assert main(["coverage", "--warehouse", "notaurl"]) == 2
    assert "--warehouse" in capsys.readouterr().err
