"""Done-when: a bounded loopback fault soak lands exactly the fault-free rows in DuckDB.

The sandbox API (a small world) serves through a hostile proxy: every sandbox fault kind fires
a bounded number of times (429 bursts, 5xx, slow, truncated and malformed bodies, API errors)
and three shipments answer hostile payloads (a 1e999 date, events nested 100k deep, a "²" code).
Three chained syncs ``tap-shipping-exceptions | target-duckdb`` (the real loader) run with the
state the target confirms; the first one is SIGKILLed half-way through its API calls. The
warehouse must then hold exactly the rows a fault-free sync lands, minus the three hostile
shipments (marked failed with their OrderID in every complete run), and no primary key twice.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.support.meltano_project import install_plugin

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TARGET = ROOT / ".meltano" / "loaders" / "target-duckdb" / "venv" / "bin" / "target-duckdb"
KEY = "soak-key"
FAULTS = [
    {"kind": "rate_limit", "times": 6, "retry_after": 1, "probability": 0.2, "seed": 1},
    {"kind": "http_error", "status": 503, "times": 6, "probability": 0.2, "seed": 2},
    {"kind": "http_error", "status": 500, "times": 3, "probability": 0.1, "seed": 3},
    {"kind": "slow", "delay_ms": 40, "times": 30, "probability": 0.3, "seed": 4},
    {"kind": "truncate", "times": 4, "probability": 0.1, "seed": 5},
    {"kind": "malformed", "times": 4, "probability": 0.1, "seed": 6},
    {"kind": "error", "method": "GetTracking", "times": 2, "probability": 0.05, "seed": 7},
]
# volatile columns: when the tap ran, not what it read
VOLATILE = {"synced_at", "_sdc_extracted_at", "_sdc_batched_at", "_sdc_received_at"}


@pytest.fixture(scope="module")
def loader() -> Path:
    if not TARGET.exists():
        install_plugin("loader", "target-duckdb")
    return TARGET


class HostileProxy:
    """Forwards to the sandbox; rewrites the answers for three chosen shipments."""

    def __init__(self, upstream: str, hostile: dict[str, Any]) -> None:
        self.upstream, self.hostile = upstream, hostile
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                request = urllib.request.Request(proxy.upstream, data=body, method="POST",
                                                 headers={k: v for k, v in self.headers.items()
                                                          if k.lower() != "host"})
                try:
                    with urllib.request.urlopen(request, timeout=30) as answer:
                        status, payload, headers = answer.status, answer.read(), answer.headers
                except urllib.error.HTTPError as error:
                    status, payload, headers = error.code, error.read(), error.headers
                if status == 200:
                    payload = proxy.rewrite(json.loads(body), payload)
                self.send_response(status)
                if headers.get("Retry-After"):
                    self.send_header("Retry-After", headers["Retry-After"])
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def rewrite(self, request: dict[str, Any], payload: bytes) -> bytes:
        params = request.get("Params") or {}
        key = (request.get("Method"), str(params.get("OrderID") or params.get("Code")))
        rewrite = self.hostile.get(key)
        return rewrite(payload) if rewrite is not None and b'"Result":"OK"' in payload.replace(
            b" ", b"") else payload


def sync(config: dict[str, Any], state: dict[str, Any] | None, workdir: Path, label: str,
         warehouse: Path, loader: Path, *, kill_after_calls: int | None = None,
         calls: Any = None) -> dict[str, Any] | None:
    """One ``tap | target`` run; returns the last state the target confirmed (or None)."""
    (workdir / f"{label}.config.json").write_text(json.dumps(config))
    (workdir / f"{label}.target.json").write_text(json.dumps({
        "path": str(warehouse), "default_target_schema": "raw", "batch_size_rows": 100000,
        "add_metadata_columns": False}))
    command = [str(BIN / "tap-shipping-exceptions"), "--config",
               str(workdir / f"{label}.config.json")]
    if state is not None:
        (workdir / f"{label}.state.json").write_text(json.dumps(state))
        command += ["--state", str(workdir / f"{label}.state.json")]
    with (workdir / f"{label}.tap.log").open("w") as tap_log, \
            (workdir / f"{label}.target.log").open("w") as target_log:
        tap = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=tap_log)
        target = subprocess.Popen([str(loader), "--config", str(workdir / f"{label}.target.json")],
                                  stdin=tap.stdout, stdout=subprocess.PIPE, stderr=target_log)
        assert tap.stdout is not None
        tap.stdout.close()
        if kill_after_calls is not None:
            deadline = time.monotonic() + 60
            while calls() < kill_after_calls and tap.poll() is None:
                assert time.monotonic() < deadline, "tap made too few calls to be killed"
                time.sleep(0.01)
            tap.send_signal(signal.SIGKILL)
        out, _ = target.communicate(timeout=120)
        tap.wait(timeout=60)
    if kill_after_calls is None:
        assert tap.returncode == 0, (workdir / f"{label}.tap.log").read_text()[-3000:]
        assert target.returncode == 0, (workdir / f"{label}.target.log").read_text()[-3000:]
    else:
        assert tap.returncode == -signal.SIGKILL
    states = [json.loads(line) for line in out.decode().splitlines() if line.strip()]
    return states[-1] if states else None


def rows(warehouse: Path, table: str, exclude: set[str]) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = [c[0] for c in con.execute(f"DESCRIBE raw.{table}").fetchall()
                   if c[0] not in VOLATILE]
        result = con.execute(f"SELECT {', '.join(columns)} FROM raw.{table}").fetchall()
    shipment = columns.index("shipment_id") if "shipment_id" in columns else None
    return sorted((r for r in result if shipment is None or str(r[shipment]) not in exclude),
                  key=repr)


@pytest.fixture(scope="module")
def world() -> Iterator[Any]:
    from shipping_sandbox.generator import generate

    yield generate("month", seed=21, shipments=40)


def test_fault_soak_lands_exactly_the_fault_free_rows(world: Any, loader: Path,
                                                      tmp_path: Path) -> None:
    from shipping_sandbox.runner import start_server
    from shipping_sandbox.server import create_app

    ids = sorted(s.order_id for s in world.shipments if s.created <= world.end)
    base = {"api_key": KEY, "order_ids": ids, "max_concurrency": 4, "max_retries": 3,
            "request_timeout": 10}
    # 1. the fault-free reference
    clean = start_server(create_app(world, api_key=KEY, now=world.end))
    try:
        sync({**base, "api_url": clean.url}, None, tmp_path, "reference",
             tmp_path / "reference.duckdb", loader)
    finally:
        clean.stop()
    # 2. three chained syncs under faults and hostile payloads, the second SIGKILLed
    by_id = world.by_order_id()
    a, b, c = ids[3], ids[11], ids[19]
    hostile = {
        ("GetOrder", str(a)): lambda p: p.replace(b'"Date":', b'"Date":1e999,"_was":', 1),
        ("GetTracking", by_id[b].tracking_number): lambda p: p.replace(
            b'"Events":', b'"Events":[' + b"[" * 100_000 + b"]" * 100_000 + b'],"_was":', 1),
        ("GetTracking", by_id[c].tracking_number): lambda p: p.replace(
            b'"code":', '"code":"\u00b2","_was":'.encode(), 1),
    }
    faulty = start_server(create_app(world, api_key=KEY, now=world.end, faults=FAULTS))
    proxy = HostileProxy(faulty.url, hostile)
    config = {**base, "api_url": proxy.url}
    warehouse = tmp_path / "soak.duckdb"

    def calls() -> int:
        with urllib.request.urlopen(f"{faulty.admin_url}/stats", timeout=10) as answer:
            stats = json.loads(answer.read())
        return sum(stats["by_method"].values())

    try:
        started = time.monotonic()
        # the first sync (two calls per shipment) is killed half-way through its calls
        state = sync(config, None, tmp_path, "sync1", warehouse, loader,
                     kill_after_calls=len(ids), calls=calls)
        state = sync(config, state, tmp_path, "sync2", warehouse, loader)
        state = sync(config, state, tmp_path, "sync3", warehouse, loader)
        print(f"soak: three syncs in {time.monotonic() - started:.1f} s")
    finally:
        proxy.server.shutdown()
        faulty.stop()
    log = "".join((tmp_path / f"sync{n}.tap.log").read_text() for n in (2, 3))
    for order_id in (a, b, c):
        assert f"shipment={order_id} " in log
    assert "Traceback" not in log
    excluded = {str(a), str(b), str(c)}
    for table in ("shipments", "tracking_events"):
        expected = rows(tmp_path / "reference.duckdb", table, excluded)
        landed = rows(warehouse, table, set())
        assert landed == expected, f"{table}: {len(landed)} rows landed, {len(expected)} expected"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for table, key in (("shipments", "shipment_id"), ("tracking_events", "event_id")):
            total, distinct = con.execute(
                f"SELECT count(*), count(DISTINCT {key}) FROM raw.{table}").fetchone()
            assert total == distinct, f"duplicate {key} in {table}"
    assert state is not None
    book = state["bookmarks"]["shipments"]["shippypro"]
    failed = {key: book["active"].get(key, {}).get("failures") for key in excluded}
    assert all(key in book.get("parked", {}) or (failed[key] or 0) >= 1 for key in excluded)
