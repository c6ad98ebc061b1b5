"""Cached plans: a warm ``metric-cards evaluate`` reads the same payload as a compiled one, and
any change to the card, its parameters, the instant or the code misses the cache."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from sqlalchemy import create_engine

from metric_cards import cli, plan_cache, registry
from metric_cards.errors import WarehouseError
from metric_cards.plan_cache import PlanCache
from metric_cards.registry import packaged_cards
from metric_cards.warehouse import contract_tables
from metric_cards.warm_evaluate import Cold, Request, duckdb_file, evaluate_warm
from shipping_core.windows import parse_instant

from .test_backends_agree import seeded_rows
from .warehouses import Rows, _naive, build

CARDS = sorted(packaged_cards())
AS_OF = "2026-04-05T09:30:00+02:00"


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A seeded warehouse per DuckDB flavour (TIMESTAMPTZ, naive UTC as target-duckdb writes)."""
    urls = {}
    for kind in ("duckdb", "duckdb_naive"):
        directory = tmp_path_factory.mktemp(kind)
        engine, _ = build(kind, directory, seeded_rows())
        engine.dispose()
        urls[kind] = f"duckdb:///{directory / 'wh.duckdb'}"
    return urls


def evaluate_text(argv: list[str]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["evaluate", *argv, "--format", "json"]) == 0
    return out.getvalue()


def request_of(url: str, card: str, as_of: str | None = None, timezone: str | None = None,
               assignments: tuple[str, ...] = ()) -> Request:
    return Request(url, card, as_of, timezone, assignments, "raw")


