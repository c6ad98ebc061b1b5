"""Fetch shipments on one thread: an event loop over ``max_concurrency`` keep-alive connections.

Each shipment's API work is ``fetcher.fetch_steps``: a generator that yields seconds to wait
(pacing, retry backoff) and request bodies to send, and is sent each response.
``fetch_in_order`` runs them on this thread, ``max_concurrency`` shipments at a time, each on its
own connection (as each worker thread had its own before); responses are read as they arrive
(``selectors``, non-blocking sockets, parsed by the transport's ``ResponseReader``) and results
come back in job order. Retries, pacing, redaction and errors are the client's own
(``ShippyProClient.call_steps``), exactly as on the thread path; there are no worker threads,
futures or locks to hand results across, and no watchdog thread: each request's total deadline
(``timeout``) is checked by the loop, which shuts the connection of a late one.

Connections are opened by ``http.client`` (proxy ``CONNECT`` tunnel, TLS handshake, the
transport's CA settings) while the loop waits, bounded by ``timeout``; this happens once per
connection, and again only after the server closed one. The loop runs while the caller waits
for the next result, and is polled once each time a result is handed over, so connections stay
busy while records are built.
"""

from __future__ import annotations

import heapq
import http.client
import itertools
import selectors
import socket
import ssl
import time
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

from tap_shipping_exceptions.client import ShippyProClient, Steps
from tap_shipping_exceptions.fetcher import (
    WINDOW_PER_WORKER,
    FetchJob,
    FetchResult,
    fetch_steps,
)
from tap_shipping_exceptions.transport import (
    IDLE_CHECK_SECONDS,
    RECV_BYTES,
    ConnectionFailed,
    DeadlineExceeded,
    ResponseReader,
    TransportError,
    dropped,
)

_WOULD_BLOCK = (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError)


class _Task:
    """One shipment's steps and, once they finish, their result (or the error that escaped)."""

    __slots__ = ("done", "error", "result", "slot", "steps")

    def __init__(self, steps: Steps[FetchResult]) -> None:
        self.steps = steps
        self.slot: _Slot | None = None  # the connection this shipment uses while it runs
        self.result: FetchResult | None = None
        self.error: BaseException | None = None
        self.done = False


class _Slot:
    """One keep-alive connection and the request in flight on it."""

    __slots__ = ("connection", "deadline", "last_used", "reader", "sock", "task")

    def __init__(self, connection: http.client.HTTPConnection | None) -> None:
        self.connection = connection
        self.sock: socket.socket | None = None  # registered with the selector while open
        self.task: _Task | None = None
        self.reader: ResponseReader | None = None
        self.deadline = 0.0
        self.last_used = 0.0


