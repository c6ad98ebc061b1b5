"""The SDK reference of benchmark 3, run as its own process: vanilla singer-sdk, same records.

    python -m benchmarks.sdk_floor --records records.jsonl --report report.json > out.jsonl

A minimal singer-sdk tap with the three streams and the tap's own schemas, SDK defaults
throughout (type conformance, record path, writer), whose ``get_records`` yields the tap's own
records (read from ``records.jsonl`` before the clock starts). No HTTP. What it costs is what the
SDK charges for writing these records the ordinary way; the tap's CPU above the HTTP floor is
compared with it. Writes ``{"load_cpu_seconds", "work_cpu_seconds", "seconds", "records"}`` to
the report file (stdout carries the Singer messages).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import typing as t
from collections.abc import Iterable
from pathlib import Path

from singer_sdk import Stream, Tap

from benchmarks.floor_client import cpu_seconds, load_records
from tap_shipping_exceptions import schemas

STREAMS = {"shipments": (schemas.SHIPMENTS, ["shipment_id"]),
           "tracking_events": (schemas.TRACKING_EVENTS, ["event_id"]),
           "carriers": (schemas.CARRIERS, ["carrier"])}


class PreloadedStream(Stream):
    def __init__(self, tap: Tap, name: str, records: list[dict[str, t.Any]]) -> None:
        schema, keys = STREAMS[name]
        super().__init__(tap, schema=schema, name=name)
        self.primary_keys = keys
        self._records = records

    def get_records(self, context: t.Any) -> Iterable[dict[str, t.Any]]:
        return iter(self._records)


class VanillaTap(Tap):
    name = "tap-vanilla-reference"
    records: t.ClassVar[dict[str, list[dict[str, t.Any]]]] = {}

    def discover_streams(self) -> list[Stream]:
        return [PreloadedStream(self, name, self.records.get(name, [])) for name in STREAMS]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=Path, required=True)
    parser.add_argument("--report", type=Path, required=True)
    args = parser.parse_args(argv)
    loading_cpu = cpu_seconds()
    by_stream: dict[str, list[dict[str, t.Any]]] = {}
    for stream, record in load_records(args.records):
        by_stream.setdefault(stream, []).append(record)
    VanillaTap.records = by_stream
    started, started_cpu = time.perf_counter(), cpu_seconds()
    VanillaTap(config={}, setup_mapper=True).sync_all()
    sys.stdout.flush()
    args.report.write_text(json.dumps({
        "load_cpu_seconds": started_cpu - loading_cpu,
        "work_cpu_seconds": cpu_seconds() - started_cpu,
        "seconds": time.perf_counter() - started,
        "records": sum(len(v) for v in by_stream.values())}), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