VARIANTS = {  # (--as-of, --timezone, --set ...)
    "latest": (None, None, ()),
    "instant_rome_params": (AS_OF, "Europe/Rome", ("min_sample=5", "exclude_returns=false")),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("kind", ["duckdb", "duckdb_naive"])
@pytest.mark.parametrize("card", CARDS)
def test_cached_plan_reads_the_compiled_payload(card: str, kind: str, variant: str,
                                                warehouses: dict[str, str],
                                                monkeypatch: pytest.MonkeyPatch,
                                                private_plan_cache: Path) -> None:
    as_of, timezone, assignments = VARIANTS[variant]
    argv = [card, "--warehouse", warehouses[kind], "--schema", "raw"]
    argv += ["--as-of", as_of] if as_of else []
    argv += ["--timezone", timezone] if timezone else []
    for a in assignments:
        argv += ["--set", a]
    monkeypatch.setenv("METRIC_CARDS_PLAN_CACHE", "off")
    uncached = evaluate_text(argv)
    monkeypatch.setenv("METRIC_CARDS_PLAN_CACHE", str(private_plan_cache))
    assert evaluate_text(argv) == uncached  # compiled, plans stored
    warm = evaluate_warm(request_of(warehouses[kind], card, as_of, timezone, assignments),
                         PlanCache(private_plan_cache))
    assert not isinstance(warm, Cold), warm
    assert json.dumps(warm, indent=2) + "\n" == uncached  # same keys, order and values
    assert evaluate_text(argv) == uncached


def test_card_change_parameter_change_and_instant_change_miss(tmp_path: Path,
                                                               warehouses: dict[str, str],
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               private_plan_cache: Path) -> None:
    cards = tmp_path / "cards"
    shutil.copytree(registry.card_directory(), cards)
    monkeypatch.setattr(registry, "card_directory", lambda: cards)
    try:
        check_misses(cards, warehouses["duckdb_naive"], monkeypatch, private_plan_cache)
    finally:  # nothing read from the copied cards outlives the test
        registry._single_card.cache_clear()
        registry.packaged_cards.cache_clear()


def check_misses(cards: Path, url: str, monkeypatch: pytest.MonkeyPatch,
                 private_plan_cache: Path) -> None:
    registry._single_card.cache_clear()
    registry.packaged_cards.cache_clear()
    cache = PlanCache(private_plan_cache)
    base = ["exception_rate", "--warehouse", url, "--schema", "raw", "--as-of", AS_OF]
    first = json.loads(evaluate_text(base))
    hit = evaluate_warm(request_of(url, "exception_rate", AS_OF), cache)
    assert hit == first

    # a parameter, the time zone or the instant changes: miss
    for changed in (request_of(url, "exception_rate", AS_OF, assignments=("min_sample=5",)),
                    request_of(url, "exception_rate", AS_OF, timezone="Europe/Rome"),
                    request_of(url, "exception_rate", "2026-04-05T09:30:01+02:00")):
        assert isinstance(evaluate_warm(changed, cache), Cold), changed
    with_param = json.loads(evaluate_text([*base, "--set", "min_sample=5"]))
    assert with_param["min_sample"] == 5 and first["min_sample"] != 5

    # the card file changes (a new label): miss, then the new card is compiled and cached
    path = cards / "exception_rate.yaml"
    text = path.read_text("utf-8")
    assert f"label: {first['label']}" in text
    path.write_text(text.replace(f"label: {first['label']}", "label: Renamed rate"), "utf-8")
    registry._single_card.cache_clear()
    assert isinstance(evaluate_warm(request_of(url, "exception_rate", AS_OF), cache), Cold)
    renamed = json.loads(evaluate_text(base))
    assert renamed["label"] == "Renamed rate"
    assert evaluate_warm(request_of(url, "exception_rate", AS_OF), cache) == renamed

    # the code changes: every key changes
    before = plan_cache.card_key(path.read_bytes(), "raw", None, (), first_instant(first))
    monkeypatch.setattr(plan_cache, "code_fingerprint", lambda: "other code")
    assert plan_cache.card_key(path.read_bytes(), "raw", None, (),
                               first_instant(first)) != before
    assert isinstance(evaluate_warm(request_of(url, "exception_rate", AS_OF), cache), Cold)


def first_instant(payload: dict[str, Any]) -> datetime:
    return parse_instant(payload["as_of"])


def test_latest_instant_is_read_again_each_time(tmp_path: Path,
                                                private_plan_cache: Path) -> None:
    rows = seeded_rows(count=60)
    engine, _ = build("duckdb_naive", tmp_path, rows)
    engine.dispose()
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    argv = ["exception_rate", "--warehouse", url, "--schema", "raw"]
    first = json.loads(evaluate_text(argv))
    assert json.loads(evaluate_text(argv)) == first
    # new data moves the latest event: the cached "latest" plan reads the new instant, the card
    # plan for it is missing, so the card is compiled for it
    more = Rows()
    more.event("s1", "2026-04-20T10:00:00Z", milestone="in_transit")
    add_events(tmp_path, more)
    later = json.loads(evaluate_text(argv))
    assert later["as_of"] == "2026-04-20T10:00:00Z" != first["as_of"]


def add_events(directory: Path, rows: Rows) -> None:
    engine = create_engine(f"duckdb:///{directory / 'wh.duckdb'}")
    with engine.begin() as conn:
        conn.execute(contract_tables("raw").tracking_events.insert(), _naive(rows.events))
    engine.dispose()


def test_warm_path_keeps_the_contract_check(tmp_path: Path, private_plan_cache: Path) -> None:
    engine, _ = build("duckdb_naive", tmp_path, seeded_rows(count=40))
    engine.dispose()
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    argv = ["exception_rate", "--warehouse", url, "--schema", "raw", "--as-of", AS_OF]
    evaluate_text(argv)
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        con.execute("ALTER TABLE raw.tracking_events DROP COLUMN exception_category")
    with pytest.raises(WarehouseError, match=r"column tracking_events\.exception_category is "
                                             r"missing in schema 'raw'"):
        evaluate_warm(request_of(url, "exception_rate", AS_OF), PlanCache(private_plan_cache))
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert cli.main(["evaluate", *argv]) == 2
    assert "tracking_events.exception_category is missing" in err.getvalue()


def test_only_plain_duckdb_files_take_the_warm_path() -> None:
    assert duckdb_file("duckdb:////tmp/wh.duckdb") == Path("/tmp/wh.duckdb")
    assert duckdb_file("duckdb:///wh.duckdb") == Path("wh.duckdb")
    for url in ("duckdb:///:memory:", "duckdb://", "duckdb:///md:db", "duckdb:///w.db?x=1",
                "sqlite:///wh.sqlite", "postgresql://u@h/db", "duckdb:///a%20b.duckdb"):
        assert duckdb_file(url) is None, url


def test_warm_process_imports_no_sqlalchemy(tmp_path: Path) -> None:
    engine, _ = build("duckdb_naive", tmp_path, seeded_rows(count=40))
    engine.dispose()
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    argv = ["evaluate", "exception_rate", "--warehouse", url, "--schema", "raw", "--format",
            "json"]
    probe = (
        "import contextlib, io, json, sys\n"
        "from metric_cards import cli\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        f"    code = cli.main({argv!r})\n"
        "print(json.dumps({'code': code, 'payload': json.loads(out.getvalue()),\n"
        "  'loaded': sorted({m.split('.')[0] for m in sys.modules})}))\n")
    reports = [json.loads(subprocess.run([sys.executable, "-c", probe], capture_output=True,
                                         text=True, timeout=120, check=True).stdout)
               for _ in range(2)]
    cold, warm = reports
    assert cold["code"] == warm["code"] == 0
    assert warm["payload"] == cold["payload"]
    assert "sqlalchemy" in cold["loaded"]
    for heavy in ("sqlalchemy", "duckdb_engine", "pandas", "jsonschema", "reconciliation"):
        assert heavy not in warm["loaded"], heavy


def test_damaged_plan_files_are_misses(tmp_path: Path, warehouses: dict[str, str],
                                       private_plan_cache: Path) -> None:
    url = warehouses["duckdb_naive"]
    argv = ["exception_rate", "--warehouse", url, "--schema", "raw", "--as-of", AS_OF]
    expected = evaluate_text(argv)
    files = sorted(private_plan_cache.glob("*.json"))
    assert files
    for damage in ("not json", '{"statements": {}}', '{"statements": {}, "card": {"id": 1}}',
                   '{"statements": {"aggregate": {"needs": [], "sql": 3}}, "card": {}}',
                   '{"statements": {"aggregate": {"needs": {}, "sql": "select 1"}}}'):
        for f in files:
            f.write_text(damage, "utf-8")
        outcome = evaluate_warm(request_of(url, "exception_rate", AS_OF),
                                PlanCache(private_plan_cache))
        assert isinstance(outcome, Cold), damage
        assert evaluate_text(argv) == expected  # compiled again, and the plan stored again


def test_a_directory_others_can_write_to_is_never_read(
        tmp_path: Path, warehouses: dict[str, str], private_plan_cache: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    """A plan is SQL run on the warehouse: plans in a group- or world-writable directory are
    neither read nor written; the card is compiled instead, with the same payload."""
    url = warehouses["duckdb_naive"]
    argv = ["exception_rate", "--warehouse", url, "--schema", "raw", "--as-of", AS_OF]
    expected = evaluate_text(argv)
    assert PlanCache.default() is not None and sorted(private_plan_cache.glob("*.json"))
    private_plan_cache.chmod(0o777)
    try:
        with caplog.at_level("WARNING", logger="metric_cards.plan_cache"):
            assert PlanCache.default() is None
        assert "not group- or world-writable" in caplog.text
        stamps = {f: f.stat().st_mtime_ns for f in private_plan_cache.glob("*.json")}
        assert evaluate_text(argv) == expected
        assert {f: f.stat().st_mtime_ns for f in private_plan_cache.glob("*.json")} == stamps
    finally:
        private_plan_cache.chmod(0o700)
    assert plan_cache.trusted_directory(private_plan_cache)
    assert plan_cache.trusted_directory(tmp_path / "absent")
