"""The HTTP transport of the ShippyPro client: keep-alive POSTs to one URL with a total deadline.

The client talks to exactly one endpoint, so everything a general HTTP library works out per
request is worked out once here: proxy (``HTTP(S)_PROXY``/``NO_PROXY``), CA bundle
(``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``, else the system store plus ``certifi`` when
installed) and the fixed request headers. Each calling thread keeps one persistent
``http.client`` connection (stdlib, no per-call environment scans); a connection the server has
closed while idle is noticed before reuse and replaced.

``http.client`` opens the connections (proxy ``CONNECT`` tunnel, TLS) and writes the request
line and fixed headers once, so they are validated as before; each call then sends that head
with its ``Content-Length`` and body in one write, and the response is parsed by ``httptools``
(llhttp, the parser uvicorn uses; already a dependency) instead of ``http.client``'s
``email``-based header parser: 3 us per response instead of ~60, and the request 1 us instead
of ~25 (BENCHMARKS.md section 3). A body delimited by the end of the connection, interim 1xx
answers, ``Connection: close`` and bytes after the response are handled as ``http.client`` did.

``timeout`` is a *total* per-call deadline: one watchdog thread shuts down the socket of any call
still running when its deadline passes, so a server that answers one byte per second, or never
stops, cannot hold a call longer than ``timeout`` (plus scheduling slack). The socket's own
per-operation timeout is the same value, bounding connect.

Failures surface as two exceptions that never carry request data (so never the key):
``DeadlineExceeded`` and ``ConnectionFailed`` (naming the underlying exception type).
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import os
import select
import socket
import ssl
import threading
import time
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

import httptools

IDLE_CHECK_SECONDS = 0.5
RECV_BYTES = 65536
MAX_HEADERS = 100  # as http.client: a server sending more is broken or hostile

class TransportError(Exception):
    """A call did not produce a complete HTTP response."""


class DeadlineExceeded(TransportError):
    """The call was still running when its total deadline passed."""


class ConnectionFailed(TransportError):
    """Connecting, sending or reading failed; ``kind`` names the underlying exception type."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


@dataclass(slots=True)
class Response:
    status: int
    reason: str
    header_list: list[tuple[str, str]]
    body: bytes

    @property
    def headers(self) -> http.client.HTTPMessage:
        """The headers as ``http.client`` gives them (case-insensitive ``get``)."""
        message = http.client.HTTPMessage()
        for name, value in self.header_list:
            message[name] = value
        return message


class ResponseReader:
    """One response parsed by httptools as its bytes come in; interim 1xx answers skipped."""

    __slots__ = (
        "chunks",
        "complete",
        "head_done",
        "headers",
        "keep_alive",
        "messages",
        "parser",
        "reason",
        "sized",
        "status",
    )

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.status = 0
        self.reason = b""
        self.headers: list[tuple[str, str]] = []
        self.chunks: list[bytes] = []
        self.head_done = False
        self.sized = False  # Content-Length or Transfer-Encoding given: not ended by EOF
        self.complete = False
        self.keep_alive = False  # read when the message completes: llhttp resets it after
        self.messages = 0  # > 1: bytes after the response (never reuse the connection)

    def on_message_begin(self) -> None:
        self.messages += 1

    def on_status(self, reason: bytes) -> None:
        if not self.complete:
            self.reason += reason

    def on_header(self, name: bytes, value: bytes) -> None:
        if self.complete:
            return
        if len(self.headers) >= MAX_HEADERS:
            raise http.client.HTTPException(f"got more than {MAX_HEADERS} headers")
        text = name.decode("iso-8859-1")
        if text.lower() in ("content-length", "transfer-encoding"):
            self.sized = True
        self.headers.append((text, value.decode("iso-8859-1")))

    def on_headers_complete(self) -> None:
        if not self.complete:
            self.head_done = True

    def on_body(self, chunk: bytes) -> None:
        if not self.complete:
            self.chunks.append(chunk)

    def on_message_complete(self) -> None:
        if self.complete:
            return
        status = self.parser.get_status_code()
        if 100 <= status < 200:  # interim answer: the real one follows
            self.reason, self.headers, self.chunks = b"", [], []
            self.head_done = self.sized = False
            return
        self.status = status
        self.keep_alive = self.parser.should_keep_alive()
        self.complete = True


    def feed(self, data: bytes) -> None:
        """Parse the next bytes read; raises ``ConnectionFailed`` for a broken answer."""
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as exc:  # raised by a callback above
            raise ConnectionFailed(type(exc.__context__ or exc).__name__) from None
        except httptools.HttpParserError as exc:
            if not self.complete:
                raise ConnectionFailed(type(exc).__name__) from None
            self.messages += 1  # junk after a complete response: answer it, then close

    def end(self) -> None:
        """The server closed the connection: the end of a body sized by it, else a failure."""
        if self.head_done and not self.sized:
            self.status = self.parser.get_status_code()
            self.complete = True
            return
        raise ConnectionFailed("IncompleteRead" if self.messages else "RemoteDisconnected")

    def response(self) -> tuple[Response, bool]:
        """(the response, whether its connection can carry another request)."""
        reusable = self.messages == 1 and self.sized and self.keep_alive
        return Response(self.status, self.reason.decode("iso-8859-1"), self.headers,
                        b"".join(self.chunks)), reusable


