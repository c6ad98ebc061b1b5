"""Serve one sandbox world in its own process (so its CPU never competes with the measurer).

    python -m benchmarks.sandbox_process --scenario bulk --seed 7 \
        --params '{"shipments": 4000, "start": "...", "days": 20}' --latency-ms 50 \
        --now 2026-11-23T00:00:00Z --ready-file ready.json

Generates the world with ``sandbox.generator.generate``, serves it with ``server.create_app``
on 127.0.0.1 (port chosen by the OS) and writes ``{"url", "admin_url"}`` to the ready file.
Runs until terminated.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from shipping_sandbox.generator import generate
from shipping_sandbox.runner import start_server
from shipping_sandbox.server import create_app

API_KEY = "bench-key"


def parse_when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def world_params(raw: dict[str, Any]) -> dict[str, Any]:
    """ISO strings for start/end become aware datetimes (the generator's parameter types)."""
    return {k: parse_when(v) if k in ("start", "end") and isinstance(v, str) else v
            for k, v in raw.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--params", default="{}", help="generator parameters as JSON")
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--rate-limit", type=float, default=None)
    parser.add_argument("--now", default=None,
                        help="initial sandbox clock (ISO 8601; default: the world's as_of)")
    parser.add_argument("--ready-file", type=Path, required=True)
    args = parser.parse_args(argv)
    world = generate(args.scenario, seed=args.seed, **world_params(json.loads(args.params)))
    start_clock = parse_when(args.now)
    app = create_app(world, api_key=API_KEY,
                     now=int(start_clock.timestamp()) if start_clock else world.as_of,
                     rate_limit=args.rate_limit, latency_ms=args.latency_ms)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with start_server(app, host="127.0.0.1", port=0) as server:
        tmp = args.ready_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"url": server.url, "admin_url": server.admin_url}), "utf-8")
        tmp.rename(args.ready_file)
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
