"""Load generator and archive checker for the webhook receiver (loopback use only).

``run_load`` sends ``total`` unique deliveries from ``concurrency`` keep-alive clients and
records which were acknowledged (200) and how long each took; ``check_archive`` proves every
acknowledged delivery is in the archive exactly as sent (see ``payload``: CR/LF become spaces)
and that every archive line parses. ``benchmarks/webhook_load.py`` and the tests use both.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from tap_shipping_exceptions.webhooks.archive_files import archive_files, read_complete_lines


def delivery_body(client: int, sequence: int, pretty: bool) -> bytes:
    """A realistic TRACKING_UPDATE, unique by TransactionID; ``pretty`` spans several lines."""
    body = {
        "Event": "TRACKING_UPDATE",
        "tracking": f"LT{client:03d}{sequence:07d}IT",
        "date": 1773300000 + sequence,
        "message": "Spedizione in giacenza \u2013 destinatario assente \"avviso\" lasciato",
        "city": "Milano",
        "est_delivery_date": "0",
        "first_status_date": "1773200000",
        "late": "0",
        "code": 4,
        "OrderID": str(900000000 + client * 100000 + sequence),
        "TransactionID": f"load-{client}-{sequence}",
        "TrackingCarrier": "BRT",
        "MarketplaceID": "0",
        "MarketplacePlatform": "Manual shipment",
        "ExternalLink": "",
        "FromAddressCompany": "Negozio Demo srl",
        "ToAddressCompany": "",
        "FromAddressCountry": "IT",
        "ToAddressCountry": "IT",
    }
    if pretty:
        return json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def stored_form(body: bytes) -> bytes:
    """What the archive line must be for ``body`` (surrounding whitespace off, CR/LF -> space)."""
    return body.strip(b" \t\r\n").replace(b"\r", b" ").replace(b"\n", b" ")


@dataclass
class LoadResult:
    total: int
    concurrency: int
    acked: dict[str, bytes] = field(default_factory=dict)  # TransactionID -> body sent
    failures: Counter = field(default_factory=Counter)  # "HTTP 503" / "ConnectError" -> count
    latencies: list[float] = field(default_factory=list)  # seconds, acknowledged requests
    elapsed: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def throughput(self) -> float:
        return len(self.acked) / self.elapsed if self.elapsed else 0.0

    def percentile(self, fraction: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    def summary(self) -> str:
        return (f"{len(self.acked)}/{self.total} acknowledged from {self.concurrency} clients in "
                f"{self.elapsed:.2f} s: {self.throughput:.0f} deliveries/s, "
                f"p50 {self.percentile(0.50) * 1000:.1f} ms, "
                f"p99 {self.percentile(0.99) * 1000:.1f} ms, failures {dict(self.failures)}")


class _KeepAliveClient:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams.

    A general client (httpx) costs several ms of CPU per request, which would make the load
    generator, not the receiver, the bottleneck on a 2-core machine. This one only speaks what
    the receiver answers: a status line, headers, a ``content-length`` body.
    """

    def __init__(self, url: str, auth: tuple[str, str] | None, headers: dict[str, str] | None,
                 timeout: float):
        parsed = urlsplit(url)
        if parsed.scheme != "http" or parsed.hostname is None or parsed.port is None:
            raise ValueError(f"load tests run against http://host:port/path, got {url!r}")
        self.host, self.port = parsed.hostname, parsed.port
        self.timeout = timeout
        fixed = [f"POST {parsed.path or '/'} HTTP/1.1", f"Host: {parsed.netloc}",
                 "Content-Type: application/json"]
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            fixed.append(f"Authorization: Basic {token}")
        fixed += [f"{name}: {value}" for name, value in (headers or {}).items()]
        self._head = ("\r\n".join(fixed) + "\r\n").encode("latin-1")
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post(self, body: bytes) -> int:
        """Send one request and return the status code (reconnects when the server closed)."""
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        self._writer.write(self._head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        head = await asyncio.wait_for(self._reader.readuntil(b"\r\n\r\n"), self.timeout)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length, close = 0, False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.strip().lower() == "close":
                close = True
        if length:
            await asyncio.wait_for(self._reader.readexactly(length), self.timeout)
        if close:
            await self.close()
        return status

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
        self._reader = self._writer = None


async def run_load(url: str, total: int, concurrency: int, *, auth: tuple[str, str] | None,
                   headers: dict[str, str] | None = None, pretty_every: int = 10,
                   result: LoadResult | None = None, stop_event: threading.Event | None = None,
                   timeout: float = 60.0, first_index: int = 0) -> LoadResult:
    """Send ``total`` deliveries; a client stops at its first connection error (server gone).

    Delivery ``i`` (from ``first_index``) has TransactionID ``load-<client>-<i>``; use a new
    ``first_index`` for a second run against the same archive so bodies stay unique.
    """
    result = result or LoadResult(total, concurrency)
    next_index = iter(range(first_index, first_index + total))

    async def client_loop(client_id: int) -> None:
        client = _KeepAliveClient(url, auth, headers, timeout)
        try:
            for index in next_index:
                if stop_event is not None and stop_event.is_set():
                    return
                pretty = pretty_every > 0 and index % pretty_every == 0
                body = delivery_body(client_id, index, pretty)
                started = time.perf_counter()
                try:
                    status = await client.post(body)
                except (TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
                    with result._lock:
                        result.failures[type(exc).__name__] += 1
                    return
                latency = time.perf_counter() - started
                with result._lock:
                    if status == 200:
                        result.acked[f"load-{client_id}-{index}"] = body
                        result.latencies.append(latency)
                    else:
                        result.failures[f"HTTP {status}"] += 1
        finally:
            await client.close()

    started = time.perf_counter()
    await asyncio.gather(*(client_loop(c) for c in range(concurrency)))
    result.elapsed = time.perf_counter() - started
    return result


@dataclass
class ArchiveCheck:
    lines: int
    unparsable: list[str]  # "file:line: reason"
    missing: list[str]  # TransactionIDs acknowledged but absent (or not stored as sent)
    duplicated: list[str]  # TransactionIDs stored more than once

    @property
    def ok(self) -> bool:
        return not (self.unparsable or self.missing or self.duplicated)


def check_archive(archive_dir: Path, acked: dict[str, bytes]) -> ArchiveCheck:
    """Every acknowledged body is stored exactly once and as sent; every line is JSON."""
    seen: Counter = Counter()
    unparsable: list[str] = []
    count = 0
    for _, path in archive_files(archive_dir):
        lines, end = read_complete_lines(path)
        if end != path.stat().st_size:
            unparsable.append(f"{path.name}: {path.stat().st_size - end} bytes after last newline")
        for number, line in enumerate(lines, start=1):
            count += 1
            try:
                json.loads(line)
            except ValueError as exc:
                unparsable.append(f"{path.name}:{number}: {exc}")
                continue
            seen[line] += 1
    missing = [tid for tid, body in acked.items() if seen[stored_form(body)] == 0]
    duplicated = [tid for tid, body in acked.items() if seen[stored_form(body)] > 1]
    for tid, body in acked.items():
        if json.loads(stored_form(body)) != json.loads(body):
            missing.append(f"{tid} (stored form differs as JSON)")
    return ArchiveCheck(count, unparsable, missing, duplicated)
