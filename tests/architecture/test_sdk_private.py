"""The singer-sdk private names the tap relies on still exist and still play their role.

``tap_shipping_exceptions/sdk_private.py`` gathers them; when an SDK upgrade renames, re-types
or stops calling one of them, a test here fails naming it.
"""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest
from singer_sdk import Stream

import tap_shipping_exceptions
from tap_shipping_exceptions import sdk_private
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


def test_sdk_record_path_goes_through_the_override(
        tap: TapShippingExceptions, monkeypatch: pytest.MonkeyPatch,
        capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    """``_write_record_message`` must still call ``_generate_record_messages`` (else the fast
    path is silently dead), and the SDK's own path must still yield RECORD messages."""
    calls = []
    original = ShippyProStream._generate_record_messages

    def spy(self, record):
        calls.append(dict(record))
        return original(self, record)

    monkeypatch.setattr(ShippyProStream, "_generate_record_messages", spy)
    stream = tap.streams["carriers"]
    record = {name: None for name in stream.schema["properties"]}
    record["carrier"] = "brt"
    sdk_private.record_writer(stream)(dict(record))
    tap.message_writer.flush()
    assert calls == [record], "singer-sdk: Stream._write_record_message no longer calls " \
        "_generate_record_messages"
    (line,) = [json.loads(x) for x in capsysbinary.readouterr().out.splitlines()]
    assert line["type"] == "RECORD" and line["record"] == record
    version = sdk_private.stream_version(stream)
    assert version is None or isinstance(version, int)
    (message,) = sdk_private.sdk_record_messages(stream, dict(record))
    assert message.stream == "carriers" and message.record == record


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
    assert overridden == {"_generate_record_messages"}, overridden
