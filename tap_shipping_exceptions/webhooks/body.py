"""Read a request body from the ASGI stream with a hard size limit (never buffer unbounded)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.requests import Request

MAX_BODY_BYTES = 1024 * 1024  # 1 MiB
# After the limit is hit, this much more is read and discarded so the client, which may still
# be sending, gets to read the 413 instead of a connection reset.
DRAIN_BYTES = 4 * 1024 * 1024


class BodyTooLarge(Exception):
    def __init__(self, limit: int):
        super().__init__(f"body exceeds {limit} bytes")
        self.limit = limit


async def read_limited(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The whole body, or ``BodyTooLarge`` as soon as more than ``limit`` bytes arrive."""
    stream = request.stream()
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        await _drain(stream, 0)
        raise BodyTooLarge(limit)
    chunks: list[bytes] = []
    received = 0
    async for chunk in stream:
        received += len(chunk)
        if received > limit:
            await _drain(stream, received)
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def _drain(stream: AsyncIterator[bytes], already: int) -> None:
    """Read and discard the rest of the body, up to ``DRAIN_BYTES`` in all."""
    discarded = already
    async for chunk in stream:
        discarded += len(chunk)
        if discarded > DRAIN_BYTES:
            return
