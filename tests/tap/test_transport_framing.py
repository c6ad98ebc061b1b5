"""KeepAliveTransport's response framing (httptools) against a server writing raw bytes.

Each case is what an HTTP/1.1 server may legally (or brokenly) send; the transport must give the
same status, body and reuse decision ``http.client`` gave, and name a broken answer's failure.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tap_shipping_exceptions.transport import ConnectionFailed, KeepAliveTransport

BODY = b'{"Result":"OK"}'


def _read_request(conn: socket.socket, buffered: bytes) -> tuple[bytes, bytes]:
    """One request (head + Content-Length body) from ``conn``; (request, bytes after it)."""
    data = buffered
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return b"", b""
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(rest) < length:
        rest += conn.recv(65536)
    return head + b"\r\n\r\n" + rest[:length], rest[length:]


@contextmanager
def raw_server(answers: list[bytes], *, close_after: set[int] = frozenset()) -> Iterator[dict]:
    """Answer the n-th request with ``answers[n]`` verbatim; close after indices in
    ``close_after``. Yields {"url", "connections", "requests"}."""
    listener = socket.create_server(("127.0.0.1", 0))
    info = {"url": f"http://127.0.0.1:{listener.getsockname()[1]}/api", "connections": 0,
            "requests": []}

    def serve() -> None:
        served = 0
        while served < len(answers):
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            info["connections"] += 1
            with conn:
                buffered = b""
                while served < len(answers):
                    request, buffered = _read_request(conn, buffered)
                    if not request:
                        break
                    info["requests"].append(request)
                    conn.sendall(answers[served])
                    served += 1
                    if served - 1 in close_after:
                        break

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield info
    finally:
        listener.close()
        thread.join(5)


def transport(url: str) -> KeepAliveTransport:
    return KeepAliveTransport(url, timeout=2.0, headers={"Authorization": "Basic eA=="})


def ok(extra: bytes = b"", body: bytes = BODY) -> bytes:
    return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n%s"
            % (len(body), extra, body))


def test_request_carries_fixed_headers_and_length_and_connection_is_reused() -> None:
    with raw_server([ok(), ok()]) as srv:
        client = transport(srv["url"])
        for _ in range(2):
            answer = client.post(b'{"a":1}')
            assert (answer.status, answer.reason, answer.body) == (200, "OK", BODY)
            assert answer.headers.get("content-type") == "application/json"
        client.close()
    head, body = srv["requests"][0].split(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"POST /api HTTP/1.1" and body == b'{"a":1}'
    assert {b"Content-Length: 7", b"Authorization: Basic eA==",
            b"Content-Type: application/json"} <= set(lines)
    assert srv["connections"] == 1


def test_chunked_body_and_interim_100_answer() -> None:
    chunked = (b"HTTP/1.1 100 Continue\r\n\r\n"
               b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n")
    with raw_server([chunked]) as srv:
        client = transport(srv["url"])
        answer = client.post(b"{}")
        client.close()
    assert (answer.status, answer.body) == (429, b'{"a":1}')
    assert answer.headers.get("Retry-After") == "7"


def test_body_ended_by_closing_the_connection_then_a_new_connection() -> None:
    until_close = b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + BODY
    with raw_server([until_close, ok()], close_after={0}) as srv:
        client = transport(srv["url"])
        assert client.post(b"{}").body == BODY
        assert client.post(b"{}").body == BODY
        client.close()
    assert srv["connections"] == 2


@pytest.mark.parametrize("extra", [b"Connection: close\r\n"], ids=["connection-close"])
def test_connection_close_is_honoured(extra: bytes) -> None:
    with raw_server([ok(extra), ok()], close_after={0}) as srv:
        client = transport(srv["url"])
        assert client.post(b"{}").status == 200
        assert client.post(b"{}").status == 200  # a fresh connection, no failed first try
        client.close()
    assert srv["connections"] == 2


def test_junk_after_a_complete_response_answers_then_drops_the_connection() -> None:
    with raw_server([ok() + b"GARBAGE\r\n\r\n", ok()], close_after={0}) as srv:
        client = transport(srv["url"])
        assert client.post(b"{}").body == BODY
        assert client.post(b"{}").body == BODY
        client.close()
    assert srv["connections"] == 2


@pytest.mark.parametrize(("answer", "kind"), [
    (b"", "RemoteDisconnected"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{\"Res", "IncompleteRead"),
    (b"NOT HTTP AT ALL\r\n\r\n", "HttpParserError"),
    (b"HTTP/1.1 200 OK\r\n" + b"X-A: b\r\n" * 101 + b"Content-Length: 0\r\n\r\n",
     "HTTPException"),
], ids=["no-answer", "truncated-body", "not-http", "too-many-headers"])
def test_broken_answers_fail_naming_the_problem(answer: bytes, kind: str) -> None:
    with raw_server([answer], close_after={0}) as srv:
        client = transport(srv["url"])
        with pytest.raises(ConnectionFailed) as caught:
            client.post(b"{}")
        client.close()
    assert caught.value.kind == kind
