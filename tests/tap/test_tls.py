"""HTTPS on loopback (a self-signed certificate in tests/data/tls): the fetch loop's
non-blocking TLS reads, the thread path, the CA bundle setting and a refused certificate."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tap_shipping_exceptions.client import ShippyProClient
from tap_shipping_exceptions.errors import TransientAPIError
from tap_shipping_exceptions.fetch_loop import fetch_in_order
from tap_shipping_exceptions.fetcher import FetchJob

from .fakes import event, order

TLS = Path(__file__).resolve().parents[1] / "data" / "tls"
EVENTS = 1200  # ~300 KB per GetTracking body: many TLS records per response


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        params = request["Params"]
        if request["Method"] == "GetOrder":
            body: dict[str, Any] = {"Result": "OK", "Order": order(params["OrderID"])}
        else:
            body = {"Result": "OK", "Events": [
                event(1_772_000_000 + i, 2, "In transito " + "x" * 200) for i in range(EVENTS)]}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def https_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(TLS / "localhost.crt", TLS / "localhost.key")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"https://localhost:{server.server_address[1]}/api"
    finally:
        server.shutdown()
        server.server_close()


def test_fetch_loop_and_thread_path_over_tls(https_url: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(TLS / "localhost.crt"))
    with ShippyProClient("key", https_url, timeout=10) as client:
        results = list(fetch_in_order((FetchJob(i, None) for i in range(1, 13)), client,
                                      start_date=None, connections=3))
        assert client.get_order(99)["OrderID"] == 99  # the thread path, same settings
    assert [r.job.order_id for r in results] == list(range(1, 13))
    assert all(r.error is None and len(r.events) == EVENTS for r in results)


def test_a_certificate_not_in_the_bundle_is_refused(https_url: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with ShippyProClient("key", https_url, timeout=5, max_retries=0) as client:
        results = list(fetch_in_order([FetchJob(1, None)], client, start_date=None,
                                      connections=1))
    assert isinstance(results[0].error, TransientAPIError)
    assert "connection error (SSLCertVerificationError)" in str(results[0].error)
