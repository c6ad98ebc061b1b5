"""Benchmark 3's two HTTP floors do the same work: same calls, same answers, same output.

The http.client floor (``benchmarks.floor_client``) and the strict floor
(``benchmarks.floor_loop``) are run as the benchmark runs them (own processes) against the
sandbox on loopback with a small world; their written records and every call's decoded answer
are compared. The strict floor's HTTP framing (chunked bodies, bodies split across reads,
``Connection: close``, errors) is checked against a raw socket server.
"""

from __future__ import annotations

import json
import socket
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks import floor_loop
from benchmarks.floor_client import API_KEY
from shipping_sandbox.generator import generate
from shipping_sandbox.runner import SandboxServer, start_server
from shipping_sandbox.server import create_app
from shipping_sandbox.world import World

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def world() -> World:
    return generate("bulk", seed=11, shipments=80, start="2026-02-01", days=10)


@pytest.fixture(scope="module")
def sandbox(world: World) -> Iterator[SandboxServer]:
    with start_server(create_app(world, api_key=API_KEY, now=world.as_of)) as server:
        yield server


def plan_and_records(world: World, work: Path) -> tuple[Path, Path, int]:
    """A plan of the tap's calls for the world's visible shipments, and RECORD lines to write
    (with a SCHEMA line among them, which the floors skip)."""
    shipments = [s for s in world.shipments if s.created <= world.as_of]
    plan = {"global": [{"method": "GetCarriers", "params": {}}],
            "shipments": [[{"method": "GetOrder", "params": {"OrderID": s.order_id}},
                           {"method": "GetTracking", "params": {
                               "Code": s.tracking_number, "CarrierName": s.carrier_name}}]
                          for s in shipments]}
    lines = [{"type": "SCHEMA", "stream": "shipments", "schema": {}, "key_properties": []}]
    lines += [{"type": "RECORD", "stream": "shipments",
               "record": {"shipment_id": str(s.order_id), "tracking_number": s.tracking_number,
                          "events": len(s.events), "note": "città ✓"}} for s in shipments]
    (work / "plan.json").write_text(json.dumps(plan), "utf-8")
    (work / "records.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines), "utf-8")
    return work / "plan.json", work / "records.jsonl", 1 + 2 * len(shipments)


def run_floor(module: str, url: str, plan: Path, records: Path, work: Path, label: str
              ) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", module, "--url", url, "--plan", str(plan), "--records",
         str(records), "--out", str(work / f"{label}.jsonl"), "--concurrency", "4",
         "--answers", str(work / f"{label}.answers.jsonl")],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_both_floors_make_the_same_calls_and_write_the_same_records(
        world: World, sandbox: SandboxServer, tmp_path: Path) -> None:
    plan, records, expected_calls = plan_and_records(world, tmp_path)
    reports = {label: run_floor(module, sandbox.url, plan, records, tmp_path, label)
               for label, module in (("http", "benchmarks.floor_client"),
                                     ("strict", "benchmarks.floor_loop"))}
    fields = {"fetch_seconds", "serialise_seconds", "seconds", "load_seconds",
              "load_cpu_seconds", "records", "calls"}
    for report in reports.values():
        assert set(report) == fields
        assert report["calls"] == expected_calls and report["records"] == expected_calls // 2
    http_out = (tmp_path / "http.jsonl").read_bytes()
    assert http_out and http_out == (tmp_path / "strict.jsonl").read_bytes()
    written = [json.loads(line) for line in http_out.splitlines()]
    assert {m["type"] for m in written} == {"RECORD"} and written[0]["record"]["note"] == "città ✓"
    http_answers = (tmp_path / "http.answers.jsonl").read_text("utf-8").splitlines()
    assert http_answers == (tmp_path / "strict.answers.jsonl").read_text("utf-8").splitlines()
    assert len(http_answers) == expected_calls
    by_order = {s.order_id: s for s in world.shipments}
    for line in map(json.loads, http_answers):
        assert line["answer"]["Result"] == "OK"
        if line["method"] == "GetOrder":
            shipment = by_order[line["params"]["OrderID"]]
            assert line["answer"]["Order"]["TrackingNumber"] == shipment.tracking_number


