"""Items 6 and 12 (receiver): slow or idle clients are cut, a connection flood cannot starve a
real delivery, and any body the parser rejects (deep nesting included) is a 400, not a 500.

The real CLI runs on 127.0.0.1 (port 0) with short, configured deadlines so the test is quick;
the defaults (10 s head + 20 s body) cut a dribbling client within 30 s the same way.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from benchmarks.receiver_process import ReceiverProcess, start_receiver
from tap_shipping_exceptions.webhooks.cli import build_parser
from tap_shipping_exceptions.webhooks.connections import (
    DEFAULT_BODY_TIMEOUT,
    DEFAULT_HEADER_TIMEOUT,
)

DELIVERY = json.dumps({"Event": "ORDER_SHIPPED", "OrderID": 41234569}).encode()


@pytest.fixture(scope="module")
def receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReceiverProcess]:
    workdir = tmp_path_factory.mktemp("limits")
    process = start_receiver(workdir / "archive", workdir, "--insecure-no-auth",
                             "--header-timeout", "1.5", "--body-timeout", "1.5",
                             "--max-connections", "16")
    yield process
    process.terminate()


def connect(receiver: ReceiverProcess) -> socket.socket:
    url = urlparse(receiver.url)
    return socket.create_connection((url.hostname, url.port), timeout=10)


def closed_after(sock: socket.socket, limit: float) -> float:
    """Seconds until the server closes ``sock`` (reads until EOF; ``limit`` bounds the wait)."""
    start = time.monotonic()
    sock.settimeout(limit)
    try:
        while sock.recv(4096):
            pass
    except (TimeoutError, ConnectionResetError):
        pass
    return time.monotonic() - start


def test_defaults_cut_a_dribbling_client_within_30_seconds() -> None:
    args = build_parser().parse_args(["serve", "--archive-dir", "x"])
    assert args.header_timeout == DEFAULT_HEADER_TIMEOUT
    assert args.body_timeout == DEFAULT_BODY_TIMEOUT
    assert DEFAULT_HEADER_TIMEOUT + DEFAULT_BODY_TIMEOUT <= 30


def test_headers_dribbled_one_byte_at_a_time_are_cut(receiver: ReceiverProcess) -> None:
    sock = connect(receiver)
    head = b"POST /webhooks/shippypro HTTP/1.1\r\nHost: x\r\n"  # 45 bytes: 9 s at 5 B/s
    start = time.monotonic()
    cut_at = None
    sock.settimeout(0.01)
    for byte in head:
        try:
            sock.sendall(bytes([byte]))
            if sock.recv(4096) == b"":
                cut_at = time.monotonic() - start
                break
        except TimeoutError:
            pass
        except (BrokenPipeError, ConnectionResetError):
            cut_at = time.monotonic() - start
            break
        time.sleep(0.2)
    sock.close()
    assert cut_at is not None and cut_at < 4, cut_at


def test_idle_socket_is_closed(receiver: ReceiverProcess) -> None:
    sock = connect(receiver)
    assert closed_after(sock, 10) < 5


def test_body_dribbled_slowly_gets_408(receiver: ReceiverProcess) -> None:
    sock = connect(receiver)
    sock.sendall(b"POST /webhooks/shippypro HTTP/1.1\r\nHost: x\r\nContent-Type: "
                 b"application/json\r\nContent-Length: %d\r\n\r\n" % len(DELIVERY))
    start = time.monotonic()
    reply = b""
    sock.settimeout(0.25)
    for byte in DELIVERY:
        try:
            sock.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            break
        with contextlib.suppress(TimeoutError):
            reply += sock.recv(4096)
        if reply:
            break
    assert reply.startswith(b"HTTP/1.1 408"), reply[:100]
    assert time.monotonic() - start < 6
    sock.close()


def test_connection_flood_does_not_starve_a_real_delivery(receiver: ReceiverProcess) -> None:
    idle = [connect(receiver) for _ in range(40)]  # far over --max-connections 16
    try:
        time.sleep(0.2)
        response = httpx.post(receiver.delivery_url, content=DELIVERY, timeout=10)
        assert response.status_code == 200
    finally:
        for sock in idle:
            sock.close()


@pytest.mark.parametrize("body", [
    b'{"Event": "TRACKING_UPDATE", "OrderID": 1, "x": ' + b"[" * 100_000 + b"]" * 100_000
    + b"}",
    b"[" * 200_000,
    b'{"Event": "X", "x": ' + b'{"a":' * 70 + b"1" + b"}" * 70 + b"}",
    b'{"Event": "ORDER_SHIPPED", "OrderID": 1, "x": 1e999}',
    b'{"Event": "ORDER_SHIPPED", "OrderID": "1\\ud800"}',
])
def test_any_body_the_parser_rejects_is_400(receiver: ReceiverProcess, body: bytes) -> None:
    response = httpx.post(receiver.delivery_url, content=body, timeout=10)
    assert response.status_code == 400, response.text
    assert "Traceback" not in receiver.log_text()


def test_receiver_is_still_healthy(receiver: ReceiverProcess, tmp_path: Path) -> None:
    assert httpx.get(receiver.url + "/health", timeout=10).status_code == 200
    assert "Traceback" not in receiver.log_text()
