"""Compact pending ids in state: registered as one int list, claimed in fetch order, and turned
back into ordinary ``active`` entries when a sync ends early or a state from a dead sync loads."""

from __future__ import annotations

from tap_shipping_exceptions.state import TapBookkeeping

NOW = 1_800_000_000


def test_discover_registers_compact_pending_list() -> None:
    state: dict = {}
    book = TapBookkeeping(state)
    book.done["7"] = NOW
    assert [book.discover(i, now=NOW) for i in (5, 3, 7, 5, 9)] == [
        "new", "new", "done", "known", "new"]
    assert book.active == {}  # no per-id entry while pending
    assert book.seal_pending(now=NOW) == 3
    assert state["shippypro"]["pending"] == {"seen": NOW, "ids": [9, 5, 3]}
    assert book.pending_ids() == [3, 5, 9]


def test_claim_makes_an_ordinary_entry_and_empties_pending() -> None:
    state: dict = {}
    book = TapBookkeeping(state)
    for i in (1, 2):
        book.discover(i, now=NOW)
    book.seal_pending(now=NOW)
    book.claim_pending(1)
    assert book.active["1"] == {"order": None, "seen": NOW, "events": "", "record": None}
    book.finish("1", NOW)
    book.claim_pending(2)
    assert "pending" not in state["shippypro"]
    assert set(book.active) == {"2"} and "1" in book.done


def test_leftover_pending_becomes_active_on_prune_and_on_load() -> None:
    state: dict = {}
    book = TapBookkeeping(state)
    for i in (1, 2, 3):
        book.discover(i, now=NOW)
    book.seal_pending(now=NOW)
    saved = {"shippypro": {k: (dict(v) if isinstance(v, dict) else v)
                           for k, v in state["shippypro"].items()}}
    saved["shippypro"]["pending"] = {"seen": NOW, "ids": [3, 2, 1]}
    book.claim_pending(1)
    book.prune(now=NOW, window_days=30)  # the sync stopped after one shipment
    assert sorted(book.active, key=int) == ["1", "2", "3"]
    assert set(state["shippypro"]) == {"version", "active", "done", "archive"}
    # a STATE message written mid-sync (the sync then died) loads as ordinary pending entries
    loaded = TapBookkeeping(saved)
    assert "pending" not in saved["shippypro"]
    assert {k: e["order"] for k, e in loaded.active.items()} == {"1": None, "2": None, "3": None}
    assert all(e["seen"] == NOW for e in loaded.active.values())