class FetchLoop:
    """Runs fetch steps ``connections`` shipments at a time, each on its own connection.

    As on the thread path (one worker thread and connection per running shipment), a shipment
    starts when a connection is free and keeps it until its last call: pacing slots are taken
    just before a request goes out, never by shipments still waiting to start."""

    def __init__(self, client: Any, connections: int) -> None:
        self.client = client
        self._capacity = max(1, connections)
        self._slots: list[_Slot] = []  # created when first needed (a stand-in never sends)
        self._free: list[_Slot] = []
        self._busy: list[_Slot] = []  # a request in flight
        self._waiting: deque[_Task] = deque()  # started once a connection is free
        self._timers: list[tuple[float, int, _Task]] = []  # (client clock, order, task)
        self._order = itertools.count()
        self._selector = selectors.DefaultSelector()
        self._filling = False

    # -- tasks ---------------------------------------------------------------------------------

    def start(self, steps: Steps[FetchResult]) -> _Task:
        task = _Task(steps)
        self._waiting.append(task)
        self._fill()
        return task

    def result(self, task: _Task) -> FetchResult:
        """Run the loop until ``task`` is finished; its result (or its error, raised)."""
        if task.done:
            self._poll(0.0)  # keep the other connections busy while records are built
        while not task.done:
            self._wait()
        if task.error is not None:
            raise task.error
        assert task.result is not None
        return task.result

    def _fill(self) -> None:
        """Start waiting shipments while fewer than ``connections`` run."""
        if self._filling:
            return
        self._filling = True
        try:
            while self._waiting and (self._free or len(self._slots) < self._capacity):
                if not self._free:
                    self._slots.append(_Slot(self.client.transport.make_connection()
                                             if hasattr(self.client, "transport") else None))
                    self._free.append(self._slots[-1])
                task = self._waiting.popleft()
                task.slot = self._free.pop()
                self._advance(task, None, None)
        finally:
            self._filling = False

    def _advance(self, task: _Task, value: Any, error: BaseException | None) -> None:
        try:
            request = task.steps.throw(error) if error is not None else task.steps.send(value)
        except StopIteration as stop:
            task.result = stop.value
            self._finish(task)
            return
        except BaseException as exc:  # AuthenticationError: raised when its turn comes
            task.error = exc
            self._finish(task)
            return
        if request.__class__ is bytes:
            assert task.slot is not None
            self._send(task.slot, task, request)
        else:
            heapq.heappush(self._timers, (self.client.pacer_clock() + request,
                                          next(self._order), task))

    def _finish(self, task: _Task) -> None:
        task.done = True
        if task.slot is not None:
            self._free.append(task.slot)
            task.slot = None
        self._fill()

    # -- the loop ------------------------------------------------------------------------------

    def _wait(self) -> None:
        """Block until something happens (a response, a deadline, a timer), then handle it."""
        now = time.monotonic()
        timeout = min((slot.deadline - now for slot in self._busy), default=None)
        if self._timers:
            until_timer = self._timers[0][0] - self.client.pacer_clock()
            timeout = until_timer if timeout is None else min(timeout, until_timer)
        if not self._busy:
            if timeout is None:
                raise RuntimeError("fetch loop: a task waits on nothing")
            if timeout > 0:
                self.client.pacer_sleep(timeout)  # nothing in flight: the client's own sleep
            self._fire_timers()
            return
        self._poll(max(timeout, 0.0) if timeout is not None else None)

    def _poll(self, timeout: float | None) -> None:
        for key, _ in self._selector.select(timeout):
            self._readable(key.data)
        self._expire()
        self._fire_timers()

    def _fire_timers(self) -> None:
        timers = self._timers
        if not timers:
            return
        now = self.client.pacer_clock()
        while timers and timers[0][0] <= now:
            self._advance(heapq.heappop(timers)[2], None, None)

    def _expire(self) -> None:
        if not self._busy:
            return
        now = time.monotonic()
        for slot in [s for s in self._busy if s.deadline <= now]:
            self._fail(slot, DeadlineExceeded(
                f"no complete response within {self.client.timeout:g} s"))

    # -- connections ---------------------------------------------------------------------------

    def _send(self, slot: _Slot, task: _Task, body: bytes) -> None:
        now = time.monotonic()
        slot.task, slot.reader = task, ResponseReader()
        slot.deadline = now + self.client.timeout
        self._busy.append(slot)
        try:
            if (slot.sock is not None and now - slot.last_used > IDLE_CHECK_SECONDS
                    and dropped(slot.sock)):
                self._close(slot)  # closed by the server while idle: a new connection
            if slot.sock is None:
                self._open(slot)
            assert slot.sock is not None
            _send_all(slot.sock, self.client.transport.request_bytes(body), slot.deadline)
        except (OSError, http.client.HTTPException) as exc:
            self._fail(slot, exc)

    def _open(self, slot: _Slot) -> None:
        connection = slot.connection
        assert connection is not None
        connection.timeout = max(slot.deadline - time.monotonic(), 0.001)
        connection.connect()  # blocking, bounded by the deadline: tunnel and TLS as http.client
        sock = connection.sock
        sock.setblocking(False)
        slot.sock = sock
        self._selector.register(sock, selectors.EVENT_READ, slot)

    def _readable(self, slot: _Slot) -> None:
        reader, sock = slot.reader, slot.sock
        if reader is None or sock is None:  # idle connection readable: closed by the server
            self._close(slot)
            return
        try:
            while not reader.complete:
                try:
                    data = sock.recv(RECV_BYTES)
                except _WOULD_BLOCK:
                    return  # the rest of the response is still on its way
                if not data:
                    reader.end()
                    break
                reader.feed(data)
        except (OSError, http.client.HTTPException, TransportError) as exc:
            self._fail(slot, exc)
            return
        response, reusable = reader.response()
        task = self._release(slot)
        if not reusable:
            self._close(slot)
        self._advance(task, response, None)

    def _fail(self, slot: _Slot, exc: BaseException) -> None:
        if isinstance(exc, TimeoutError):
            exc = DeadlineExceeded(f"no complete response within {self.client.timeout:g} s")
        elif not isinstance(exc, TransportError):
            exc = ConnectionFailed(type(exc).__name__)
        self._close(slot)
        self._advance(self._release(slot), None, exc)

    def _release(self, slot: _Slot) -> _Task:
        task = slot.task
        assert task is not None
        slot.task = slot.reader = None
        slot.last_used = time.monotonic()
        self._busy.remove(slot)
        return task

    def _close(self, slot: _Slot) -> None:
        if slot.sock is not None:
            self._selector.unregister(slot.sock)
            slot.sock = None
        if slot.connection is not None:
            slot.connection.close()

    def close(self) -> None:
        for slot in self._slots:
            self._close(slot)
        self._selector.close()


def _send_all(sock: socket.socket, data: bytes, deadline: float) -> None:
    """Send ``data`` on a non-blocking socket; the rare rest that does not fit the socket's
    buffer is sent blocking, bounded by the request's deadline."""
    try:
        sent = sock.send(data)
    except _WOULD_BLOCK:
        sent = 0
    if sent < len(data):
        sock.settimeout(max(deadline - time.monotonic(), 0.001))
        try:
            sock.sendall(data[sent:])
        finally:
            sock.setblocking(False)


def fetch_in_order(jobs: Iterable[FetchJob], client: ShippyProClient | Any, *,
                   start_date: int | None, connections: int,
                   window: int | None = None) -> Iterator[FetchResult]:
    """``fetch_steps`` over ``jobs``, ``connections`` shipments at a time; results in job
    order, at most ``window`` shipments taken ahead of the one handed over."""
    window = window or max(1, connections) * WINDOW_PER_WORKER
    loop = FetchLoop(client, connections)
    pending: deque[_Task] = deque()
    try:
        for job in jobs:
            pending.append(loop.start(fetch_steps(client, job, start_date=start_date)))
            if len(pending) >= window:
                yield loop.result(pending.popleft())
        while pending:
            yield loop.result(pending.popleft())
    finally:
        loop.close()