# -- the strict floor's framing against a raw server ------------------------------------------

def chunked(body: bytes) -> list[bytes]:
    """The answer as pieces sent one by one: chunked body of two chunks, split mid-chunk."""
    third = max(1, len(body) // 3)
    encoded = b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (third, body[:third], len(body) - third,
                                                      body[third:])
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    return [head + encoded[:5], encoded[5:]]


class RawHandler(socketserver.BaseRequestHandler):
    """Answers each POST by echoing its ``Params``, framing answer ``n`` of the connection by
    ``n % 3``: Content-Length, chunked (in two writes), Content-Length then close. A params
    ``{"status": 500}`` is answered with that status."""

    connections = 0

    def handle(self) -> None:
        type(self).connections += 1
        reader = self.request.makefile("rb")
        for n in range(10**6):
            line = reader.readline()
            if not line:
                return
            length = 0
            while (header := reader.readline()) not in (b"\r\n", b""):
                name, _, value = header.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            params = json.loads(reader.read(length))["Params"]
            body = json.dumps({"Result": "OK", "Echo": params}).encode()
            status = int(params.get("status", 200))
            if status != 200 or n % 3 != 1:
                close = status == 200 and n % 3 == 2
                self.request.sendall(b"HTTP/1.1 %d X\r\nContent-Length: %d\r\n%s\r\n%s" % (
                    status, len(body), b"Connection: close\r\n" if close else b"", body))
                if close:
                    return
                continue
            for piece in chunked(body):
                self.request.sendall(piece)


@pytest.fixture
def raw_server() -> Iterator[str]:
    RawHandler.connections = 0
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), RawHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api"
    finally:
        server.shutdown()
        server.server_close()


def test_strict_floor_reads_chunked_and_closing_answers(raw_server: str) -> None:
    shipments = [[{"method": "GetOrder", "params": {"OrderID": i}},
                  {"method": "GetTracking", "params": {"Code": f"T{i}" * (i % 50 + 1)}}]
                 for i in range(40)]
    plan = {"global": [{"method": "GetCarriers", "params": {}}], "shipments": shipments}
    keep: list[tuple[str, dict[str, Any], Any]] = []
    assert floor_loop.fetch_all(raw_server, plan, 3, keep) == 81
    assert sorted((m, json.dumps(p)) for m, p, _ in keep) == sorted(
        (c["method"], json.dumps(c["params"])) for job in [plan["global"], *shipments]
        for c in job)
    assert all(answer == {"Result": "OK", "Echo": params} for _, params, answer in keep)
    # every third answer closes its connection and only that one: 81 answers on 3 connections
    # reopen them ~27 times
    assert 27 <= RawHandler.connections <= 33, RawHandler.connections


def test_strict_floor_refuses_an_http_error(raw_server: str) -> None:
    plan = {"shipments": [[{"method": "GetOrder", "params": {"OrderID": 1}}],
                          [{"method": "GetOrder", "params": {"status": 500}}]]}
    with pytest.raises(RuntimeError, match=r"GetOrder .*HTTP 500"):
        floor_loop.fetch_all(raw_server, plan, 2)


def test_strict_floor_refuses_a_connection_closed_mid_answer() -> None:
    listener = socket.create_server(("127.0.0.1", 0))

    def answer_half() -> None:
        conn, _ = listener.accept()
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{\"Result\"")
        conn.close()

    thread = threading.Thread(target=answer_half, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/api"
    plan = {"shipments": [[{"method": "GetTracking", "params": {"Code": "X"}}]]}
    with pytest.raises(RuntimeError, match="GetTracking: connection closed before the answer"):
        floor_loop.fetch_all(url, plan, 1)
    thread.join(5)
    listener.close()
