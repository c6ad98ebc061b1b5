"""The strict HTTP floor of benchmark 3: the same calls and records as ``floor_client``, with
the least work a Python client can do for the HTTP part. Run as its own process:

    python -m benchmarks.floor_loop --url URL --plan plan.json --records records.jsonl \
        --out out.jsonl --concurrency 4

One thread drives ``concurrency`` non-blocking keep-alive sockets with ``selectors``; each
connection takes the next shipment of the plan and makes its calls in order (GetOrder, then
GetTracking), ``concurrency`` shipments at a time, as the tap does. Per call the request is one
``bytes`` value (a head prebuilt once, the body's length and the ``msgspec`` body) sent in one
write; the response is parsed by ``httptools`` (bodies framed by ``Content-Length`` or chunked)
and its body decoded with ``msgspec``. Nothing here comes from the tap (a floor shares no logic
with what it measures); plan and records loading, record writing and the printed report are
``floor_client``'s (``floor_client.run``), so both floors print the same fields.

No retries, pacing, deadlines, proxies or TLS: a connection the server closes after an answer
(``Connection: close``) is reopened, anything else unexpected raises.
"""

from __future__ import annotations

import base64
import selectors
import socket
import sys
import urllib.parse
from collections.abc import Iterator
from typing import Any

import httptools
import msgspec

from benchmarks.floor_client import API_KEY, Answers, check_answer, run

_encode = msgspec.json.Encoder().encode
Call = dict[str, Any]  # {"method": ..., "params": ...} from the plan


class Target:
    """Where the calls go and the request head every call shares."""

    def __init__(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "http":
            raise ValueError(f"--url: expected an http:// URL, got {url!r}")
        self.address = (parts.hostname or "", parts.port or 80)
        token = base64.b64encode(f"{API_KEY}:".encode()).decode()
        self.head = (f"POST {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                     f"Authorization: Basic {token}\r\nContent-Type: application/json\r\n"
                     "Content-Length: ").encode("ascii")

    def request(self, call: Call) -> bytes:
        body = _encode({"Method": call["method"], "Params": call["params"]})
        return b"%s%d\r\n\r\n%s" % (self.head, len(body), body)

    def connect(self) -> socket.socket:
        sock = socket.create_connection(self.address, timeout=60)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        return sock


class Connection:
    """One keep-alive socket working through one shipment's calls at a time."""

    def __init__(self, target: Target, selector: selectors.BaseSelector) -> None:
        self.target, self.selector = target, selector
        self.sock = target.connect()
        self.parser = httptools.HttpResponseParser(self)
        self.body: list[bytes] = []
        self.complete = self.keep_alive = False
        self.calls: Iterator[Call] = iter(())
        self.call: Call = {}
        self.unsent = b""
        selector.register(self.sock, selectors.EVENT_READ, self)

    # httptools callbacks
    def on_body(self, data: bytes) -> None:
        self.body.append(data)

    def on_message_complete(self) -> None:
        self.complete = True
        self.keep_alive = self.parser.should_keep_alive()  # llhttp resets it once it returns

    def start(self, calls: list[Call]) -> None:
        self.calls = iter(calls)
        self.send_next()

    def send_next(self) -> bool:
        """Send the shipment's next call; False when it has none left."""
        call = next(self.calls, None)
        if call is None:
            return False
        self.call = call
        data = self.target.request(call)
        sent = self.sock.send(data)
        if sent < len(data):  # the kernel took part of it: finish when writable
            self.unsent = data[sent:]
            self.selector.modify(self.sock, selectors.EVENT_WRITE, self)
        return True

    def flush(self) -> None:
        self.unsent = self.unsent[self.sock.send(self.unsent):]
        if not self.unsent:
            self.selector.modify(self.sock, selectors.EVENT_READ, self)

    def receive(self) -> Any:
        """Feed what arrived to the parser; the decoded answer once complete, else None."""
        data = self.sock.recv(65536)
        if not data:
            raise RuntimeError(f"{self.call['method']}: connection closed before the answer")
        self.parser.feed_data(data)
        if not self.complete:
            return None
        answer = check_answer(self.call["method"], self.call["params"],
                              self.parser.get_status_code(), b"".join(self.body))
        self.body.clear()
        self.complete = False
        if not self.keep_alive:
            self.reopen()
        return answer

    def reopen(self) -> None:
        self.close()
        self.sock = self.target.connect()
        self.parser = httptools.HttpResponseParser(self)
        self.selector.register(self.sock, selectors.EVENT_READ, self)

    def close(self) -> None:
        self.selector.unregister(self.sock)
        self.sock.close()


class Loop:
    """Up to ``concurrency`` connections on one selector, reused from one batch of jobs to the
    next."""

    def __init__(self, target: Target, concurrency: int) -> None:
        self.target, self.concurrency = target, max(1, concurrency)
        self.selector = selectors.DefaultSelector()
        self.connections: list[Connection] = []

    def run(self, jobs: list[list[Call]], keep: Answers | None) -> int:
        """Make every job's calls (each job in order on one connection); returns the calls."""
        pending = iter(jobs)
        busy = 0
        for index in range(self.concurrency):
            job = next(pending, None)
            if job is None:
                break
            if index == len(self.connections):
                self.connections.append(Connection(self.target, self.selector))
            self.connections[index].start(job)
            busy += 1
        calls = 0
        while busy:
            for key, events in self.selector.select():
                conn: Connection = key.data
                if events & selectors.EVENT_WRITE:
                    conn.flush()
                    continue
                answer = conn.receive()
                if answer is None:
                    continue
                calls += 1
                if keep is not None:
                    keep.append((conn.call["method"], conn.call["params"], answer))
                if not conn.send_next():
                    job = next(pending, None)
                    if job is None:
                        busy -= 1
                    else:
                        conn.start(job)
        return calls

    def close(self) -> None:
        for conn in self.connections:
            conn.close()
        self.selector.close()


def fetch_all(url: str, plan: dict[str, Any], concurrency: int,
              keep: Answers | None = None) -> int:
    """The plan's ``global`` calls in order on one connection, then its shipments,
    ``concurrency`` at a time; each answer appended to ``keep`` if given. Returns the calls."""
    loop = Loop(Target(url), concurrency)
    try:
        calls = loop.run([plan["global"]], keep) if plan.get("global") else 0
        return calls + loop.run(plan["shipments"], keep)
    finally:
        loop.close()


def main(argv: list[str] | None = None) -> int:
    return run(argv, fetch_all, (__doc__ or "").splitlines()[0])


if __name__ == "__main__":
    sys.exit(main())
