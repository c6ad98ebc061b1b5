"""Run the tap (``.venv/bin/tap-shipping-exceptions``) as a measured subprocess and read its output.

``run_tap`` writes a config, runs one sync (optionally with ``--state``), and returns wall time,
peak RSS, RECORD counts per stream, the shipments records' ids/terminal flags and the last STATE
message, so the next simulated day can continue from it.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from benchmarks.processes import ChildRun, run_measured

BIN = Path(sys.executable).parent
TAP = BIN / "tap-shipping-exceptions"
API_KEY = "bench-key"


@dataclass
class TapOutput:
    records: dict[str, int] = field(default_factory=dict)
    shipments: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> record
    state: dict[str, Any] | None = None

    @property
    def total_records(self) -> int:
        return sum(self.records.values())


@dataclass(frozen=True)
class TapRun:
    child: ChildRun
    output: TapOutput | None

    @property
    def seconds(self) -> float:
        return self.child.seconds


def write_config(path: Path, *, api_url: str, archive_glob: str | None,
                 max_concurrency: int, **extra: Any) -> Path:
    config: dict[str, Any] = {"api_key": API_KEY, "api_url": api_url,
                              "max_concurrency": max_concurrency, **extra}
    if archive_glob:
        config["webhook_archive"] = archive_glob
    path.write_text(json.dumps(config, indent=1), "utf-8")
    return path


def read_output(path: Path, *, keep_shipments: bool = False) -> TapOutput:
    """Count RECORD messages per stream; keep the last STATE (and shipments records if asked)."""
    out = TapOutput()
    decoder = msgspec.json.Decoder()
    with path.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                message = decoder.decode(line)
            except msgspec.DecodeError as exc:
                raise ValueError(f"{path} line {number}: expected a Singer JSON message "
                                 f"({exc})") from exc
            kind = message.get("type")
            if kind == "RECORD":
                stream = message["stream"]
                out.records[stream] = out.records.get(stream, 0) + 1
                if keep_shipments and stream == "shipments":
                    record = message["record"]
                    out.shipments[str(record["shipment_id"])] = {
                        "is_terminal": record.get("is_terminal"),
                        "tracking_number": record.get("tracking_number"),
                        "carrier_name": record.get("carrier_name"),
                        "created_at": record.get("created_at")}
            elif kind == "STATE":
                out.state = message["value"]
    return out


def run_tap(workdir: Path, config: Path, *, state: dict[str, Any] | None = None,
            label: str = "sync", parse: bool = True, keep_shipments: bool = False,
            discard_output: bool = False, timeout: float = 3600) -> TapRun:
    """One sync. ``discard_output`` sends stdout to /dev/null (memory runs)."""
    workdir.mkdir(parents=True, exist_ok=True)
    cmd = [str(TAP), "--config", str(config)]
    if state is not None:
        state_path = workdir / f"{label}.state.json"
        state_path.write_text(json.dumps(state), "utf-8")
        cmd += ["--state", str(state_path)]
    stdout = Path("/dev/null") if discard_output else workdir / f"{label}.singer.jsonl"
    child = run_measured(cmd, stdout=stdout, stderr=workdir / f"{label}.log", timeout=timeout)
    output = None
    if parse and not discard_output:
        output = read_output(stdout, keep_shipments=keep_shipments)
    return TapRun(child, output)


def bookkeeping(state: dict[str, Any] | None) -> dict[str, Any]:
    """The tap's own bookkeeping inside a STATE value (``bookmarks.shipments.shippypro``)."""
    if not state:
        return {}
    return ((state.get("bookmarks") or {}).get("shipments") or {}).get("shippypro") or {}
