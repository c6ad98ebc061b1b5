"""The CPU floor of benchmark 3, run as its own process: the same work as the tap, no SDK.

    python -m benchmarks.floor_client --url URL --plan plan.json --records records.jsonl \
        --out out.jsonl --concurrency 4

``plan.json`` lists the API calls the tap made (GetCarriers, then per shipment GetOrder and
GetTracking). The floor fetches them over one ``requests.Session`` with the same number of
worker threads (per shipment: GetOrder then GetTracking, as the tap does), parses every body with
``json``, then writes the tap's own records (read from ``records.jsonl`` before the clock starts)
as Singer RECORD JSON lines with ``msgspec`` (the tap's encoder). Prints one JSON line with
``fetch_seconds``, ``serialise_seconds``, ``seconds`` (work only), ``load_seconds`` (reading
the plan and records, not part of the floor) and ``records``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import msgspec
import requests
from requests.adapters import HTTPAdapter

API_KEY = "bench-key"


def load_records(path: Path) -> list[tuple[str, dict[str, Any]]]:
    decoder = msgspec.json.Decoder()
    out = []
    with path.open("rb") as handle:
        for line in handle:
            message = decoder.decode(line)
            if message.get("type") == "RECORD":
                out.append((message["stream"], message["record"]))
    return out


def make_session(concurrency: int) -> requests.Session:
    session = requests.Session()
    session.auth = (API_KEY, "")
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(1, concurrency))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def call(session: requests.Session, url: str, method: str, params: dict[str, Any]) -> Any:
    response = session.post(url, json={"Method": method, "Params": params}, timeout=60)
    response.raise_for_status()
    body = json.loads(response.content)
    if body.get("Result") == "Error":
        raise RuntimeError(f"{method} {params}: API error {body}")
    return body


def fetch_all(url: str, plan: dict[str, Any], concurrency: int) -> int:
    session = make_session(concurrency)
    calls = 0
    for item in plan.get("global", []):
        call(session, url, item["method"], item["params"])
        calls += 1

    def one(shipment: list[dict[str, Any]]) -> int:
        for item in shipment:
            call(session, url, item["method"], item["params"])
        return len(shipment)

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        calls += sum(pool.map(one, plan["shipments"]))
    return calls


def serialise(records: list[tuple[str, dict[str, Any]]], out: Path) -> None:
    encoder = msgspec.json.Encoder()
    with out.open("wb") as handle:
        for stream, record in records:
            handle.write(encoder.encode({"type": "RECORD", "stream": stream, "record": record}))
            handle.write(b"\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--plan", type=Path, required=True)
    parser.add_argument("--records", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args(argv)
    loading = time.perf_counter()
    plan = json.loads(args.plan.read_text("utf-8"))
    records = load_records(args.records)
    started = time.perf_counter()
    calls = fetch_all(args.url, plan, args.concurrency)
    fetched = time.perf_counter()
    serialise(records, args.out)
    done = time.perf_counter()
    print(json.dumps({"fetch_seconds": fetched - started, "serialise_seconds": done - fetched,
                      "seconds": done - started, "load_seconds": started - loading,
                      "records": len(records), "calls": calls}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
