"""fetch_in_order: shipments on one thread over max_concurrency connections, against a loopback
server - order, concurrency cap, deadlines, retries, dropped connections, auth and stand-ins."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tap_shipping_exceptions.client import ShippyProClient
from tap_shipping_exceptions.errors import AuthenticationError, TransientAPIError
from tap_shipping_exceptions.fetch_loop import fetch_in_order
from tap_shipping_exceptions.fetcher import FetchJob

from .fakes import SECRET_KEY, FakeTime, event, order


class _Api:
    """GetOrder/GetTracking answers with a per-OrderID delay, status or stall; counts the
    connections and the most requests handled at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.delay: dict[int, float] = {}
        self.status: dict[int, list[int]] = {}  # statuses answered before a 200, per OrderID
        self.stall: set[int] = set()  # never answer GetTracking for these
        self.close: set[int] = set()  # answer GetTracking with "Connection: close", then close
        self.in_flight = 0
        self.most_in_flight = 0
        self.connections = 0
        self.calls: list[tuple[str, int]] = []
        self.paths: set[str] = set()
        self.stop = threading.Event()

    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        order_id = params.get("OrderID") or int(params["Code"][3:])
        with self.lock:
            self.calls.append((method, order_id))
            queued = self.status.get(order_id)
            status = queued.pop(0) if queued else 200
        time.sleep(self.delay.get(order_id, 0.0))
        if method == "GetTracking" and order_id in self.stall:
            self.stop.wait(10)
        if status != 200:
            return status, {"Result": "Error"}
        if method == "GetOrder":
            return 200, {"Result": "OK", "Order": order(order_id)}
        return 200, {"Result": "OK", "Events": [event(1_772_000_000 + order_id, 2, "In transit")]}


def _handler(api: _Api) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def setup(self) -> None:
            super().setup()
            with api.lock:
                api.connections += 1

        def do_POST(self) -> None:
            request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with api.lock:
                api.paths.add(self.path)
                api.in_flight += 1
                api.most_in_flight = max(api.most_in_flight, api.in_flight)
            try:
                status, body = api.answer(request["Method"], request["Params"])
            finally:
                with api.lock:
                    api.in_flight -= 1
            data = json.dumps(body).encode()
            if request["Method"] == "GetTracking" and int(request["Params"]["Code"][3:]) in \
                    api.close:
                self.close_connection = True
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)

    return Handler


@pytest.fixture
def api() -> Iterator[tuple[_Api, str]]:
    state = _Api()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/api"
    finally:
        state.stop.set()
        server.shutdown()
        server.server_close()


def _client(url: str, fake_time: FakeTime | None = None, **kwargs: Any) -> ShippyProClient:
    if fake_time is not None:
        kwargs.update(sleep=fake_time.sleep, clock=fake_time.clock)
    return ShippyProClient(SECRET_KEY, url, **kwargs)


def test_results_in_job_order_with_at_most_max_concurrency_calls_at_once(api) -> None:
    state, url = api
    ids = list(range(1, 25))
    for order_id in ids:  # later jobs answer first: order must come from the loop, not timing
        state.delay[order_id] = 0.002 * (25 - order_id)
    with _client(url) as client:
        results = list(fetch_in_order((FetchJob(i, None) for i in ids), client, start_date=None,
                                      connections=3))
    assert [r.job.order_id for r in results] == ids
    assert all(r.error is None and len(r.events) == 1 for r in results)
    assert state.most_in_flight <= 3 and state.connections == 3
    assert sorted(state.calls) == sorted([("GetOrder", i) for i in ids]
                                         + [("GetTracking", i) for i in ids])
    assert client.call_counts == {"GetOrder": 24, "GetTracking": 24}


def test_retries_and_a_total_deadline_cost_only_their_shipment(api) -> None:
    state, url = api
    state.status[2] = [503, 503]  # retried, then answered
    state.stall.add(3)  # GetTracking never answers: the deadline cuts it on every attempt
    fake_time = FakeTime()
    with _client(url, fake_time, timeout=0.4, max_retries=2, jitter=lambda: 1.0) as client:
        started = time.monotonic()
        results = list(fetch_in_order((FetchJob(i, None) for i in (1, 2, 3, 4)), client,
                                      start_date=None, connections=2))
        elapsed = time.monotonic() - started
    assert [r.job.order_id for r in results] == [1, 2, 3, 4]
    assert [r.error is None for r in results] == [True, True, False, True]
    assert isinstance(results[2].error, TransientAPIError)
    assert "timed out after 0.4 s after 3 attempts" in str(results[2].error)
    assert state.calls.count(("GetOrder", 2)) == 3  # two 503s, then answered
    assert state.calls.count(("GetTracking", 3)) == 3  # every attempt cut at its deadline
    assert fake_time.sleeps and not any(s > 2.0 for s in fake_time.sleeps)  # backoff 1 s, 2 s
    assert elapsed < 3 * 0.4 + 1.5, f"three 0.4 s deadlines took {elapsed:.1f} s"


def test_connection_close_opens_a_new_connection_without_a_retry(api) -> None:
    state, url = api
    state.close = {2, 4}
    fake_time = FakeTime()
    with _client(url, fake_time) as client:
        results = list(fetch_in_order((FetchJob(i, None) for i in range(1, 6)), client,
                                      start_date=None, connections=1))
    assert all(r.error is None for r in results)
    assert len(state.calls) == 10 and fake_time.sleeps == []  # no call failed or was retried
    assert state.connections == 3


def test_authentication_error_stops_the_sync_when_its_turn_comes(api) -> None:
    state, url = api
    state.status[3] = [401]
    with _client(url) as client:
        results = fetch_in_order((FetchJob(i, None) for i in range(1, 6)), client,
                                 start_date=None, connections=2)
        assert [next(results).job.order_id for _ in range(2)] == [1, 2]
        with pytest.raises(AuthenticationError, match="check api_key"):
            next(results)


class _StandIn:
    """A client stand-in answering synchronously (no transport): the loop never sends."""

    def get_order(self, order_id: int) -> dict[str, Any]:
        return order(order_id)

    def get_tracking(self, code: str, carrier: str | None = None, *,
                     order_id: int) -> dict[str, Any]:
        return {"Result": "OK", "Events": [event(1_772_000_000, 3, "Out for delivery")]}


def test_a_stand_in_client_is_answered_in_order_without_connections() -> None:
    results = list(fetch_in_order((FetchJob(i, None) for i in range(1, 40)), _StandIn(),
                                  start_date=None, connections=4))
    assert [r.job.order_id for r in results] == list(range(1, 40))
    assert all(r.error is None and r.events[0].code == 3 for r in results)


def test_plain_http_proxy_from_the_environment(api, monkeypatch: pytest.MonkeyPatch) -> None:
    state, url = api
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", url.rsplit("/", 1)[0])  # the test server plays the proxy
    with _client("http://shippypro.test/api") as client:
        results = list(fetch_in_order((FetchJob(i, None) for i in (1, 2)), client,
                                      start_date=None, connections=2))
    assert all(r.error is None for r in results)
    assert state.paths == {"http://shippypro.test:80/api"}  # absolute form, as a proxy expects
