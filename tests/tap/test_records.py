"""Record building: deterministic event ids, UTC timestamps, code folding, field errors."""

from __future__ import annotations

import pytest

from tap_shipping_exceptions.errors import ResponseFormatError
from tap_shipping_exceptions.records import iso_utc, make_event_id, parse_events, record_hash

from .fakes import event


def test_event_id_is_deterministic_and_cosmetic_insensitive() -> None:
    a = make_event_id("12", 1772000000, 2, None, "In  transito", "MILANO")
    b = make_event_id("12", 1772000000, 2, None, "in transito ", "Milano")
    assert a == b and len(a) == 40
    assert a != make_event_id("13", 1772000000, 2, None, "In transito", "Milano")
    assert a != make_event_id("12", 1772000001, 2, None, "In transito", "Milano")
    assert a != make_event_id("12", 1772000000, 2, "X1", "In transito", "Milano")


def test_parse_events_dedupes_sorts_and_folds_codes() -> None:
    raw = [event(300, 6000, "Consegnata"), event(100, 1, "Dati"), event(200, 2, "Partita"),
           event(100, 1, "Dati"), {"date": "200", "code": "2", "message": "partita",
                                   "city": "milano"}]
    events = parse_events(raw, shipment_id="9", subject="OrderID 9")
    assert [(e.occurred, e.code) for e in events] == [(100, 1), (200, 2), (300, 6)]
    assert events[2].raw["code"] == 6000  # raw stays untouched


@pytest.mark.parametrize("raw, field", [
    ([{"code": 2, "message": "x"}], "Events[0].date"),
    ([event(1, 2, "a"), {"date": 5}], "Events[1].code"),
    ([event(1, 2, "a"), "oops"], "Events[1]"),
    ([{"date": "yesterday", "code": 2}], "Events[0].date"),
])
def test_parse_events_names_bad_field(raw: list, field: str) -> None:
    with pytest.raises(ResponseFormatError) as info:
        parse_events(raw, shipment_id="4", subject="OrderID 4 / tracking T4")
    assert info.value.field == field
    assert "GetTracking (OrderID 4 / tracking T4)" in str(info.value)


def test_iso_utc_and_hash() -> None:
    assert iso_utc(0) == "1970-01-01T00:00:00Z"
    assert iso_utc(1773273600) == "2026-03-12T00:00:00Z"
    assert record_hash({"a": 1, "b": [1]}) == record_hash({"b": [1], "a": 1})
    assert record_hash({"a": 1}) != record_hash({"a": 2})


def test_fast_paths_equal_their_reference_definitions() -> None:
    """iso_utc and identity_text are hand-optimised; they must equal the plain definitions."""
    import random
    import re
    from datetime import UTC, datetime

    from tap_shipping_exceptions.records import (
        MAX_UNIX_SECONDS,
        MIN_UNIX_SECONDS,
        identity_text,
    )
    rng = random.Random(15)
    for value in [MIN_UNIX_SECONDS, MAX_UNIX_SECONDS, -1, 0, 951_782_400, 4_107_542_400,
                  *(rng.randint(MIN_UNIX_SECONDS, MAX_UNIX_SECONDS) for _ in range(5000))]:
        expected = datetime.fromtimestamp(value, UTC).replace(tzinfo=None).isoformat() + "Z"
        assert iso_utc(value) == expected, value  # (strftime's %Y would not pad year 1)
    for bad in (MIN_UNIX_SECONDS - 1, MAX_UNIX_SECONDS + 1, 10**13):
        with pytest.raises(ValueError, match="outside the years 1-9999"):
            iso_utc(bad)
    spaces = re.compile(r"\s+")
    candidates = [chr(c) for c in range(0x110000)
                  if chr(c).isspace() or spaces.fullmatch(chr(c))]
    assert len(candidates) > 20
    for ch in candidates:
        text = f"{ch}Giacenza{ch}{ch}PRESSO{ch}x{ch}"
        assert identity_text(text) == spaces.sub(" ", text).strip().casefold(), hex(ord(ch))


def test_record_hash_is_the_digest_existing_state_holds() -> None:
    """State written before the fast path keeps matching: same digest as json.dumps gives."""
    import hashlib
    import json

    from .fakes import order
    records = [{"shipment_id": "7", "raw": order(7), "is_terminal": False, "n": None},
               {"shipment_id": "8", "city": "Città di Castello", "raw": order(8, carrier="Poste")},
               {"shipment_id": "9", "message": "lone \ud800 surrogate", "weight": 10.25}]
    for record in records:
        text = json.dumps(record, sort_keys=True, separators=(",", ":"), default=str)
        assert record_hash(record) == hashlib.sha1(text.encode()).hexdigest()[:16]


def test_event_ids_do_not_depend_on_the_identity_text_table(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Event ids use remembered normalised texts; long texts, a full (cleared) table and the
    plain definition all give the same id."""
    import hashlib

    from tap_shipping_exceptions import records

    def reference(shipment_id, occurred, code, carrier_code, message, city) -> str:
        key = "\x1f".join((shipment_id, str(occurred), str(code), carrier_code or "",
                           records.identity_text(message), records.identity_text(city)))
        return hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()

    monkeypatch.setattr(records, "IDENTITY_TEXTS_KEPT", 8)
    texts = [None, "", "  Giacenza  PRESSO\tdeposito ", "GIACENZA presso deposito", "x" * 500,
             "bad\ud800text", *(f"Messaggio {n}" for n in range(30))]
    for _ in range(2):  # second pass reads remembered texts
        for text in texts:
            args = ("42", 1_773_273_600, 4, "G1", text, text)
            assert make_event_id(*args) == reference(*args), text
    assert len(records._IDENTITY_TEXTS) <= 8
    assert "x" * 500 not in records._IDENTITY_TEXTS
