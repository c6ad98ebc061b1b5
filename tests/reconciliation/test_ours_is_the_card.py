"""Reconciliation's "ours" is the card: equal to ``evaluate`` for every parameter combination.

The rule set moves ``exclude_returns`` and ``include_transient`` and the zone; every combination
of them (and a narrowed carrier scope) must give reconciliation's ours exactly the card's
numerator and denominator, and the card engine must never import reconciliation.
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest
from cards.test_backends_agree import seeded_rows
from cards.warehouses import build

from metric_cards.evaluate import evaluate
from reconciliation.bridge import reconcile
from shipping_core.windows import parse_instant

AS_OF = parse_instant("2026-03-12T08:00:00Z")
COMBINATIONS = [dict(zip(("exclude_returns", "include_transient"), flags, strict=True))
                for flags in itertools.product([True, False], repeat=2)]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory):
    engine, schema = build("duckdb_naive", Path(tmp_path_factory.mktemp("wh")),
                           seeded_rows(seed=3, count=600))
    yield engine, schema
    engine.dispose()


@pytest.mark.parametrize("zone", ["UTC", "Europe/Rome"])
@pytest.mark.parametrize("params", [*COMBINATIONS, {"carriers": "brt,gls"}],
                         ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()))
def test_reconcile_ours_equals_evaluate(warehouse, params, zone) -> None:
    engine, schema = warehouse
    card = evaluate("exception_rate", engine, AS_OF, timezone=zone, params=params,
                    schema=schema)
    payload = reconcile(engine, schema, None, 700, AS_OF, "Europe/Rome", portal_rate=0.03,
                        our_timezone=zone, params=params)
    assert card["denominator"] > 50  # a real sample, not an empty set
    assert (payload["ours"]["numerator"], payload["ours"]["denominator"]) == (
        card["numerator"], card["denominator"])
    assert payload["windows"]["ours"]["start"] == card["window"]["start"]
    assert payload["windows"]["ours"]["end"] == card["window"]["end"]
    assert payload["card"]["params"] == card["params"]


def test_each_bridge_step_that_is_a_card_reading_equals_evaluate(warehouse) -> None:
    """Before the event-anchor rule, the views are plain card readings: check the last one."""
    engine, schema = warehouse
    rules = "\n".join([
        "ruleset: zone_transient_returns",
        "rules:",
        "  - {id: time_zone, kind: time_zone, description: zone}",
        "  - {id: transient, kind: hide_transient, description: transient}",
        "  - {id: returns_leg, kind: include_returns, description: returns}",
    ])
    from reconciliation.ruleset import DEFAULT_RULESET

    base = DEFAULT_RULESET.read_text(encoding="utf-8")
    tail = base[base.index("annotations:"):]
    path = Path(engine.url.database).with_name("rules.yaml")
    path.write_text(rules + "\n" + tail, encoding="utf-8")
    payload = reconcile(engine, schema, None, 700, AS_OF, "Europe/Rome", portal_rate=0.03,
                        ruleset=path)
    steps = {s["rule"]: s for s in payload["bridge"]}
    num = payload["ours"]["numerator"] + sum(s["numerator_delta"] for s in steps.values())
    den = payload["ours"]["denominator"] + sum(s["denominator_delta"] for s in steps.values())
    card = evaluate("exception_rate", engine, AS_OF, timezone="Europe/Rome",
                    params={"include_transient": False, "exclude_returns": False},
                    schema=schema)
    assert (num, den) == (card["numerator"], card["denominator"])


def test_card_engine_never_imports_reconciliation() -> None:
    package = Path(__file__).resolve().parents[2] / "metric_cards"
    offenders = []
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] ==
                          "reconciliation"]
    assert offenders == [], offenders


def test_portal_only_shipment_gets_the_taxonomy_carrier_key(tmp_path: Path) -> None:
    """A shipment only the portal lists is keyed like the tap keys it: Bartolini -> brt."""
    from .warehouse_builder import Warehouse, write_export

    warehouse = Warehouse(tmp_path / "warehouse.duckdb")
    warehouse.shipment("A", "2026-03-01 09:00", carrier="brt")
    warehouse.event("A", "2026-03-02 10:00", "address")
    export = write_export(tmp_path / "export.csv", [
        {"shipment_id": "A", "category": "address", "event": "2026-03-02 10:00"},
        {"shipment_id": "Z9", "category": "address", "event": "2026-03-03 10:00",
         "carrier": "Bartolini"},
    ])
    payload = reconcile(warehouse.engine(), "raw", export, 2, AS_OF, "Europe/Rome")
    unexplained = {s["shipment_id"]: s["carrier"] for s in payload["unexplained"]["shipments"]}
    assert unexplained == {"Z9": "brt"}
    assert [row["carrier"] for row in payload["by_carrier"]] == ["brt"]
