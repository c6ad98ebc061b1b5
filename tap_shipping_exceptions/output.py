"""Singer message writer: the SDK's ``MsgSpecWriter`` with block-buffered output.

The stock writer flushes stdout after every message: one syscall per record, and with worker
threads busy parsing responses each syscall also gives up the GIL and waits to get it back. This
writer collects encoded messages in a buffer and writes them in blocks of ``BLOCK_BYTES``, and
always flushes right after a STATE or SCHEMA message, after ``MAX_DELAY`` seconds without a
flush, and at exit. A target therefore sees every record before the STATE message that covers
it, exactly as with the stock writer.
"""

from __future__ import annotations

import atexit
import sys
import time
from typing import Any

from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.singerlib.encoding.base import SingerMessageType

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

    def flush(self) -> None:
        """Write everything pending to stdout and flush it."""
        if self._pending:
            sys.stdout.buffer.write(self._pending)
            self._pending.clear()
        sys.stdout.flush()
        self._last_flush = time.monotonic()
