"""A scripted HTTP/1.1 keep-alive server on 127.0.0.1 (port 0) for client and tap tests.

Answers come from a queue (``add``: consumed in order, the last one repeats) or from a callback.
Besides plain answers it can misbehave the ways real networks do: stall before answering, close
the connection without a word, or dribble the body one byte at a time (for a while or forever).
Every request is recorded (method, path, headers, body) so tests can check what was sent.
"""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    stall: float = 0.0  # seconds to wait before answering
    drop: bool = False  # close the connection without answering
    drip: float | None = None  # seconds between body bytes (headers sent at once)
    drip_head: bool = False  # with drip: dribble the status line and headers too
    endless: bool = False  # with drip: never finish the body
    close_after: bool = False  # close the connection after answering, without saying so


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


def reply(status: int = 200, json_body: Any = None, body: bytes | str = b"",
          **kwargs: Any) -> Reply:
    if json_body is not None:
        body = json.dumps(json_body)
    if isinstance(body, str):
        body = body.encode()
    return Reply(status=status, body=body, **kwargs)


class ScriptedServer:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.connections = 0
        self.callback: Callable[[Recorded], Reply] | None = None
        self._queue: list[Reply] = []
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        self.url = ""

    def add(self, status: int = 200, json: Any = None, body: bytes | str = b"",
            **kwargs: Any) -> None:
        """Queue one answer (responses-style: the last queued answer repeats)."""
        with self._lock:
            self._queue.append(reply(status, json, body, **kwargs))

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self.requests.clear()

    def next_reply(self, request: Recorded) -> Reply:
        with self._lock:
            self.requests.append(request)
            if self.callback is not None:
                callback = self.callback
            elif self._queue:
                return self._queue.pop(0) if len(self._queue) > 1 else self._queue[0]
            else:
                return reply(599, body=b"no answer scripted")
        return callback(request)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        with self.server.script._lock:
            self.server.script.connections += 1

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        request = Recorded("POST", self.path, dict(self.headers.items()), body)
        answer = self.server.script.next_reply(request)
        stopping = self.server.script.stopping
        if answer.stall and stopping.wait(answer.stall):
            return
        if answer.drop:
            self.close_connection = True
            return
        if answer.drip is None:
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)
            self.close_connection = answer.close_after
            return
        self.close_connection = True
        size = len(answer.body) if not answer.endless else 10**9
        head = [f"HTTP/1.1 {answer.status} Scripted", f"Content-Length: {size}",
                *(f"{name}: {value}" for name, value in answer.headers.items()), "", ""]
        raw = "\r\n".join(head).encode()
        if not answer.drip_head:
            try:
                self.wfile.write(raw)
                self.wfile.flush()
            except OSError:
                return
            raw = b""
        body = answer.body
        sent = 0
        total = len(raw) + size
        while sent < total and not stopping.is_set():
            if sent < len(raw):
                chunk = raw[sent:sent + 1]
            else:
                at = sent - len(raw)
                chunk = body[at:at + 1] if at < len(body) else b" "
            try:
                self.wfile.write(chunk)
                self.wfile.flush()
            except OSError:
                return
            sent += 1
            if stopping.wait(answer.drip):
                return


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    script: ScriptedServer


@contextmanager
def scripted_server() -> Iterator[ScriptedServer]:
    script = ScriptedServer()
    server = _Server(("127.0.0.1", 0), _Handler)
    server.script = script
    script.url = f"http://127.0.0.1:{server.server_address[1]}/api"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield script
    finally:
        script.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
