"""``metric-cards evaluate`` start-up: one card read, no pandas, no reconciliation, same numbers.

DuckDB card queries go out with their parameters as typed literals (``duckdb_literals``); each
literal must mean exactly what the bound parameter meant.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import duckdb
import pytest

from metric_cards.duckdb_literals import inline_parameters, sql_literal

from .warehouses import Rows, build

VALUES = [
    None, True, False, 0, -7, 2**31, 2**62, 1.5, -0.0, 1e300, float("inf"), float("nan"),
    Decimal("12.340"), "", "plain", "it's", "a\\b", "$1 and ?", 'say "hi"', "città ☃ \U0001f4e6",
    "line\nbreak", datetime(2026, 3, 12, 8, 0, 0), datetime(2026, 3, 12, 8, 0, 0, 123456),
    datetime(2026, 3, 12, 9, 0, tzinfo=timezone(timedelta(hours=1))),
    datetime(2026, 3, 12, 8, 0, tzinfo=UTC), date(2026, 2, 28),
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_literal_means_what_the_bound_parameter_meant(value: object) -> None:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    bound = con.execute("SELECT $1 AS v, typeof($1)", [value]).fetchone()
    literal = con.execute(f"SELECT {sql_literal(value)} AS v, typeof({sql_literal(value)})"
                          ).fetchone()
    assert bound is not None and literal is not None
    if isinstance(value, float) and value != value:
        assert literal[0] != literal[0] and literal[1] == bound[1]
    else:
        assert literal == bound


def test_placeholders_inside_quotes_are_left_alone() -> None:
    sql = """SELECT '$1', "col$2", $1 WHERE x = $2 AND y = 'it''s $2'"""
    assert inline_parameters(sql, ["a'b", 5]) == (
        """SELECT '$1', "col$2", 'a''b'::VARCHAR WHERE x = 5 AND y = 'it''s $2'""")
    assert inline_parameters("SELECT $1", [object()]) is None  # unknown type: keep binding
    assert inline_parameters("SELECT $2", [1]) is None  # malformed: leave it to the driver


def test_evaluate_process_reads_one_card_and_imports_no_pandas(tmp_path) -> None:
    rows = Rows()
    for i in range(30):
        rows.ship(f"s{i}", "2026-03-01T10:00:00Z", carrier="brt" if i % 2 else "gls")
    rows.event("s0", "2026-03-02T10:00:00Z", category="address")
    rows.event("s3", "2026-03-02T11:00:00Z", category="damage_lost")
    engine, _ = build("duckdb", tmp_path, rows)
    engine.dispose()
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    argv = ["evaluate", "exception_rate", "--warehouse", url, "--schema", "raw", "--as-of",
            "2026-03-12T08:00:00Z", "--format", "json"]
    probe = (
        "import contextlib, io, json, sys\n"
        "from metric_cards import cli, registry\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        f"    code = cli.main({argv!r})\n"
        "print(json.dumps({'code': code, 'payload': json.loads(out.getvalue()),\n"
        "  'pandas': 'pandas' in sys.modules,\n"
        "  'reconciliation': any(m.startswith('reconciliation') for m in sys.modules),\n"
        "  'whole_registry_loaded': registry.packaged_cards.cache_info().currsize > 0}))\n")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120, check=True)
    report = json.loads(proc.stdout)
    assert report["code"] == 0
    assert not report["pandas"] and not report["reconciliation"]
    assert not report["whole_registry_loaded"]
    # the same numbers as SQLite, whose parameters are bound as usual
    from metric_cards.evaluate import evaluate
    lite_dir = tmp_path / "lite"
    lite_dir.mkdir()
    lite, _ = build("sqlite", lite_dir, rows)
    bound = evaluate("exception_rate", lite, "2026-03-12T08:00:00Z", schema=None)
    lite.dispose()
    literal = report["payload"]
    assert (literal["numerator"], literal["denominator"], literal["value"]) == (
        bound["numerator"], bound["denominator"], bound["value"])
    assert literal["numerator"] == 2 and literal["denominator"] == 30
