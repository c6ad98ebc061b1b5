"""The singer-sdk private names the tap relies on still exist and still play their role.

``tap_shipping_exceptions/sdk_private.py`` gathers them; when an SDK upgrade renames, re-types
or stops calling one of them, a test here fails naming it.
"""

from __future__ import annotations

import inspect
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from singer_sdk import Stream

import tap_shipping_exceptions
from tap_shipping_exceptions import sdk_private
from tap_shipping_exceptions import streams as streams_module
from tap_shipping_exceptions.output import LeanStateWriter
from tap_shipping_exceptions.streams import ShippyProStream
from tap_shipping_exceptions.tap import TapShippingExceptions

CONFIG = {"api_key": "test-key", "api_url": "http://127.0.0.1:9/api"}
PRIVATE_ATTRIBUTE = re.compile(
    r"\.(_generate_record_messages|_write_record_message|_write_schema_message|_stream_version"
    r"|_tap|_state_writer|_message_writer)\b")


@pytest.fixture
def tap() -> TapShippingExceptions:
    return TapShippingExceptions(config=CONFIG, parse_env_config=False)


@pytest.mark.parametrize(
    ("owner", "name", "params"),
    [entry for entry in sdk_private.PRIVATE_NAMES if entry[2] is not None],
    ids=lambda v: getattr(v, "__name__", str(v)))
def test_private_methods_keep_their_signatures(owner, name, params) -> None:
    method = getattr(owner, name, None)
    assert callable(method), f"singer-sdk: {owner.__name__}.{name} is gone"
    got = tuple(inspect.signature(method).parameters)
    assert got == params, f"singer-sdk: {owner.__name__}.{name}{got}, expected {params}"


def test_private_attributes_exist_on_live_objects(tap: TapShippingExceptions) -> None:
    stream = tap.streams["tracking_events"]
    for owner, name, params in sdk_private.PRIVATE_NAMES:
        if params is not None:
            continue
        live = {"Stream": stream, "Tap": tap, "StateWriter": tap.state_writer}[owner.__name__]
        assert hasattr(live, name), f"singer-sdk: {owner.__name__} instances lost {name}"
    assert sdk_private.stream_tap(stream) is tap
    assert isinstance(tap.state_writer, LeanStateWriter), "Tap.state_writer no longer returns " \
        "the writer installed in Tap._state_writer"
    assert sdk_private.message_writer_of(tap.state_writer) is tap.message_writer


def test_sdk_sync_loop_calls_the_overridden_record_writer(
        tap: TapShippingExceptions, monkeypatch: pytest.MonkeyPatch,
        capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    """The SDK's sync loop must still write each record through ``_write_record_message`` (else
    the lean path is silently dead), and the SDK's own path must still write RECORD lines."""
    calls = []
    original = ShippyProStream._write_record_message

    def spy(self, record):
        calls.append(dict(record))
        return original(self, record)

    stream = tap.streams["carriers"]
    record = {name: None for name in stream.schema["properties"]}
    record["carrier"] = "brt"
    monkeypatch.setattr(ShippyProStream, "_write_record_message", spy)
    monkeypatch.setattr(type(stream), "get_records", lambda self, context: iter([dict(record)]))
    stream.sync()
    tap.message_writer.flush()
    assert calls == [record], "singer-sdk: the sync loop no longer calls _write_record_message"
    sdk_private.sdk_write_record(stream, dict(record))
    tap.message_writer.flush()
    lines = [json.loads(x) for x in capsysbinary.readouterr().out.splitlines()]
    records = [line for line in lines if line["type"] == "RECORD"]
    assert [line["record"] for line in records] == [record, record]
    version = sdk_private.stream_version(stream)
    assert version is None or isinstance(version, int)


@pytest.mark.parametrize("name", ["shipments", "tracking_events", "carriers"])
def test_lean_record_path_writes_the_sdk_path_bytes(
        tap: TapShippingExceptions, name: str, monkeypatch: pytest.MonkeyPatch,
        capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    """With every property selected, the lean path writes byte for byte what the SDK's own
    record path (selection, conformance, stream maps, RecordMessage, writer) writes."""
    moment = datetime(2026, 3, 12, 8, 30, 15, 123456, tzinfo=UTC)
    monkeypatch.setattr(streams_module, "utc_now", lambda: moment)
    monkeypatch.setattr(sdk_private, "utc_now", lambda: moment)
    monkeypatch.setattr("singer_sdk.streams.core.utc_now", lambda: moment)
    stream = tap.streams[name]
    record = {prop: None for prop in stream.schema["properties"]}
    record.update({"raw": {"Città": "Bologna", "n": [1, 2.5, {"x": None}]}, "carrier": "brt"})
    sdk_private.record_writer(stream)(dict(record))
    tap.message_writer.flush()
    lean = capsysbinary.readouterr().out
    assert stream._lean_records is True  # every property selected, no type conformance
    sdk_private.sdk_write_record(stream, dict(record))
    tap.message_writer.flush()
    sdk = capsysbinary.readouterr().out
    assert lean == sdk and lean.count(b"\n") == 1
    assert b'"time_extracted":"2026-03-12T08:30:15.123456Z"' in lean


def test_schema_message_writer_emits_the_stream_schema(
        tap: TapShippingExceptions, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    stream = tap.streams["tracking_events"]
    sdk_private.write_schema_message(stream)
    tap.message_writer.flush()
    (line,) = [json.loads(x) for x in capsysbinary.readouterr().out.splitlines()]
    assert line["type"] == "SCHEMA" and line["stream"] == "tracking_events"
    assert line["schema"]["properties"].keys() == stream.schema["properties"].keys()


def test_no_private_sdk_use_outside_sdk_private() -> None:
    package = Path(tap_shipping_exceptions.__file__).parent
    offenders = []
    for path in sorted(package.rglob("*.py")):
        if path.name == "sdk_private.py":
            continue
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if re.search(r"singer_sdk[\w.]*\._", line) or PRIVATE_ATTRIBUTE.search(line):
                offenders.append(f"{path.relative_to(package)}:{number}: {line.strip()}")
    assert not offenders, "private singer-sdk use outside sdk_private.py:\n" + "\n".join(
        offenders)


def test_record_path_overrides_only_the_documented_hook() -> None:
    overridden = {name for name in vars(ShippyProStream) if name.startswith("_")
                  and not name.startswith("__") and name != "_abc_impl" and hasattr(Stream, name)}
    assert overridden == {"_write_record_message"}, overridden
