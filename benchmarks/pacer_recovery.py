"""Pacer recovery after a short 429 burst: the tap against the sandbox, with and without one.

    .venv/bin/python -m benchmarks.pacer_recovery [--shipments 400] [--runs 3]

Each run is a first sync (``order_ids``, no latency, ``max_concurrency`` 4) of the same world:
once fault-free, once with the sandbox answering the first five calls 429 ``Retry-After: 1``.
Printed per run: both wall times and the **burst cost** = burst sync - fault-free sync, which
includes honouring Retry-After (at least one 1 s hold; five when every 429 is its own episode).
Before the fix the same burst turned an 838-call 1.6 s sync into 286 s. The tap runs as a
subprocess; the sandbox serves from a thread of this process. The runs alternate so machine
load hits both alike; on a shared machine read the median.

It also prints a deterministic figure free of machine load: the pacer alone on a simulated
clock (838 calls of 2 ms, calls 300-304 answered 429 ``Retry-After: 1`` one after another, so
five separate holds), reporting the time lost beyond those 5 s of holds. The same simulation
(:func:`simulated_cost`) is the regression test of ``tests/hostile/test_secrets_and_errors.py``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

import requests

from benchmarks.tap_runner import API_KEY, run_tap, write_config
from shipping_sandbox.generator import generate
from shipping_sandbox.runner import start_server
from shipping_sandbox.server import create_app
from tap_shipping_exceptions.throttle import RequestPacer

BURST = [{"kind": "rate_limit", "times": 5, "retry_after": 1}]


def one_sync(world: object, ids: list[int], workdir: Path, label: str,
             faults: list[dict] | None) -> tuple[float, int, int]:
    server = start_server(create_app(world, api_key=API_KEY, now=world.end,  # type: ignore
                                     faults=faults))
    try:
        config = write_config(workdir / f"{label}.json", api_url=server.url, archive_glob=None,
                              max_concurrency=4, order_ids=ids, max_retries=8)
        run = run_tap(workdir, config, label=label)
        stats = requests.get(f"{server.admin_url}/stats", timeout=10).json()
    finally:
        server.stop()
    assert run.output is not None and run.output.records.get("shipments") == len(ids), label
    return run.seconds, sum(stats["by_method"].values()), stats["status_429"]


class _SimulatedClock:
    def __init__(self) -> None:
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def clock(self) -> float:
        return self.now


def simulated_cost(latency: float = 0.002, calls: int = 838) -> float:
    """Seconds lost beyond the Retry-After holds, pacer alone on a simulated clock."""
    clock = _SimulatedClock()
    pacer = RequestPacer(sleep=clock.sleep, clock=clock.clock)
    for index in range(calls):
        generation = pacer.wait_turn()
        clock.now += latency
        if 300 <= index < 305:
            pacer.throttled(1.0, generation)
            pacer.wait_turn()
            clock.now += latency
        pacer.succeeded()
    return clock.now - (calls + 5) * latency - 5 * 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shipments", type=int, default=400)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"simulated pacer (838 calls of 2 ms, five separate 429 holds of 1 s): "
          f"{simulated_cost():+.2f} s lost beyond the holds")
    world = generate("month", seed=12, shipments=args.shipments)
    ids = sorted(s.order_id for s in world.shipments if s.created <= world.end)
    costs = []
    with tempfile.TemporaryDirectory(prefix="pacer-") as tmp:
        workdir = Path(tmp)
        for run in range(1, args.runs + 1):
            clean, calls, _ = one_sync(world, ids, workdir, f"clean{run}", None)
            burst, burst_calls, n429 = one_sync(world, ids, workdir, f"burst{run}", BURST)
            cost = burst - clean
            costs.append(cost)
            print(f"run {run}: fault-free {clean:.2f} s ({calls} calls); with five 429s "
                  f"{burst:.2f} s ({burst_calls} calls, {n429} x 429); burst cost {cost:+.2f} s")
    print(f"burst cost of 5 x 429 Retry-After: 1, Retry-After holds included (median of "
          f"{len(costs)}): {statistics.median(costs):+.2f} s (min {min(costs):+.2f}, "
          f"max {max(costs):+.2f})")


if __name__ == "__main__":
    main()
