"""Parameter parsing, the Wilson interval, status ladder and the Italian holiday calendar."""

from __future__ import annotations

from datetime import date

import pytest

from metric_cards.errors import ParameterError
from metric_cards.holidays import annotations, easter_sunday, italian_holidays
from metric_cards.params import parse_assignments, resolve, valid_names
from metric_cards.registry import get_card
from metric_cards.stats import card_status, wilson_interval


def test_defaults_come_from_the_definition():
    p = resolve(get_card("exception_rate"))
    assert (p.exclude_returns, p.include_transient, p.warn, p.critical, p.min_sample) == (
        True, True, 0.01, 0.03, 300)


def test_unknown_parameter_lists_valid_ones():
    with pytest.raises(ParameterError) as info:
        resolve(get_card("exception_rate"), {"exlude_returns": "false"})
    assert str(info.value) == (
        "unknown parameter 'exlude_returns' for card 'exception_rate'; valid parameters: "
        "carriers, critical_above, exclude_returns, include_transient, min_sample, warn_above")


def test_include_transient_only_where_declared():
    assert "include_transient" not in valid_names(get_card("on_time_delivery_rate"))
    assert "warn_below" in valid_names(get_card("on_time_delivery_rate"))


@pytest.mark.parametrize(("key", "value", "message"), [
    ("exclude_returns", "maybe", "exclude_returns='maybe': expected a boolean (true or false)"),
    ("min_sample", "-3", "min_sample='-3': expected a non-negative integer"),
    ("min_sample", "ten", "min_sample='ten': expected a non-negative integer"),
    ("warn_above", "2", "warn_above='2': expected a fraction between 0 and 1"),
    ("warn_above", "two", "warn_above='two': expected a fraction between 0 and 1"),
    ("critical_above", "0.005", "warn_above=0.01 and critical_above=0.005: expected "
                                "warn_above <= critical_above"),
])
def test_bad_values_are_named(key, value, message):
    with pytest.raises(ParameterError) as info:
        resolve(get_card("exception_rate"), {key: value})
    assert message in str(info.value)


def test_count_card_thresholds_are_integers_and_come_in_pairs():
    card = get_card("late_shipments")
    assert resolve(card, {"warn_above": "10", "critical_above": "20"}).warn == 10.0
    with pytest.raises(ParameterError, match="expected a non-negative integer"):
        resolve(card, {"warn_above": "1.5", "critical_above": "3"})
    with pytest.raises(ParameterError, match="set both warn_above and critical_above"):
        resolve(card, {"warn_above": "10"})


def test_parse_assignments():
    assert parse_assignments(["a=1", " b = x=y "]) == {"a": "1", "b": "x=y"}
    with pytest.raises(ParameterError, match="expected key=value"):
        parse_assignments(["novalue"])


@pytest.mark.parametrize(("num", "den", "low", "high"), [
    (1, 20, 0.0089, 0.2361), (3, 60, 0.0171, 0.1369), (12, 400, 0.0173, 0.0518),
    (450, 15000, 0.0274, 0.0328)])
def test_wilson_matches_published_values(num, den, low, high):
    lo, hi = wilson_interval(num, den)
    assert lo == pytest.approx(low, abs=6e-4) and hi == pytest.approx(high, abs=6e-4)


def test_wilson_edges():
    assert wilson_interval(0, 0) is None
    lo, hi = wilson_interval(0, 50)
    assert lo == 0.0 and 0 < hi < 0.08
    with pytest.raises(ValueError):
        wilson_interval(5, 3)


def test_status_ladder():
    kw = {"kind": "ratio", "direction": "lower_is_better", "warn": 0.01, "critical": 0.03}
    assert card_status(0.029, 16000, min_sample=300, **kw).value == "warn"
    assert card_status(0.031, 16000, min_sample=300, **kw).value == "critical"
    assert card_status(0.01, 16000, min_sample=300, **kw).value == "ok"
    assert card_status(0.5, 299, min_sample=300, **kw).value == "insufficient_data"
    assert card_status(None, 0, min_sample=0, **kw).value == "not_evaluable"
    hi = {"kind": "ratio", "direction": "higher_is_better", "warn": 0.95, "critical": 0.9}
    assert card_status(0.93, 1000, min_sample=0, **hi).value == "warn"
    assert card_status(0.89, 1000, min_sample=0, **hi).value == "critical"


def test_easter():
    assert [easter_sunday(y) for y in (2024, 2025, 2026, 2027)] == [
        date(2024, 3, 31), date(2025, 4, 20), date(2026, 4, 5), date(2027, 3, 28)]


def test_italian_holidays_2026():
    days = italian_holidays(2026)
    assert days[date(2026, 4, 6)].startswith("Luned")       # Easter Monday
    assert days[date(2026, 8, 15)] == "Ferragosto"
    assert date(2026, 10, 4) in days and date(2025, 10, 4) not in italian_holidays(2025)
    assert len(days) == 13


def test_annotations_for_ferragosto_and_holidays():
    notes = annotations(date(2026, 7, 20), date(2026, 8, 18), "window")
    names = [(n.kind, n.name) for n in notes]
    assert ("period", "ferragosto") in names and ("public_holiday", "Ferragosto") in names
    assert annotations(date(2026, 9, 1), date(2026, 9, 30), "window") == []
    easter = annotations(date(2026, 3, 10), date(2026, 4, 8), "comparison")
    assert [n.start for n in easter] == [date(2026, 4, 5), date(2026, 4, 6)]
    assert easter[0].as_payload()["applies_to"] == "comparison"
