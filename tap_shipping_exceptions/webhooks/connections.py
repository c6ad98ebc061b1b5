"""Connection limits for the receiver: a header deadline and a cap on open connections.

uvicorn times out idle keep-alive connections but not a client that connects and sends its
request head slowly (or never): each such socket holds a file descriptor forever, and enough of
them starve real deliveries. ``guarded_protocol`` returns uvicorn's httptools protocol with:

* a **header deadline**: the request line and headers must be complete within
  ``header_timeout`` seconds of the connection opening (or of the previous response on a
  keep-alive connection), else the connection is closed;
* a **connection cap**: when a new connection would exceed ``max_connections``, the oldest
  connection still waiting for its request head is closed to make room (a request being served is
  never cut); if none is waiting, the new connection is closed.

The body has its own deadline, enforced by the app (``body.read_limited``), so a client that
dribbles its request is cut within ``header_timeout + body_timeout`` seconds in all.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger(__name__)

DEFAULT_HEADER_TIMEOUT = 10.0
DEFAULT_BODY_TIMEOUT = 20.0
FD_RESERVE = 64  # descriptors kept for the archive files, logs and the listening socket


def default_max_connections() -> int:
    """1,024, or fewer when the process may not open that many files (minus a reserve)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1024
    return max(8, min(1024, soft - FD_RESERVE))


class GuardedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a header deadline and a connection cap (module doc);
    ``guarded_protocol`` makes the subclass with the configured limits."""

    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    max_connections: int = 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._awaiting_head_since: float | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head()
        if len(self.connections) > self.max_connections:
            self._make_room()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def on_headers_complete(self) -> None:
        self._stop_head_timer()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._await_head()

    # -- internals ---------------------------------------------------------------------
    def _await_head(self) -> None:
        self._stop_head_timer()
        self._awaiting_head_since = time.monotonic()
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _stop_head_timer(self) -> None:
        self._awaiting_head_since = None
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._awaiting_head_since is not None and self._idle():
            log.warning("closed connection from %s: request head not complete within "
                        "%.0f s", self._peer(), self.header_timeout)
            self.transport.close()

    def _make_room(self) -> None:
        waiting = [c for c in self.connections if isinstance(c, GuardedProtocol)
                   and c is not self and c._awaiting_head_since is not None and c._idle()]
        victim = min(waiting, key=lambda c: c._awaiting_head_since or 0.0, default=self)
        log.warning("connection cap of %d reached: closed %s connection from %s",
                    self.max_connections, "the new" if victim is self else "an idle",
                    victim._peer())
        victim.transport.close()

    def _idle(self) -> bool:
        """Open, and not serving a request (none started, or its response is sent)."""
        serving = self.cycle is not None and not self.cycle.response_complete
        return not serving and not self.transport.is_closing()

    def _peer(self) -> str:
        return self.client[0] if self.client else "unknown"


def guarded_protocol(header_timeout: float, max_connections: int) -> type[asyncio.Protocol]:
    """The httptools protocol class with the header deadline and connection cap above."""
    return type("GuardedProtocol", (GuardedProtocol,),
                {"header_timeout": header_timeout, "max_connections": max_connections})
