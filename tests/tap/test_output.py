"""LeanStateWriter: the same STATE lines as the SDK's writer, without deep copies."""

from __future__ import annotations

from decimal import Decimal

import pytest
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.singerlib import StateMessage

from tap_shipping_exceptions.output import (
    BufferedMsgSpecWriter,
    LeanStateWriter,
    encode_state_message,
)


def test_encoding_matches_the_sdk_writer() -> None:
    state = {"bookmarks": {"shipments": {"replication_key_value": None, "price": Decimal("1.5"),
                                         "shippypro": {"active": {"1": {"order": None}},
                                                       "done": {"2": 1_700_000_000}}}}}
    expected = bytes(MsgSpecWriter().format_message(StateMessage(value=state)))
    assert encode_state_message(state) == expected


def test_writes_only_changed_state(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    writer = LeanStateWriter(BufferedMsgSpecWriter())
    state: dict = {"bookmarks": {"shipments": {"shippypro": {"done": {}}}}}
    writer.write_state(state)
    writer.write_state(state)  # unchanged: not written again
    state["bookmarks"]["shipments"]["shippypro"]["done"]["7"] = 1  # mutated in place
    writer.write_state(state)
    lines = capsysbinary.readouterr().out.splitlines()
    assert lines == [b'{"type":"STATE","value":{"bookmarks":{"shipments":{"shippypro":'
                     b'{"done":{}}}}}}',
                     b'{"type":"STATE","value":{"bookmarks":{"shipments":{"shippypro":'
                     b'{"done":{"7":1}}}}}}']