def _read_response(sock: socket.socket) -> tuple[Response, bool]:
    """Read one response from blocking ``sock``; (response, whether the connection can be
    reused)."""
    reader = ResponseReader()
    while not reader.complete:
        data = sock.recv(RECV_BYTES)
        if not data:
            reader.end()
            break
        reader.feed(data)
    return reader.response()


@dataclass(frozen=True, slots=True)
class Route:
    """Where connections go and what request target to send, decided once per client."""

    scheme: str
    host: str
    port: int
    target: str  # request target: the path, or the absolute URL through a plain-HTTP proxy
    proxy_host: str | None = None
    proxy_port: int | None = None
    proxy_headers: tuple[tuple[str, str], ...] = ()
    tunnel: bool = False  # HTTPS through a proxy: CONNECT tunnel


def _proxy_auth(parts: urllib.parse.SplitResult) -> tuple[tuple[str, str], ...]:
    if parts.username is None:
        return ()
    user = urllib.parse.unquote(parts.username)
    password = urllib.parse.unquote(parts.password or "")
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return (("Proxy-Authorization", f"Basic {token}"),)


def plan_route(url: str, environ: Mapping[str, str] | None = None) -> Route:
    """The route to ``url`` honouring the proxy environment (read now, not per call)."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"api_url: expected an http(s) URL, got {url!r}")
    host = parts.hostname
    port = parts.port or (443 if scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    env = os.environ if environ is None else environ
    proxies = _environment_proxies(env)
    proxy_url = proxies.get(scheme) or proxies.get("all")
    if not proxy_url or urllib.request.proxy_bypass_environment(host, proxies):
        return Route(scheme, host, port, path)
    if "://" not in proxy_url:
        proxy_url = f"http://{proxy_url}"
    proxy = urllib.parse.urlsplit(proxy_url)
    if not proxy.hostname:
        raise ValueError(f"{scheme}_proxy: expected a proxy URL, got a value without a host")
    proxy_port = proxy.port or (443 if proxy.scheme == "https" else 80)
    if scheme == "https":
        return Route(scheme, host, port, path, proxy.hostname, proxy_port, _proxy_auth(proxy),
                     tunnel=True)
    absolute = urllib.parse.urlunsplit(("http", f"{host}:{port}", path, "", ""))
    return Route(scheme, host, port, absolute, proxy.hostname, proxy_port, _proxy_auth(proxy))


def _environment_proxies(env: Mapping[str, str]) -> dict[str, str]:
    """``urllib.request.getproxies_environment`` over a given mapping (lowercase names win)."""
    proxies: dict[str, str] = {}
    for name, value in env.items():
        if value and name.lower().endswith("_proxy"):
            proxies[name.lower()[:-6]] = value
    for name, value in env.items():
        if value and name.endswith("_proxy"):  # lowercase spelling overrides the uppercase
            proxies[name[:-6]] = value
    if "REQUEST_METHOD" in env:
        proxies.pop("http", None)  # CGI: HTTP_PROXY may come from a request header
    return proxies


def tls_context(environ: Mapping[str, str] | None = None) -> ssl.SSLContext:
    """Certificate verification as ``requests`` does it, resolved once."""
    env = os.environ if environ is None else environ
    bundle = env.get("REQUESTS_CA_BUNDLE") or env.get("CURL_CA_BUNDLE")
    if bundle:
        if os.path.isdir(bundle):
            return ssl.create_default_context(capath=bundle)
        return ssl.create_default_context(cafile=bundle)
    context = ssl.create_default_context()
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi ships with singer-sdk's dependencies
        return context
    context.load_verify_locations(cafile=certifi.where())
    return context


class _Deadlines:
    """One daemon thread that cuts the socket of every call still running at its deadline.

    All deadlines of one transport are ``start + timeout`` on a monotonic clock, so they arrive
    in order and a FIFO suffices; finished calls are only marked and dropped when they reach the
    head, which keeps arming and disarming to a lock and an append.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._queue: deque[list] = deque()  # [deadline, connection, done, fired]
        self._thread: threading.Thread | None = None
        self._closed = False

    def arm(self, deadline: float, connection: http.client.HTTPConnection) -> list:
        entry = [deadline, connection, False, False]
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="tap-http-deadline",
                                                daemon=True)
                self._thread.start()
            was_empty = not self._queue
            self._queue.append(entry)
            if was_empty:
                self._cond.notify()
        return entry

    def disarm(self, entry: list) -> bool:
        """Mark the call finished; True when the watchdog had already cut it."""
        with self._cond:
            entry[2] = True
            return entry[3]

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()

    def _watch(self) -> None:
        queue = self._queue
        with self._cond:
            while not self._closed:
                while queue and queue[0][2]:
                    queue.popleft()
                if not queue:
                    self._cond.wait()
                    continue
                head = queue[0]
                remaining = head[0] - time.monotonic()
                if remaining > 0:
                    self._cond.wait(remaining)
                    continue
                queue.popleft()
                head[3] = True
                sock = head[1].sock
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)


