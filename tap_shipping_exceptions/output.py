"""Singer message writer: the SDK's ``MsgSpecWriter`` with block-buffered output.

The stock writer flushes stdout after every message: one syscall per record, and with worker
threads busy parsing responses each syscall also gives up the GIL and waits to get it back. This
writer collects encoded messages in a buffer and writes them in blocks of ``BLOCK_BYTES``, and
always flushes right after a STATE or SCHEMA message, after ``MAX_DELAY`` seconds without a
flush, and at exit. A target therefore sees every record before the STATE message that covers
it, exactly as with the stock writer. ``write_record`` writes a RECORD message's line from its
parts (the streams' record path uses it; same bytes as ``write_message``).

``LeanStateWriter`` replaces the SDK's ``StateWriter``: the stock one keeps a deep copy of the
whole state to detect changes and encodes each STATE message through ``dataclasses.asdict`` (a
second deep copy), so every STATE message briefly holds three copies of a state that, after a
large first sync, carries tens of thousands of ``done`` ids. This one encodes the state once,
compares a digest of the bytes with the last one written, and writes the same bytes.
"""

from __future__ import annotations

import atexit
import hashlib
import sys
import time
from datetime import datetime
from typing import Any

from singer_sdk.contrib.msgspec import MsgSpecWriter, encoder
from singer_sdk.singerlib.encoding.base import SingerMessageType

from tap_shipping_exceptions.sdk_private import StateWriter, message_writer_of

BLOCK_BYTES = 256 * 1024
MAX_DELAY = 1.0
_FLUSH_TYPES = {SingerMessageType.STATE, SingerMessageType.SCHEMA}


class BufferedMsgSpecWriter(MsgSpecWriter):
    """``MsgSpecWriter`` that writes in blocks and flushes on STATE/SCHEMA."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pending = bytearray()
        self._last_flush = time.monotonic()
        atexit.register(self.flush)

    def write_message(self, message: Any) -> None:
        self._pending += self.format_message(message)
        now = time.monotonic()
        if (len(self._pending) >= BLOCK_BYTES or getattr(message, "type", None) in _FLUSH_TYPES
                or now - self._last_flush >= MAX_DELAY):
            self.flush()

    def write_record(self, stream: str, record: dict[str, Any], version: int | None,
                     time_extracted: datetime | None) -> None:
        """Write one RECORD message: the bytes ``write_message(RecordMessage(...))`` writes
        (same fields in the same order, same encoder), encoded straight into the buffer, without
        building the message object, its dict and an intermediate copy of the line."""
        message: dict[str, Any] = {"type": "RECORD", "stream": stream, "record": record}
        if version is not None:
            message["version"] = version
        if time_extracted is not None:
            message["time_extracted"] = time_extracted
        pending = self._pending
        encoder.encode_into(message, pending, len(pending))
        pending += b"\n"
        if len(pending) >= BLOCK_BYTES or time.monotonic() - self._last_flush >= MAX_DELAY:
            self.flush()

    def flush(self) -> None:
        """Write everything pending to stdout and flush it."""
        if self._pending:
            sys.stdout.buffer.write(self._pending)
            self._pending.clear()
        sys.stdout.flush()
        self._last_flush = time.monotonic()


STATE_PREFIX = b'{"type":"STATE","value":'


def append_state_message(state: Any, buffer: bytearray) -> None:
    """Append the STATE message line for ``state`` to ``buffer``, as ``MsgSpecWriter`` would
    encode it (encoded in place: no intermediate copy of a possibly large state)."""
    buffer += STATE_PREFIX
    encoder.encode_into(state, buffer, len(buffer))
    buffer += b"}\n"


def encode_state_message(state: Any) -> bytes:
    """The STATE message line for ``state``."""
    buffer = bytearray()
    append_state_message(state, buffer)
    return bytes(buffer)


class LeanStateWriter(StateWriter):
    """``StateWriter`` that detects changes by a digest of the encoded state (no deep copy)."""

    def __init__(self, message_writer: Any) -> None:
        super().__init__(message_writer)
        self._last_digest: bytes | None = None

    def write_state(self, state: Any) -> None:
        writer = message_writer_of(self)
        if not isinstance(writer, BufferedMsgSpecWriter):
            super().write_state(state)
            return
        # encode straight into the writer's buffer: one copy of a possibly large state
        writer.flush()
        buffer = writer._pending
        append_state_message(state, buffer)
        digest = hashlib.blake2b(buffer, digest_size=16).digest()
        if digest == self._last_digest:
            buffer.clear()
            return
        writer.flush()
        self._last_digest = digest
