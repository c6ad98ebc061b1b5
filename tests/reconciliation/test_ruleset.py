"""The rule set file: the packaged one loads in the binding order; broken ones are named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from reconciliation.ruleset import DEFAULT_RULESET, RuleSetError, load_ruleset


def test_packaged_ruleset_order_and_tolerance() -> None:
    rules = load_ruleset()
    assert [r.id for r in rules.rules] == ["window_anchor", "time_zone", "transient",
                                           "returns_leg", "sync_timing", "taxonomy"]
    assert (rules.tolerance.abs_points, rules.tolerance.relative) == (0.10, 0.05)
    assert [a.id for a in rules.annotations] == ["ferragosto"]


def mutated(tmp_path: Path, change) -> Path:
    doc = yaml.safe_load(DEFAULT_RULESET.read_text(encoding="utf-8"))
    change(doc)
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["rules"][0].update(kind="smoothing"), r"rules\.0\.kind: 'smoothing' is not one"),
    (lambda d: d["rules"][2].update(auto_resolved={"classes": ["transient"]}),
     r"rules\.2: Additional properties are not allowed \('auto_resolved'"),
    (lambda d: d["rules"].append(dict(d["rules"][0], id="again")), "duplicate kind window_anchor"),
    (lambda d: d["rules"].insert(0, d["rules"].pop()), "taxonomy rule must come last"),
    (lambda d: d["tolerance"].update(relative=-1), r"tolerance\.relative: -1 is less than"),
    (lambda d: d["portal_export"]["categories"].update(weather=["Meteo"]),
     "portal_export.categories: weather not in category_priority"),
    (lambda d: d["portal_export"]["columns"].pop("category"),
     r"portal_export\.columns: 'category' is a required"),
])
def test_broken_rulesets_are_named(tmp_path: Path, change, message: str) -> None:
    with pytest.raises(RuleSetError, match=message):
        load_ruleset(mutated(tmp_path, change))


def test_unreadable_and_invalid_yaml(tmp_path: Path) -> None:
    with pytest.raises(RuleSetError, match="cannot read"):
        load_ruleset(tmp_path / "none.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules: [\n", encoding="utf-8")
    with pytest.raises(RuleSetError, match="not valid YAML"):
        load_ruleset(bad)


def test_a_ruleset_without_a_rule_leaves_its_shipments_unexplained(warehouse, tmp_path: Path
                                                                   ) -> None:
    from reconciliation.bridge import reconcile

    from .warehouse_builder import utc, write_export

    warehouse.shipment("F", "2026-03-03 09:00")
    warehouse.event("F", "2026-03-12 07:00", "address")  # after the portal's recompute
    export = write_export(tmp_path / "e.csv", [])
    path = mutated(tmp_path, lambda d: d["rules"].pop(4))  # no sync_timing
    payload = reconcile(warehouse.engine(), "raw", export, 1, utc("2026-03-12 08:00"),
                        ruleset=path)
    assert [s["rule"] for s in payload["bridge"]] == ["window_anchor", "time_zone", "transient",
                                                      "returns_leg", "taxonomy"]
    assert [s["shipment_id"] for s in payload["unexplained"]["shipments"]] == ["F"]
