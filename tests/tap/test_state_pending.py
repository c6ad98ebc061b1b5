"""Compact state in memory: pending ids registered as one int list, claimed in fetch order and
turned back into ordinary ``active`` entries when a sync ends early or a state from a dead sync
loads; cached orders held as encoded JSON yet written to STATE as plain objects."""

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


def test_cached_order_is_compact_in_memory_and_plain_json_in_state() -> None:
    from decimal import Decimal

    import msgspec

    from tap_shipping_exceptions.output import encode_state_message
    from tap_shipping_exceptions.state import order_of

    from .fakes import order

    cached = order(11, date=NOW - 100)
    state: dict = {}
    book = TapBookkeeping(state)
    book.keep_active("11", order=cached, prefixes={"abcdef0123"}, record="r", seen=NOW)
    assert isinstance(book.active["11"]["order"], msgspec.Raw)
    assert order_of(book.active["11"]) == cached
    # STATE messages carry the Order as a plain nested object, as documented
    line = msgspec.json.decode(encode_state_message(state))
    assert line["value"]["shippypro"]["active"]["11"]["order"] == cached
    # a --state file parsed by the SDK (floats as Decimal) loads back to the same order
    loaded_root = msgspec.json.decode(encode_state_message(state))["value"]
    parcel = loaded_root["shippypro"]["active"]["11"]["order"]["parcels"][0]
    parcel["weight"] = Decimal(str(parcel["weight"]))
    reloaded = TapBookkeeping(loaded_root)
    assert order_of(reloaded.active["11"]) == cached
    assert reloaded.prune(now=NOW, window_days=30) == {"expired_active": 0, "forgotten_done": 0,
                                                          "forgotten_parked": 0}
    assert reloaded.prune(now=NOW + 31 * 86_400, window_days=30)["expired_active"] == 1
