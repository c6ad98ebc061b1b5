"""The warehouse contract check and connection guards: fail loudly, never read a wrong number."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from metric_cards.cli import main
from metric_cards.connection import open_engine
from metric_cards.errors import WarehouseError

from .test_backends_agree import seeded_rows
from .warehouses import build

AS_OF = "2026-03-12T08:00:00Z"


@pytest.fixture
def duck(tmp_path: Path) -> Path:
    engine, _ = build("duckdb_naive", tmp_path, seeded_rows(count=120))
    engine.dispose()
    return tmp_path / "wh.duckdb"


def alter(path: Path, statement: str) -> None:
    engine = open_engine(f"duckdb:///{path}")
    with engine.begin() as conn:
        conn.execute(text(statement))
    engine.dispose()


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("card", "statement", "named"), [
    ("exception_rate", "alter table raw.tracking_events drop column exception_category",
     "tracking_events.exception_category is missing"),
    ("exception_rate", "alter table raw.shipments drop column is_return",
     "shipments.is_return is missing"),
    ("on_time_delivery_rate", "alter table raw.shipments drop column promised_delivery_at",
     "shipments.promised_delivery_at is missing"),
    ("exception_rate", "alter table raw.tracking_events drop column synced_at",
     "tracking_events.synced_at is missing"),
    ("exception_rate", "alter table raw.shipments alter created_at type varchar",
     "shipments.created_at has type VARCHAR"),
])
def test_missing_or_mistyped_column_exits_2_naming_it(duck: Path, capsys, card: str,
                                                     statement: str, named: str) -> None:
    alter(duck, statement)
    code, out, err = run_cli(capsys, "evaluate", card, "--warehouse", f"duckdb:///{duck}",
                             "--as-of", AS_OF, "--format", "json")
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert named in err


def test_only_columns_the_parameters_use_are_required(duck: Path, capsys) -> None:
    alter(duck, "alter table raw.tracking_events drop column exception_class")
    code, out, _ = run_cli(capsys, "evaluate", "exception_rate", "--warehouse",
                           f"duckdb:///{duck}", "--as-of", AS_OF, "--format", "json")
    assert code == 0 and '"numerator"' in out
    code, _, err = run_cli(capsys, "evaluate", "exception_rate", "--warehouse",
                           f"duckdb:///{duck}", "--as-of", AS_OF, "--set",
                           "include_transient=false")
    assert code == 2 and "tracking_events.exception_class is missing" in err


def test_reconcile_checks_the_contract_too(duck: Path, capsys) -> None:
    alter(duck, "alter table raw.tracking_events drop column exception_category")
    code, _, err = run_cli(capsys, "reconcile", "--warehouse", f"duckdb:///{duck}",
                           "--portal-rate", "0.03", "--portal-total", "100", "--as-of", AS_OF)
    assert code == 2
    assert "tracking_events.exception_category is missing" in err


@pytest.mark.parametrize("scheme", ["duckdb", "sqlite"])
def test_nonexistent_warehouse_file_is_an_error_not_a_new_file(tmp_path: Path, capsys,
                                                               scheme: str) -> None:
    missing = tmp_path / f"nope.{scheme}"
    code, _, err = run_cli(capsys, "evaluate", "exception_rate", "--warehouse",
                           f"{scheme}:///{missing}", "--as-of", AS_OF)
    assert code == 2
    assert "no such file" in err and str(missing) in err
    assert not missing.exists()


def test_missing_postgres_driver_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg2", None)  # import psycopg2 -> ImportError
    with pytest.raises(WarehouseError) as info:
        open_engine("postgresql://postgres@127.0.0.1:5432/test")
    message = str(info.value)
    assert "tap-shipping-exceptions[postgres]" in message
    assert "\n" not in message


def test_unusable_url_is_one_line(capsys) -> None:
    code, _, err = run_cli(capsys, "evaluate", "exception_rate", "--warehouse", "not a url",
                           "--as-of", AS_OF)
    assert code == 2 and len(err.strip().splitlines()) == 1
