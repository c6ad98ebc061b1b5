"""Invalid card definitions are rejected with messages naming file, line, path, expectation."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from metric_cards.definitions import load_definition
from metric_cards.errors import CardDefinitionError
from metric_cards.registry import card_directory, load_directory

BASE: dict[str, Any] = yaml.safe_load((card_directory() / "exception_rate.yaml").read_text())


def write(tmp_path: Path, data: Any, name: str = "exception_rate.yaml") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return path


def rejected(tmp_path: Path, mutate,
             name: str = "exception_rate.yaml") -> tuple[Path, CardDefinitionError]:
    """The file written from ``BASE`` changed by ``mutate``, and the error loading it raised."""
    data = copy.deepcopy(BASE)
    mutate(data)
    path = write(tmp_path, data, name)
    with pytest.raises(CardDefinitionError) as info:
        load_definition(path)
    return path, info.value


def error_for(tmp_path: Path, mutate, name: str = "exception_rate.yaml") -> str:
    path, error = rejected(tmp_path, mutate, name)
    message = str(error)
    assert message.startswith(str(path)), message
    return message


def numerator(data: dict[str, Any]) -> list[dict[str, Any]]:
    return data["measures"]["numerator"]["filters"]


def test_packaged_definitions_are_valid():
    cards = load_directory()
    assert set(cards) == {
        "exception_rate", "exception_rate_by_category", "exception_rate_by_carrier",
        "on_time_delivery_rate", "otd_by_route", "late_shipments", "failed_deliveries",
        "open_claims", "returned_to_sender", "stalled_shipments"}


def test_unknown_top_level_key(tmp_path):
    msg = error_for(tmp_path, lambda d: d.update(colour="red"))
    assert "at (top level)" in msg and "'colour' was unexpected" in msg
    assert "expected only:" in msg and "thresholds" in msg


def test_missing_required_field(tmp_path):
    msg = error_for(tmp_path, lambda d: d.pop("label"))
    assert "'label' is a required property" in msg


def test_unknown_operator_names_path_and_line(tmp_path):
    def mutate(d):
        numerator(d)[0]["has_event"]["where"][0]["op"] = "equals"
    msg = error_for(tmp_path, mutate)
    assert "measures.numerator.filters[0].has_event.where[0].op" in msg
    assert "got 'equals'; expected one of: eq, ne" in msg
    path = tmp_path / "exception_rate.yaml"
    line = int(msg.split(":")[1])
    assert "op: equals" in path.read_text().splitlines()[line - 1]


def test_raw_sql_key_is_rejected(tmp_path):
    msg = error_for(tmp_path, lambda d: numerator(d).append({"sql": "1=1; drop table x"}))
    assert "measures.numerator.filters[1]" in msg and "sql" in msg


def test_unknown_field(tmp_path):
    msg = error_for(tmp_path, lambda d: numerator(d).append(
        {"field": "colour", "op": "eq", "value": "x"}))
    assert "filters[1].field: got 'colour'; expected one of: shipment_id" in msg


def test_list_operator_needs_list(tmp_path):
    msg = error_for(tmp_path, lambda d: numerator(d).append(
        {"field": "carrier", "op": "in", "value": "brt"}))
    assert "filters[1].value: operator 'in' expects a list value, got 'brt'" in msg


def test_operator_without_operand(tmp_path):
    msg = error_for(tmp_path, lambda d: numerator(d).append({"field": "carrier", "op": "eq"}))
    assert "operator 'eq' expects exactly one of value / column / instant, got none" in msg


def test_valueless_operator_with_value(tmp_path):
    msg = error_for(tmp_path, lambda d: numerator(d).append(
        {"field": "carrier", "op": "is_null", "value": 1}))
    assert "operator 'is_null' takes no operand, got value" in msg


def test_instant_on_non_timestamp(tmp_path):
    msg = error_for(tmp_path, lambda d: numerator(d).append(
        {"field": "carrier", "op": "gt", "instant": "as_of"}))
    assert "filters[1].instant: instant comparison expects a timestamp field" in msg


def test_thresholds_out_of_order(tmp_path):
    msg = error_for(tmp_path, lambda d: d.update(
        thresholds={"warn_above": 0.05, "critical_above": 0.03}))
    assert "thresholds.warn_above: expected warn_above (0.05) <= critical_above (0.03)" in msg


def test_thresholds_against_direction(tmp_path):
    msg = error_for(tmp_path, lambda d: d.update(
        thresholds={"warn_below": 0.95, "critical_below": 0.9}))
    assert "direction lower_is_better expects warn_above/critical_above" in msg


def test_unknown_time_zone(tmp_path):
    msg = error_for(tmp_path, lambda d: d["time"].update(timezone="Mars/Base"))
    assert "time.timezone: unknown time zone 'Mars/Base'" in msg


def test_wrong_type(tmp_path):
    msg = error_for(tmp_path, lambda d: d["time"].update(window_days="thirty"))
    assert "time.window_days: got 'thirty'; expected type integer" in msg


def test_kind_and_format_must_agree(tmp_path):
    msg = error_for(tmp_path, lambda d: d.update(kind="count"))
    assert "at format: kind 'count' expects format 'count'" in msg


def test_duplicate_breakdown(tmp_path):
    msg = error_for(tmp_path, lambda d: d["breakdowns"].append(dict(d["breakdowns"][1])))
    assert "breakdowns[2].id: duplicate breakdown id 'by_carrier'" in msg


def test_undeclared_parameter(tmp_path):
    msg = error_for(tmp_path, lambda d: d.pop("parameters"))
    assert "when.param: parameter 'include_transient' is not declared by this card" in msg


def test_relation_must_be_labelled_estimate(tmp_path):
    msg = error_for(tmp_path, lambda d: d["relations"][0].update(estimate=False))
    assert "relations[0].estimate: got False; expected True" in msg


def test_first_event_breakdown_needs_one_has_event(tmp_path):
    msg = error_for(tmp_path, lambda d: numerator(d).append(copy.deepcopy(numerator(d)[0])))
    assert "breakdowns[0].first_event" in msg and "found 2" in msg


def test_id_must_match_file_name(tmp_path):
    msg = error_for(tmp_path, lambda d: None, name="other_name.yaml")
    assert "at id: id 'exception_rate' must equal the file name stem 'other_name'" in msg


def test_invalid_yaml_reports_line(tmp_path):
    path = write(tmp_path, "id: x\nlabel: [unclosed\n", "x.yaml")
    with pytest.raises(CardDefinitionError) as info:
        load_definition(path)
    assert str(info.value).startswith(f"{path}:") and "invalid YAML" in str(info.value)


def test_top_level_must_be_mapping(tmp_path):
    path = write(tmp_path, "- a\n- b\n", "x.yaml")
    with pytest.raises(CardDefinitionError, match="expected a mapping of card fields"):
        load_definition(path)


def test_unknown_sibling_is_rejected(tmp_path):
    for f in card_directory().glob("*.yaml"):
        (tmp_path / f.name).write_text(f.read_text())
    data = copy.deepcopy(BASE)
    data["siblings"].append({"card": "no_such_card", "reason": "x"})
    write(tmp_path, data)
    with pytest.raises(CardDefinitionError, match=r"siblings\[12\]\.card: unknown card "
                                                  r"'no_such_card'"):
        load_directory(tmp_path)


def test_every_semantic_problem_is_reported_with_its_location(tmp_path):
    """Semantic validation does not stop at the first problem: each is named with its line."""

    def three_problems(d):
        d["time"].update(timezone="Mars/Base")
        d.update(thresholds={"warn_above": 0.05, "critical_above": 0.03})
        d["breakdowns"].append(dict(d["breakdowns"][1]))

    path, error = rejected(tmp_path, three_problems)
    found = error.problems
    assert [loc for loc, _, _ in found] == ["time.timezone", "thresholds.warn_above",
                                            "breakdowns[2].id"]
    assert all(isinstance(line, int) and line > 1 for _, _, line in found)
    text = path.read_text().splitlines()
    assert "timezone" in text[found[0][2] - 1] and "warn_above" in text[found[1][2] - 1]
    message = str(error)
    assert message.startswith(f"{path}:{found[0][2]}: at time.timezone: unknown time zone")
    assert f"\n  and {path}:{found[2][2]}: at breakdowns[2].id: duplicate breakdown id" in message


def test_one_problem_has_one_line(tmp_path):
    msg = error_for(tmp_path, lambda d: d.update(kind="count"))
    assert "\n" not in msg


def test_every_problem_inside_compound_conditions_is_reported(tmp_path):
    """Two bad items of one any_of and two of one has_event give four located problems."""

    def four_problems(d):
        numerator(d)[0]["has_event"]["where"] += [
            {"field": "milestone", "op": "in", "value": "delivered"},
            {"field": "carrier", "op": "eq", "value": ["brt"]}]
        numerator(d).append({"any_of": [
            {"field": "carrier", "op": "is_null", "value": "x"},
            {"field": "carrier", "op": "eq", "value": "brt"},
            {"field": "status", "op": "gt", "instant": "as_of"}]})

    path, error = rejected(tmp_path, four_problems)
    found = error.problems
    base = "measures.numerator.filters"
    assert [loc for loc, _, _ in found] == [
        f"{base}[0].has_event.where[2].value", f"{base}[0].has_event.where[3].value",
        f"{base}[1].any_of[0]", f"{base}[1].any_of[2].instant"]
    lines = path.read_text().splitlines()
    assert all(isinstance(line, int) for _, _, line in found)
    assert [lines[line - 1].strip() for _, _, line in found] == [
        "value: delivered", "value:", "- field: carrier", "instant: as_of"]


def test_filters_travel_as_typed_frozen_conditions():
    """After validation a card's filters are frozen dataclasses, never the YAML's dicts."""
    import dataclasses

    from metric_cards.conditions import AnyOf, Compare, EventCompare, HasEvent, When

    cards = load_directory()
    rate = cards["exception_rate"]
    (flag,) = rate.numerator_filters
    assert isinstance(flag, HasEvent) and rate.denominator_filters == ()
    assert flag.where == (
        EventCompare("exception_category", "is_not_null"),
        EventCompare("auto_resolved", "eq", False, When("include_transient", False)))
    failed = cards["failed_deliveries"].numerator_filters
    assert isinstance(failed[0], AnyOf) and all(isinstance(c, HasEvent)
                                                for c in failed[0].conditions)
    assert failed[1] == AnyOf((Compare("delivered_at", "is_null"),
                               Compare("delivered_at", "gt", instant="as_of")))

    def walk(conds):
        for cond in conds:
            assert dataclasses.is_dataclass(cond) and not isinstance(cond, dict)
            hash(cond)  # frozen, tuples all the way down
            yield cond
            yield from walk(getattr(cond, "conditions", ()))

    for card in cards.values():
        list(walk(card.numerator_filters + card.denominator_filters))
    with pytest.raises(dataclasses.FrozenInstanceError):
        flag.when = None  # type: ignore[misc]


def test_every_schema_problem_is_reported_once_per_place(tmp_path):
    """Independent schema violations are all named; one bad condition is one problem."""

    def two_problems(d):
        d.update(colour="red")
        numerator(d)[0]["has_event"]["where"][0]["op"] = "equals"
        numerator(d).append({"sql": "1=1"})  # matches no alternative and has an unknown key

    path, error = rejected(tmp_path, two_problems)
    found = error.problems
    assert [loc for loc, _, _ in found] == [
        "(top level)", "measures.numerator.filters[1]",
        "measures.numerator.filters[0].has_event.where[0].op"]
    assert "'colour' was unexpected" in found[0][1] and "got 'equals'" in found[2][1]
    lines = path.read_text().splitlines()
    assert "op: equals" in lines[found[2][2] - 1]
