"""The ``metric-cards`` CLI: list, show, validate, evaluate and its error messages."""

from __future__ import annotations

import json
import sys
import textwrap
from importlib.metadata import EntryPoint

import pytest

from metric_cards import cli
from metric_cards.registry import card_directory

from .warehouses import Rows, build


@pytest.fixture
def warehouse(tmp_path):
    r = Rows()
    for i in range(20):
        r.ship(f"b{i}", "2026-03-01T10:00:00Z", carrier="brt")
    r.ship("p0", "2026-03-01T10:00:00Z", carrier="poste_italiane")
    r.event("b0", "2026-03-02T10:00:00Z", category="address")
    r.event("p0", "2026-03-02T10:00:00Z", category="customs_border")
    engine, _ = build("duckdb", tmp_path, r)
    engine.dispose()
    return f"duckdb:///{tmp_path / 'wh.duckdb'}"


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list(capsys):
    code, out, _ = run_cli(capsys, "list")
    assert code == 0 and "exception_rate" in out and "(10 cards in" in out
    code, out, _ = run_cli(capsys, "list", "--format", "json")
    assert {c["id"] for c in json.loads(out)} >= {"open_claims", "otd_by_route"}


def test_show(capsys):
    code, out, _ = run_cli(capsys, "show", "exception_rate")
    assert code == 0 and "id: exception_rate" in out and "tie_break" in out


def test_validate_packaged_and_bad_file(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "validate")
    assert code == 0 and out.count("ok ") == 10
    bad = tmp_path / "bad_card.yaml"
    bad.write_text((card_directory() / "exception_rate.yaml").read_text()
                   .replace("id: exception_rate", "id: bad_card")
                   .replace("kind: ratio", "kind: rate"))
    code, out, err = run_cli(capsys, "validate", str(card_directory() / "late_shipments.yaml"),
                             str(bad))
    assert code == 1
    assert "late_shipments.yaml (late_shipments)" in out
    assert f"INVALID {bad}:" in err and "at kind: got 'rate'; expected one of: ratio, count" in err


def test_evaluate_json(capsys, warehouse):
    code, out, _ = run_cli(capsys, "evaluate", "exception_rate", "--warehouse", warehouse,
                           "--as-of", "2026-03-12T08:00:00Z", "--set", "min_sample=10",
                           "--format", "json")
    assert code == 0
    payload = json.loads(out)
    assert (payload["numerator"], payload["denominator"], payload["status"]) == (2, 21,
                                                                                 "critical")


def test_evaluate_table_reads_like_the_vendor_card(capsys, warehouse):
    code, out, _ = run_cli(capsys, "evaluate", "exception_rate", "--warehouse", warehouse,
                           "--as-of", "2026-03-12T09:00:00+01:00", "--timezone", "Europe/Rome",
                           "--set", "min_sample=1", "--set", "critical_above=0.5")
    assert code == 0
    assert "9.52%   (2 / 21)" in out
    assert "Status: WARN" in out
    assert "Shipments affected" in out and "% of total" in out
    assert "Customs / border" in out and "All exceptions (this card)" in out
    assert "Total shipments in window: 21" in out
    assert "poste_italiane" in out and "not evaluable" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["evaluate", "nope", "--warehouse", "duckdb:///x"], "unknown card 'nope'; known cards:"),
    (["evaluate", "exception_rate", "--warehouse", "WH", "--set", "colour=red"],
     "unknown parameter 'colour' for card 'exception_rate'; valid parameters: carriers,"),
    (["evaluate", "exception_rate", "--warehouse", "WH", "--set", "exclude_returns=perhaps"],
     "exclude_returns='perhaps': expected a boolean"),
    (["evaluate", "exception_rate", "--warehouse", "WH", "--set", "oops"],
     "--set 'oops': expected key=value"),
    (["evaluate", "exception_rate", "--warehouse", "WH", "--timezone", "Mars/Base"],
     "unknown time zone 'Mars/Base'"),
    (["evaluate", "exception_rate", "--warehouse", "WH", "--as-of", "yesterday"],
     "as_of: 'yesterday' is not an ISO 8601 instant"),
    (["evaluate", "exception_rate", "--warehouse", "WH", "--as-of", "2026-03-12T08:00:00"],
     "has no UTC offset"),
    (["evaluate", "exception_rate", "--warehouse", "WH", "--schema", "main"],
     "table 'shipments' not found in schema 'main'"),
    (["evaluate", "exception_rate", "--warehouse", "sqlite:////nonexistent/dir/wh.sqlite"],
     "warehouse sqlite:////nonexistent/dir/wh.sqlite: no such file"),
    (["evaluate", "exception_rate", "--warehouse", "nosuchdb://x"],
     "is not a usable SQLAlchemy URL"),
])
def test_evaluate_errors(capsys, warehouse, argv, message):
    argv = [warehouse if a == "WH" else a for a in argv]
    code, _, err = run_cli(capsys, *argv)
    assert code == 2
    assert err.startswith("metric-cards: error: ") and message in err, err


def test_missing_table_in_sqlite_names_default_schema(capsys, tmp_path):
    (tmp_path / "empty.sqlite").touch()
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    code, _, err = run_cli(capsys, "evaluate", "exception_rate", "--warehouse", url)
    assert code == 2 and "table 'shipments' not found in the default schema" in err


def test_external_subcommand_registration(capsys, tmp_path, monkeypatch):
    (tmp_path / "fake_recon_cli.py").write_text(textwrap.dedent("""
        def add_parser(subparsers):
            p = subparsers.add_parser("reconcile", help="fake")
            p.add_argument("--portal-csv")
            p.set_defaults(handler=lambda args: print("reconciled", args.portal_csv) or 0)

        def add_other(subparsers):
            subparsers.add_parser("other", help="registered under another name")
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    plugins = [EntryPoint("reconcile", "fake_recon_cli:add_parser", cli.COMMAND_GROUP),
               EntryPoint("gone", "not_installed.cli:add_parser", cli.COMMAND_GROUP),
               EntryPoint("list", "fake_recon_cli:add_parser", cli.COMMAND_GROUP),
               EntryPoint("misnamed", "fake_recon_cli:add_other", cli.COMMAND_GROUP)]
    monkeypatch.setattr(cli, "command_plugins", lambda: plugins)
    code, out, err = run_cli(capsys, "reconcile", "--portal-csv", "x.csv")
    assert code == 0 and out.strip() == "reconciled x.csv"
    assert "'gone' (not_installed.cli:add_parser) failed: ModuleNotFoundError" in err
    assert "'list' (fake_recon_cli:add_parser): subcommand 'list' already exists" in err
    assert "'misnamed' (fake_recon_cli:add_other) did not add a subcommand named" in err
    sys.modules.pop("fake_recon_cli", None)


def test_reconcile_joins_through_the_installed_entry_point():
    """The installed package declares ``reconcile``; the card engine never names it."""
    (reconcile,) = [ep for ep in cli.command_plugins() if ep.name == "reconcile"]
    assert reconcile.value == "reconciliation.cli:add_parser"
    assert "reconcile" in cli.build_parser()._subparsers._group_actions[0].choices
