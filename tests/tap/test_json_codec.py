"""The client's JSON codec: msgspec where it agrees with ``json``, ``json`` everywhere else."""

from __future__ import annotations

import json

import pytest

from tap_shipping_exceptions.client import decode_body, encode_request

BODIES = [
    b'{"Result":"OK","Order":{"OrderID":1,"Date":1773273600}}',
    b'{"a":1,"a":2}',  # duplicate key: the last wins in both
    b'{"a":NaN}', b'{"a":Infinity}', b'{"a":-Infinity}',  # json-only literals
    b'{"a":1e400}', b'{"a":1e-400}', b'{"a":5e-324}', b'{"a":-0.0}',
    b'{"a":123456789012345678901234567890}', b'{"a":' + b"9" * 5000 + b"}",
    b'{"a":"\\ud800"}', b'{"a":"\\ud83d\\ude00"}',  # lone surrogate / a valid pair
    b'\xef\xbb\xbf{"a":1}', '{"a":"é"}'.encode("utf-16"),  # BOM, another encoding
    b'{"a":"\xff"}', b'{"a":"\x01"}', b"", b"   ", b'{"a":1} x', b'{"a":',
    b"[" * 100_000 + b"]" * 100_000,  # nested past both decoders' depth
    b'[1, 2.0, "x", null, true, false, {}]',
]


def outcome(decode, body: bytes) -> tuple[str, str]:
    try:
        return "value", repr(decode(body))
    except Exception as exc:  # the exception type is the behaviour callers see
        return "error", type(exc).__name__


@pytest.mark.parametrize("body", BODIES, ids=lambda b: repr(b[:24]))
def test_decode_body_gives_what_json_loads_gives(body: bytes) -> None:
    assert outcome(decode_body, body) == outcome(json.loads, body)


def test_decoded_floats_equal_json_floats() -> None:
    texts = [f"{m}e{e}" for m in ("1", "1.5", "0.1", "9007199254740993", "2.2250738585072014")
             for e in (-320, -308, -1, 0, 1, 22, 23, 308)]
    for text in texts:
        assert repr(decode_body(text.encode())) == repr(json.loads(text)), text


@pytest.mark.parametrize("params", [
    {"OrderID": 5}, {"Code": "AB1", "CarrierName": "BRT"}, {"Code": "é€😀"},
    {"Code": "bad\ud800"},  # msgspec cannot write a lone surrogate: json.dumps does
    {1: 2},
])
def test_encode_request_is_compact_json_of_the_same_value(params: dict) -> None:
    body = encode_request("GetTracking", params)
    assert b", " not in body and b": " not in body
    expected = json.loads(json.dumps({"Method": "GetTracking", "Params": params}))
    assert json.loads(body) == expected