def dropped(sock: socket.socket) -> bool:
    """True when an idle kept-alive socket is readable: the server closed it (or sent junk)."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


class KeepAliveTransport:
    """POST bodies to one URL over one persistent connection per thread."""

    def __init__(self, url: str, *, timeout: float, headers: Mapping[str, str],
                 environ: Mapping[str, str] | None = None) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout: expected seconds > 0, got {timeout!r}")
        self.timeout = float(timeout)
        self.route = plan_route(url, environ)
        self._context = tls_context(environ) if self.route.scheme == "https" else None
        self._head = _request_head(self._make_connection(), self.route.target, {
            **headers, "Content-Type": "application/json",
            **dict(self.route.proxy_headers if not self.route.tunnel else ())})
        self._local = threading.local()
        self._connections: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self._deadlines = _Deadlines()

    def _make_connection(self) -> http.client.HTTPConnection:
        route = self.route
        host = route.proxy_host or route.host
        port = route.proxy_port or route.port
        connection: http.client.HTTPConnection
        if route.scheme == "https":
            connection = http.client.HTTPSConnection(host, port, timeout=self.timeout,
                                                     context=self._context)
            if route.tunnel:
                connection.set_tunnel(route.host, route.port, headers=dict(route.proxy_headers))
        else:
            connection = http.client.HTTPConnection(host, port, timeout=self.timeout)
        return connection

    def request_bytes(self, body: bytes) -> bytes:
        """The whole request carrying ``body``: the fixed head, its length, the body."""
        return b"%s%d\r\n\r\n%s" % (self._head, len(body), body)

    def make_connection(self) -> http.client.HTTPConnection:
        """A new, unopened connection to the route (``connect()`` opens tunnel and TLS)."""
        return self._make_connection()

    def _new_connection(self) -> http.client.HTTPConnection:
        connection = self._make_connection()
        with self._lock:
            self._connections.append(connection)
        return connection

    def _connection(self, now: float) -> http.client.HTTPConnection:
        local = self._local
        connection = getattr(local, "connection", None)
        if connection is None:
            connection = local.connection = self._new_connection()
        elif (connection.sock is not None and now - local.last_used > IDLE_CHECK_SECONDS
              and dropped(connection.sock)):
            connection.close()
        local.last_used = now
        return connection

    def post(self, body: bytes) -> Response:
        """One POST; raises ``DeadlineExceeded`` or ``ConnectionFailed``."""
        now = time.monotonic()
        connection = self._connection(now)
        entry = self._deadlines.arm(now + self.timeout, connection)
        try:
            if connection.sock is None:
                connection.connect()  # proxy tunnel and TLS handshake, as http.client does
            sock = connection.sock
            sock.sendall(self.request_bytes(body))
            response, reusable = _read_response(sock)
        except (OSError, http.client.HTTPException, ConnectionFailed) as exc:
            connection.close()
            if self._deadlines.disarm(entry) or isinstance(exc, TimeoutError):
                raise DeadlineExceeded(f"no complete response within {self.timeout:g} s") \
                    from None
            if isinstance(exc, ConnectionFailed):
                raise
            raise ConnectionFailed(type(exc).__name__) from None
        if self._deadlines.disarm(entry) or not reusable:
            connection.close()  # cut as the last byte came in, or not to be reused
        self._local.last_used = time.monotonic()
        return response

    def close(self) -> None:
        self._deadlines.close()
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()


def _request_head(connection: http.client.HTTPConnection, target: str,
                  headers: Mapping[str, str]) -> bytes:
    """The request line and fixed headers of every call, written (and validated) once by
    ``http.client`` on a connection that is never opened, ending with ``Content-Length: ``."""
    sent: list[bytes] = []
    connection.send = sent.append  # type: ignore[method-assign]  # capture, never connect
    connection.putrequest("POST", target)
    for name, value in headers.items():
        connection.putheader(name, value)
    connection.endheaders()
    return sent[0][:-2] + b"Content-Length: "
