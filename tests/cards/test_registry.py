"""The registry is discoverable as files and through the ``metric_cards`` entry point."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest

from metric_cards.errors import UnknownCardError
from metric_cards.registry import card_directory, card_files, get_card


def test_card_directory_holds_the_packaged_yamls():
    directory = card_directory()
    assert directory.is_dir()
    assert {p.stem for p in card_files()} >= {"exception_rate", "returned_to_sender"}


def test_entry_point_group_resolves_to_card_directory():
    eps = [ep for ep in entry_points(group="metric_cards") if ep.name == "shipping"]
    assert len(eps) == 1
    assert eps[0].load()() == card_directory()


def test_unknown_card_lists_known():
    with pytest.raises(UnknownCardError, match="unknown card 'nope'; known cards: "
                                               "exception_rate, "):
        get_card("nope")


def test_exception_rate_definition_carries_vendor_card_metadata():
    card = get_card("exception_rate")
    d = card.data
    assert d["direction"] == "lower_is_better" and d["roles"] == ["owner", "operations"]
    assert d["thresholds"] == {"warn_above": 0.01, "critical_above": 0.03}
    assert d["time"] == {"anchor": "created_at", "window_days": 30,
                         "compare": {"to": "prior_period", "days": 30}, "timezone": "UTC"}
    assert {b["low"] for b in d["benchmarks"]} == {0.012, 0.018}
    rel = d["relations"][0]
    assert (rel["target"], rel["lag_days"], rel["effect_pp_per_pp"], rel["estimate"]) == (
        "on_time_delivery_rate", 2, -1.5, True)
    rules = {r["rule"] for r in d["reconciliation_differences"]}
    assert rules == {"taxonomy", "transient", "sync_timing", "time_zone", "august_holidays",
                     "returns_leg", "window_anchor"}
    assert [b.id for b in card.breakdowns] == ["by_category", "by_carrier"]
