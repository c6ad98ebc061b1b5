"""The HTTP floor of benchmark 3, run as its own process: the tap's API calls and output, no SDK.

    python -m benchmarks.floor_client --url URL --plan plan.json --records records.jsonl \
        --out out.jsonl --concurrency 4

``plan.json`` lists the API calls the tap made (GetCarriers, then per shipment GetOrder and
GetTracking). The floor makes them with the least a Python client can do: ``http.client`` with one
keep-alive connection per worker thread, the same number of threads as the tap (per shipment:
GetOrder then GetTracking), a prebuilt Basic-auth header, each request written and each body parsed
with ``msgspec`` (the codec the tap uses: a floor must not pay for a slower parser than the tap's;
``json.loads`` cost ~0.5 CPU-s more per 25k bodies). It then writes the tap's own records (read from
``records.jsonl`` before the clock starts) as Singer RECORD JSON lines with ``msgspec`` (the tap's
encoder). No retries, pacing, validation, normalisation or state: what is left is the cost any
client pays for these calls and these lines. Prints one JSON line with ``fetch_seconds``,
``serialise_seconds``, ``seconds`` (work only), ``load_seconds`` and ``load_cpu_seconds`` (reading
the plan and records, not part of the floor), ``records`` and ``calls``. ``--answers PATH``
(tests only) also writes every call's method, params and decoded answer, sorted, as JSON lines.

The strict floor (``benchmarks.floor_loop``) makes the same calls another way and shares this
module's loading, record writing and output (``run``).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import resource
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import msgspec

API_KEY = "bench-key"
_encode = msgspec.json.Encoder().encode  # the tap's own JSON codec for requests and bodies
_decode = msgspec.json.Decoder().decode
Answers = list[tuple[str, dict[str, Any], Any]]  # (method, params, decoded answer) per call
Fetch = Callable[[str, dict[str, Any], int, Answers | None], int]


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load_records(path: Path) -> list[tuple[str, dict[str, Any]]]:
    decoder = msgspec.json.Decoder()
    out = []
    with path.open("rb") as handle:
        for line in handle:
            message = decoder.decode(line)
            if message.get("type") == "RECORD":
                out.append((message["stream"], message["record"]))
    return out


class KeepAlive:
    """One ``http.client`` connection per thread to one URL."""

    def __init__(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.host, self.port, self.path = parts.hostname or "", parts.port or 80, parts.path
        token = base64.b64encode(f"{API_KEY}:".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}", "Content-Type": "application/json"}
        self.local = threading.local()

    def call(self, method: str, params: dict[str, Any]) -> Any:
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = self.local.connection = http.client.HTTPConnection(
                self.host, self.port, timeout=60)
        body = _encode({"Method": method, "Params": params})
        connection.request("POST", self.path, body, self.headers)
        response = connection.getresponse()
        return check_answer(method, params, response.status, response.read())


def fetch_all(url: str, plan: dict[str, Any], concurrency: int,
              keep: Answers | None = None) -> int:
    """Make the plan's calls (``global`` first, then ``concurrency`` shipments at a time, one
    thread and connection each); append each answer to ``keep`` if given. Returns the calls."""
    client = KeepAlive(url)
    calls = 0
    for item in plan.get("global", []):
        answer = client.call(item["method"], item["params"])
        if keep is not None:
            keep.append((item["method"], item["params"], answer))
        calls += 1

    def one(shipment: list[dict[str, Any]]) -> int:
        for item in shipment:
            answer = client.call(item["method"], item["params"])
            if keep is not None:
                keep.append((item["method"], item["params"], answer))
        return len(shipment)

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        calls += sum(pool.map(one, plan["shipments"]))
    return calls


def check_answer(method: str, params: dict[str, Any], status: int, data: bytes) -> Any:
    """A 200 answer's decoded body; anything else (HTTP or API error) raises with the call."""
    if status != 200:
        raise RuntimeError(f"{method} {params}: HTTP {status}")
    answer = _decode(data)
    if answer.get("Result") == "Error":
        raise RuntimeError(f"{method} {params}: API error {answer}")
    return answer


def write_answers(keep: Answers, path: Path) -> None:
    """Each call's method, params and answer as one JSON line, sorted (order-free comparison)."""
    lines = sorted(_encode({"method": m, "params": p, "answer": a}) for m, p, a in keep)
    path.write_bytes(b"".join(line + b"\n" for line in lines))


def serialise(records: list[tuple[str, dict[str, Any]]], out: Path) -> None:
    encoder = msgspec.json.Encoder()
    with out.open("wb") as handle:
        for stream, record in records:
            handle.write(encoder.encode({"type": "RECORD", "stream": stream, "record": record}))
            handle.write(b"\n")


def run(argv: list[str] | None, fetch: Fetch, description: str) -> int:
    """Parse the command line, load the plan and records, time ``fetch`` and the record
    writing, print the report line (shared by both floors)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--url", required=True)
    parser.add_argument("--plan", type=Path, required=True)
    parser.add_argument("--records", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--answers", type=Path, help="also write every call's answer (tests)")
    args = parser.parse_args(argv)
    loading, loading_cpu = time.perf_counter(), cpu_seconds()
    plan = json.loads(args.plan.read_text("utf-8"))
    records = load_records(args.records)
    keep: Answers | None = [] if args.answers else None
    started, started_cpu = time.perf_counter(), cpu_seconds()
    calls = fetch(args.url, plan, args.concurrency, keep)
    fetched = time.perf_counter()
    serialise(records, args.out)
    done = time.perf_counter()
    if keep is not None:
        write_answers(keep, args.answers)
    print(json.dumps({"fetch_seconds": fetched - started, "serialise_seconds": done - fetched,
                      "seconds": done - started, "load_seconds": started - loading,
                      "load_cpu_seconds": started_cpu - loading_cpu,
                      "records": len(records), "calls": calls}))
    return 0


def main(argv: list[str] | None = None) -> int:
    return run(argv, fetch_all, (__doc__ or "").splitlines()[0])


if __name__ == "__main__":
    sys.exit(main())
