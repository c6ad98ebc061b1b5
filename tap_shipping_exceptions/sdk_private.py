"""Every use of singer-sdk's private API, in one place (pinned: ``singer-sdk~=0.54.9``).

The tap takes three shortcuts the SDK has no public hook for, all for speed or memory:

- the record path: ``ShippyProStream`` overrides ``Stream._write_record_message`` (what the
  SDK's sync loop calls per record) to skip the per-record selection walk and message objects,
  writing each RECORD with the SDK's stream version (``Stream._stream_version``); otherwise
  (a deselected property, type conformance on) it calls the SDK's own; a stream reaches its tap
  through ``Stream._tap``;
- child records written from the parent's pass: ``Stream._write_schema_message`` and
  ``Stream._write_record_message`` of ``tracking_events``, called while ``shipments`` syncs;
- STATE without deep copies: the tap's ``_state_writer`` (what ``Tap.state_writer`` returns and
  streams write through) is replaced by a subclass of ``helpers._state.StateWriter`` that reads
  the writer's ``_message_writer``.

Nothing else in the package touches an underscored SDK name. ``tests/architecture/
test_sdk_private.py`` checks that each name below still exists with the signature and role
assumed here, so an SDK upgrade that moves one fails there, by name, not as a wrong figure.
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable
from datetime import UTC, datetime

from singer_sdk import Stream, Tap
from singer_sdk.helpers._state import StateWriter

__all__ = [
    "PRIVATE_NAMES",
    "StateWriter",
    "install_state_writer",
    "message_writer_of",
    "record_writer",
    "sdk_write_record",
    "stream_tap",
    "stream_version",
    "utc_now",
    "write_schema_message",
]

#: (owner, name, parameter names or None for a data attribute) for every private name used.
PRIVATE_NAMES: tuple[tuple[type, str, tuple[str, ...] | None], ...] = (
    (Stream, "_write_record_message", ("self", "record")),
    (Stream, "_write_schema_message", ("self",)),
    (Stream, "_stream_version", None),
    (Stream, "_tap", None),
    (Tap, "_state_writer", None),
    (StateWriter, "__init__", ("self", "message_writer")),
    (StateWriter, "write_state", ("self", "state")),
    (StateWriter, "_message_writer", None),
)


def utc_now() -> datetime:
    """The ``time_extracted`` stamp, as the SDK's private ``helpers._util.utc_now`` makes it."""
    return datetime.now(UTC)


def sdk_write_record(stream: Stream, record: dict[str, t.Any]) -> None:
    """The SDK's own record path (selection, conformance, stream maps, writer) for ``record``."""
    Stream._write_record_message(stream, record)


def stream_version(stream: Stream) -> int | None:
    """The stream version the SDK puts on RECORD messages."""
    return stream._stream_version


def stream_tap(stream: Stream) -> Tap:
    """The tap that owns ``stream`` (the SDK keeps it in ``Stream._tap``, with no property)."""
    return stream._tap


def write_schema_message(stream: Stream) -> None:
    """Emit ``stream``'s SCHEMA message (the SDK does so itself only when it syncs it)."""
    stream._write_schema_message()


def record_writer(stream: Stream) -> Callable[[dict[str, t.Any]], None]:
    """``stream``'s RECORD writer (stream maps, selection, its tap's message writer)."""
    return stream._write_record_message


def install_state_writer(tap: Tap, writer: StateWriter) -> None:
    """Make ``writer`` the one ``tap.state_writer`` returns and every stream writes STATE with."""
    tap._state_writer = writer


def message_writer_of(state_writer: StateWriter) -> t.Any:
    """The message writer a ``StateWriter`` writes STATE messages to."""
    return state_writer._message_writer
